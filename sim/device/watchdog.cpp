// sim/watchdog.cpp — soft and hardware watchdog resets in virtual time (see watchdog.h).
#include "watchdog.h"

#include <string>

#include "crash_record.h"
#include "engine.h"

namespace espfleet {

namespace {

void rearm(Device& d) {
  Watchdog& w = d.wdt;
  uint64_t after = w.soft_enabled && w.soft_cycles ? w.soft_cycles : w.hardware_cycles;
  w.deadline = after ? w.fed_at + after : UINT64_MAX;
}

}  // namespace

void watchdog_arm(Device& d, VTime soft, VTime hardware) {
  Watchdog& w = d.wdt;
  w.soft_cycles = time_to_cycles(soft, d.mhz());
  w.hardware_cycles = time_to_cycles(hardware, d.mhz());
  w.soft_enabled = true;
  w.fed_at = d.cycles;
  rearm(d);
}

void watchdog_feed(Device& d) {
  d.wdt.fed_at = d.cycles;
  rearm(d);
}

void watchdog_enable_soft(Device& d, bool on) {
  d.wdt.soft_enabled = on;
  watchdog_feed(d);  // the core's wdtEnable/wdtDisable feed as well
}

void watchdog_expired(Device& d) {
  Engine* eng = Engine::running();
  // Only on the device's own fiber (never from the scheduler, e.g. the boot-time charge of a
  // reboot), and once.
  if (!eng || eng->current() != &d || d.reboot_reason) return;
  HostSection host;
  Watchdog& w = d.wdt;
  bool soft = w.soft_enabled && w.soft_cycles;
  int reason = soft ? kResetSoftWdt : kResetHardwareWdt;
  w.deadline = UINT64_MAX;
  // Inside a thunked BearSSL call the reset shows the bearssl stack first, as on the chip.
  uint32_t thunk_depth = thunk_depth_estimate(__builtin_frame_address(0));
  uint32_t cont = cont_depth_estimate(d, __builtin_frame_address(0));
  double ran = cycles_to_time(d.cycles - w.fed_at, d.mhz()).seconds();
  char summary[96];
  std::string record;
  if (soft) {
    record = postmortem_soft_wdt(device_stacks(d, thunk_depth, cont, 0x1a0), last_failed_alloc_line(d));
    snprintf(summary, sizeof summary, "Soft WDT reset (ran %.3f s without yielding)", ran);
  } else {
    record = postmortem_hardware_wdt(device_stacks(d, thunk_depth, cont, 0x10));
    snprintf(summary, sizeof summary, "Hardware WDT reset (ran %.3f s without yielding)", ran);
  }
  d.crash_note = last_failed_alloc_note(d);
  eng->crash(d, reason, summary, record + rom_boot_banner(reason));
}

}  // namespace espfleet
