// sim/device/device_resets.h — how a device resets when something goes wrong, and what its
// post-mortem shows (the ESP8266 core's formats, crash/crash_record.h, filled from the device's
// own parts): out of memory in `new`, the thunk block overrun, a watchdog, a bad pointer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "crash_record.h"
#include "fault_guard.h"
#include "panic_record_esp32.h"
#include "thunk_block.h"

namespace espfleet {

class Device;

// `new` failed (caller: where from; sp: the frame the platform's call left from): "Unhandled C++
// exception: OOM", reason 254.
[[noreturn]] void reset_out_of_memory(Device& d, size_t size, const void* caller, const void* sp);
// abort(): "Abort called", reason 254 (what: the summary's cause, e.g. the thunk block not allocated).
[[noreturn]] void reset_abort(Device& d, const char* what, const void* sp);
// A thunked call overwrote the block's canary: "BSSL stack smashing", reason 253.
[[noreturn]] void reset_stack_smash(Device& d, const ThunkBlock::Call& call);
// A chip without a thunk (the ESP32-C3): a BearSSL call needed more of the loop task's stack than
// it has (caller: estimated bytes in use at the call; the stack is the platform's loop task block).
// ESP-IDF's hardware stack guard: "Guru Meditation Error: Core  0 panic'ed (Stack protection
// fault)", ResetReason::panic.
[[noreturn]] void reset_stack_overflow(Device& d, const ThunkBlock::Call& call, uint32_t caller);
// The watchdog alarm: resets the device when it is the one running (on its own fiber), once.
// loop_blocked: ESP-IDF's task WDT fired while the loop task waited in one delay() (IDLE runs).
void reset_on_watchdog(Device& d, bool loop_blocked = false);
// A SIGSEGV/SIGBUS in the device's code (crash/fault_guard.h): the reset it leaves with.
void fault_reset(Device& d, const FaultInfo& f, ResetReason& reason, std::string& summary, std::string& record,
                 std::string& note);

// The excvaddr a faulting host address shows (deterministic whatever ASLR does): inside the
// device's heap its chip address, below 4 GiB as it is, else 0xfffff000 + its page offset.
uint32_t chip_fault_address(const Device& d, uintptr_t host_addr);

// The device's stacks as the post-mortem shows them: a "bearssl" section when the reset comes
// from inside a thunked call (thunk_depth = target bytes in use on the thunk block, 0 = not in
// one), then "cont" (cont_depth = target bytes in use on the cont stack). offset: the core's
// per-reason offset (0x1a0 soft WDT, 0x10 hardware WDT, 0x190 exception, 0 stack smash, OOM): the
// handler's frames below the interrupted code on the first section's stack, so that section's sp
// is its depth plus the offset below its end and its rows start at sp + offset, as on the chip.
std::vector<StackSection> device_stacks(const Device& d, uint32_t thunk_depth, uint32_t cont_depth, uint32_t offset);
// Target bytes of cont stack the device uses at this moment, estimated from its fiber's host
// depth at host_sp (an address in a frame on the fiber) — or, inside a thunked call, at the call.
uint32_t cont_depth_estimate(const Device& d, const void* host_sp);
// Target bytes in use on the thunk block when the device stops at host_sp, an address on this
// thread's thunk stack (0 when no thunked call is under way; at least 16 inside one).
uint32_t thunk_depth_estimate(const void* host_sp);

}  // namespace espfleet
