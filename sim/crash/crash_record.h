// sim/crash/crash_record.h — the ESP8266 core's post-mortem text for the resets the engine models
// (soft WDT, hardware WDT, BSSL stack smashing, OOM in `new`, load/store exceptions), written to
// the device's log when it resets.
//
// The format is the core's (cores/esp8266/core_esp8266_postmortem.cpp, StackThunk.cpp,
// hwdt_app_entry.cpp): "CUT HERE" rulers, the reason line, ">>>stack>>>", a "ctx:" section per
// stack with "sp: end: offset:" and 16-byte rows "addr:  w0 w1 w2 w3", "<<<stack<<<", then the
// boot ROM's " ets Jan  8 2013,rst cause:N, boot mode:(3,6)" line of the restart. Addresses are the
// chip's (device heap at the top of DRAM, cont stack ending at 0x3fffffc0); rows are printed only
// for memory the model holds (the thunk block: painted 0xdeadbeef, the part a call used written
// as zeros), at most kMaxRows of them, and the rest is counted.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "chip_kind.h"
#include "device_heap.h"  // FailedAlloc

namespace espfleet {

// ESP8266 reset reasons (rst_info.reason; 253/254 are the core's own).
enum class ResetReason : uint8_t {
  power_on = 0,          // REASON_DEFAULT_RST (the first boot)
  hardware_wdt = 1,      // REASON_WDT_RST
  exception = 2,         // REASON_EXCEPTION_RST
  soft_wdt = 3,          // REASON_SOFT_WDT_RST
  soft_restart = 4,      // REASON_SOFT_RESTART (ESP.restart)
  deep_sleep_awake = 5,  // REASON_DEEP_SLEEP_AWAKE (ESP.deepSleep, then the timer's wake-up)
  stack_smash = 253,     // REASON_USER_STACK_SMASH
  sw_exception = 254,    // REASON_USER_SWEXCEPTION_RST (abort, OOM in new)
  panic = 200,           // ESP32: ESP-IDF's panic handler (Guru Meditation), ESP_RST_PANIC
  task_wdt = 201,        // ESP32: the task watchdog's panic, ESP_RST_TASK_WDT
  int_wdt = 202,         // ESP32: the interrupt watchdog's panic, ESP_RST_INT_WDT
};
constexpr int reset_code(ResetReason r) { return int(r); }
// The code the chip itself gives the reason: the ESP8266's rst_info.reason (above), the ESP32's
// esp_reset_reason() (1 power on, 3 software, 4 panic, 6 task watchdog, 5 interrupt watchdog, 8
// deep-sleep wake).
constexpr int reset_code(ResetReason r, Chip chip) {
  if (chip != Chip::esp32c3) return reset_code(r);
  switch (r) {
    case ResetReason::power_on:
      return 1;
    case ResetReason::soft_restart:
      return 3;
    case ResetReason::task_wdt:
      return 6;
    case ResetReason::int_wdt:
      return 5;
    case ResetReason::deep_sleep_awake:
      return 8;
    default:
      return 4;
  }
}

struct StackSection {
  std::string ctx;  // "cont", "bearssl", "sys"
  uint32_t sp = 0, end = 0, offset = 0;
  uint32_t rows_from = 0;       // device address of the first row (sp + offset, 16-aligned)
  std::vector<uint32_t> words;  // memory from rows_from upward (may be shorter than end - rows_from)
};

inline constexpr size_t kMaxRows = 8;  // rows printed per section

// Exception causes (EXCCAUSE) the simulator reports.
inline constexpr int kExcInstFetchProhibited = 20;
inline constexpr int kExcLoadProhibited = 28;
inline constexpr int kExcStoreProhibited = 29;
const char* exception_cause_name(int cause);  // "StoreProhibited", …; "" when not known

// Post-mortem texts (lines separated by '\n'). last_alloc: last_failed_alloc_line() — the core
// prints it after "<<<stack<<<" in every post-mortem once an allocation has failed since boot.
std::string postmortem_soft_wdt(const std::vector<StackSection>& stacks, const std::string& last_alloc = {});
// (The HWDT dump runs from the boot ROM path on the next boot: no heap state, no alloc line.)
std::string postmortem_hardware_wdt(const std::vector<StackSection>& stacks);
std::string postmortem_bssl_smashing(const std::vector<StackSection>& stacks, const std::string& last_alloc = {});
// "Exception (cause):" with epc1 and excvaddr (epc2, epc3, depc are 0); stack offset 0x190.
std::string postmortem_exception(int cause, uint32_t epc1, uint32_t excvaddr, const std::vector<StackSection>& stacks,
                                 const std::string& last_alloc = {});
// `new` failed: "User exception (panic/abort/assert)", "Unhandled C++ exception: OOM", the stacks,
// the alloc line and, after the closing ruler, "last failed alloc caller: 0x…" (caller_addr).
// abort() (core_esp8266_postmortem.cpp): "Abort called", then the stacks and the last failed
// allocation; reset reason 254 as for an unhandled exception.
std::string postmortem_abort(const std::vector<StackSection>& stacks, const std::string& last_alloc);
std::string postmortem_oom(const std::vector<StackSection>& stacks, const std::string& last_alloc,
                           uint32_t caller_addr);

// The device's last failed allocation since boot (DeviceHeap::last_failed), if any:
// "\nlast failed alloc call: 4020ABCD(123)\n" as the core prints it (cap-X, no 0x), or "".
std::string last_failed_alloc_line(const FailedAlloc& f);
// Its chip-side pseudo address (crash/code_address.h; 0 = none).
uint32_t last_failed_alloc_address(const FailedAlloc& f);
// For the simulator's own log (not the chip's text): where that allocation was made, or "".
std::string last_failed_alloc_note(const FailedAlloc& f);

// The key under which summary.json counts a reset: soft_wdt_3, hw_wdt_1, exception_29 (the cause
// from the summary's "Exception N" prefix; "exception_2" without one), stack_smash_253, oom_254
// (summary "Unhandled C++ exception: OOM…") or user_254, else "reset_<reason>".
std::string crash_kind(ResetReason reason, const std::string& summary);
// The boot ROM's first line after the reset (rst cause: 2 for software resets, 4 for the
// hardware watchdog).
std::string rom_boot_banner(ResetReason reason);

}  // namespace espfleet
