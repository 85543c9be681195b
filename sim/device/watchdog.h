// sim/watchdog.h — the ESP8266's two watchdogs in the device's virtual time (DESIGN §5).
//
// The device's cycle clock advances only while it runs; yield(), delay() and network waits park
// its fiber and feed the watchdogs. The soft WDT (a timer interrupt of the SDK) resets a device
// that has run ~3.2 s since its last feed: "Soft WDT reset", reason 3 (REASON_SOFT_WDT_RST). With
// the soft WDT disabled (ESP.wdtDisable()) the hardware WDT resets it at ~8.2 s: reason 1
// (REASON_WDT_RST). Both are checked where time is charged (Device::charge): every charge is a
// check point, so a reset lands within one charge of the timeout.
#pragma once
#include <cstdint>

#include "sim_time.h"

namespace espfleet {

class Device;

struct Watchdog {
  static constexpr VTime kSoftDefault = VTime::from_ms(3200);
  static constexpr VTime kHardwareDefault = VTime::from_ms(8200);

  uint64_t fed_at = 0;              // cycles at the last feed
  uint64_t deadline = UINT64_MAX;   // cycles at which the next watchdog fires
  uint64_t soft_cycles = 0;         // soft WDT timeout in cycles (0 = off)
  uint64_t hardware_cycles = 0;     // hardware WDT timeout in cycles (0 = off)
  bool soft_enabled = true;         // ESP.wdtDisable() turns the soft one off until wdtEnable()
};

// At boot: arm both with their timeouts (VTime{} = that watchdog off) at the device's clock.
void watchdog_arm(Device& d, VTime soft, VTime hardware);
// A yield, delay or network wait: both restart from now.
void watchdog_feed(Device& d);
// ESP.wdtDisable() / ESP.wdtEnable(): the soft WDT only (the hardware one cannot be stopped).
void watchdog_enable_soft(Device& d, bool on);
// Called by Device::charge when the clock passes the deadline: resets the device if it is the one
// running (its fiber is the current context), with the post-mortem in its crash record.
void watchdog_expired(Device& d);

}  // namespace espfleet
