// sim/crash/fault_guard.cpp — SIGSEGV/SIGBUS in a target's code → its record and its leave (see
// fault_guard.h). The signal handler does the minimum (record, redirect); the trampoline, ordinary
// code on the emergency stack, hands the fault to the target.
#include "fault_guard.h"

#include <signal.h>
#include <ucontext.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "alloc_scope.h"
#include "guarded_stack.h"

namespace espfleet {

#if defined(__x86_64__) && defined(__linux__)

namespace {

constexpr size_t kAltStackBytes = 64 * 1024;    // the handler's own stack (sigaltstack)
constexpr size_t kEmergencyBytes = 256 * 1024;  // the trampoline's stack

// What the handler saw. Plain data in thread-locals: nothing here may allocate or lock.
thread_local FaultTarget* t_target = nullptr;
thread_local FaultTarget* t_faulted = nullptr;  // the target whose fault the trampoline handles
thread_local FaultInfo t_fault;
thread_local bool t_handling = false;  // between the fault and the record
thread_local uint8_t* t_emergency_top = nullptr;
thread_local uint8_t* t_altstack = nullptr;

struct sigaction g_prev_segv, g_prev_bus;  // what the handler replaced (chained on give-up)

// This thread's stacks, unmapped when the thread ends.
struct ThreadStacks {
  std::unique_ptr<GuardedStack> alt, emergency;
  ~ThreadStacks() {
    if (!alt) return;
    stack_t cur{};
    if (sigaltstack(nullptr, &cur) == 0 && cur.ss_sp == t_altstack) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      sigaltstack(&off, nullptr);
    }
    t_altstack = t_emergency_top = nullptr;
  }
};
thread_local ThreadStacks t_stacks;

bool make_thread_stacks() {
  try {
    t_stacks.alt = std::make_unique<GuardedStack>(kAltStackBytes);
    t_stacks.emergency = std::make_unique<GuardedStack>(kEmergencyBytes);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "espfleet: fault guard: cannot map its stacks (%s); device faults will kill the process\n",
                 std::strerror(errno));
    t_stacks.alt.reset();
    return false;
  }
  t_altstack = t_stacks.alt->bottom();
  t_emergency_top = t_stacks.emergency->top();  // page-aligned, so 16-byte aligned
  return true;
}

// Not a target's fault: put back what was there and let the fault repeat into it.
void give_up(int sig) { sigaction(sig, sig == SIGBUS ? &g_prev_bus : &g_prev_segv, nullptr); }

// Entered by the handler's return, on the emergency stack; ordinary code from here on.
[[noreturn]] __attribute__((noinline)) void fault_trampoline() {
  FaultTarget* t = t_faulted;
  HostSection host;  // never closed: the target's code is abandoned
  t->record_fault(t_fault);
  t_handling = false;  // the record is built: the next fault is the next target's
  t->leave_after_fault();
  __builtin_unreachable();  // GCC does not carry [[noreturn]] through a virtual call
}

void on_fault(int sig, siginfo_t* si, void* ctx) {
  FaultTarget* target = t_target;
  if (!target || t_handling || !t_emergency_top) {
    give_up(sig);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(ctx);
  greg_t* g = uc->uc_mcontext.gregs;
  uint64_t err = uint64_t(g[REG_ERR]);
  bool page_fault = sig == SIGSEGV && si->si_code != SI_KERNEL;  // SI_KERNEL: a protection fault
  t_handling = true;
  t_faulted = target;
  t_fault.addr = reinterpret_cast<uintptr_t>(si->si_addr);
  t_fault.pc = uintptr_t(g[REG_RIP]);
  t_fault.sp = uintptr_t(g[REG_RSP]);
  t_fault.signo = sig;
  t_fault.write = page_fault && (err & 2);   // x86 page-fault error code: bit 1 = write
  t_fault.fetch = page_fault && (err & 16);  // bit 4 = instruction fetch
  // Continue in the trampoline as if called: RSP ≡ 8 (mod 16), a null return address.
  auto* top = reinterpret_cast<uint64_t*>(t_emergency_top) - 1;
  *top = 0;
  g[REG_RSP] = greg_t(reinterpret_cast<uintptr_t>(top));
  g[REG_RIP] = greg_t(reinterpret_cast<uintptr_t>(&fault_trampoline));
}

void install(int sig, struct sigaction& prev) {
  struct sigaction sa {};
  sa.sa_sigaction = &on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  struct sigaction old {};
  if (sigaction(sig, &sa, &old) != 0) return;
  if (!((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == &on_fault)) prev = old;
}

}  // namespace

void fault_guard_install() {
  if (!t_emergency_top && !make_thread_stacks()) return;
  stack_t cur{};
  if (sigaltstack(nullptr, &cur) != 0 || cur.ss_sp != t_altstack || (cur.ss_flags & SS_DISABLE)) {
    stack_t ss{};
    ss.ss_sp = t_altstack;
    ss.ss_size = kAltStackBytes;
    if (sigaltstack(&ss, nullptr) != 0)
      std::fprintf(stderr, "espfleet: fault guard: sigaltstack failed (%s)\n", std::strerror(errno));
  }
  install(SIGSEGV, g_prev_segv);
  install(SIGBUS, g_prev_bus);
}

void fault_guard_set_target(FaultTarget* t) { t_target = t; }

#else

void fault_guard_install() {}
void fault_guard_set_target(FaultTarget*) {}

#endif

}  // namespace espfleet
