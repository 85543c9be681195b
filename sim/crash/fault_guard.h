// sim/fault_guard.h — a device that dereferences a bad pointer resets alone, as the chip does.
//
// SIGSEGV and SIGBUS are caught (on a signal stack) while one of a running engine's devices has
// the CPU (Engine::running() and its current() set). The handler only records the fault (address,
// read/write/fetch from the page-fault error code, the instruction and stack pointers) and rewrites
// the interrupted context so that it resumes in a trampoline on a per-thread emergency stack; the
// trampoline builds the core's post-mortem and resets the device through Engine::crash (its fiber
// is abandoned there and re-armed at reboot, so the emergency stack is free again):
//   a load   → "Exception (28)" LoadProhibited,  a store → "Exception (29)" StoreProhibited,
//   a jump to an unmapped address → "Exception (20)" InstFetchProhibited,
//   a fault just below this thread's BearSSL thunk stack while a thunked call runs (its guard
//   page) → "BSSL stack smashing" (reason 253), the chip's check for an overflowing thunk stack.
// A fault while no device runs (the scheduler, libuv, reports), or while the trampoline itself
// builds a record, is a simulator bug: the handler puts back the disposition it replaced
// (normally SIG_DFL) and returns, the fault repeats and the process dies of it as before.
//
// Addresses in the record are the chip's and deterministic (docs/crashes.md):
//   excvaddr: below 64 KiB (NULL + offset) and other values below 4 GiB (computed by the device;
//             no host mapping of this PIE process lies there) as they are; inside the device's
//             heap the chip address (device_heap_address); any other host address — its place
//             depends on ASLR — 0xfffff000 + its page offset.
//   epc1:     the faulting instruction as a pseudo code address (sim/code_address.h).
// The host location of the instruction goes to the device log as an espfleet line.
//
// x86-64 Linux only (the ucontext layout); elsewhere install() does nothing.
#pragma once
#include <cstdint>

namespace espfleet {

class Device;

// Install the handlers and this thread's signal and emergency stacks. Cheap and idempotent: the
// engine calls it at the start of every run() (a test framework may have replaced them since).
void fault_guard_install();

// The chip address excvaddr shows for a faulting host address of device d (see above).
uint32_t chip_fault_address(Device& d, uintptr_t host_addr);

}  // namespace espfleet
