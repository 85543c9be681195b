// sim/crash/fault_guard.h — a task that dereferences a bad pointer is reset alone, as the chip
// resets a device: the mechanism. What the reset looks like is the target's business (the
// device's post-mortem, sim/device/device_faults.cpp).
//
// SIGSEGV and SIGBUS are caught (on a signal stack) while a target is set on this thread (the
// running device, set for each of its slices). The handler only records the fault (address,
// read/write/fetch from the page-fault error code, the instruction and stack pointers) and rewrites
// the interrupted context so that it resumes in a trampoline on a per-thread emergency stack; the
// trampoline, ordinary code, asks the target to build its record (record_fault) and then to leave
// (the device's fiber is abandoned there and re-armed at reboot, so the emergency stack is free
// again). A fault while no target is set (the scheduler, libuv, reports), or while the target
// builds a record, is a simulator bug: the handler puts back the disposition it replaced (normally
// SIG_DFL) and returns, the fault repeats and the process dies of it as before.
//
// x86-64 Linux only (the ucontext layout); elsewhere install() does nothing.
#pragma once
#include <cstdint>

namespace espfleet {

struct FaultInfo {
  uintptr_t addr = 0;  // the faulting address
  uintptr_t pc = 0;    // the faulting instruction
  uintptr_t sp = 0;    // the stack pointer at the fault
  int signo = 0;       // SIGSEGV or SIGBUS
  bool write = false;  // a store (else a load) …
  bool fetch = false;  // … or an instruction fetch
};

class FaultTarget {
 public:
  // On the emergency stack, in ordinary code: build what the reset will show (may allocate).
  virtual void record_fault(const FaultInfo& f) = 0;
  // Then: leave the faulted code for good (never returns).
  [[noreturn]] virtual void leave_after_fault() = 0;

 protected:
  ~FaultTarget() = default;
};

// Install the handlers and this thread's signal and emergency stacks. Cheap and idempotent: call
// it at the start of every run (a test framework may have replaced them since).
void fault_guard_install();
// The code that runs on this thread from now on belongs to `t` (nullptr: to nobody).
void fault_guard_set_target(FaultTarget* t);

}  // namespace espfleet
