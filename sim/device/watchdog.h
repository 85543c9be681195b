// sim/device/watchdog.h — the ESP8266's two watchdogs in the device's virtual time.
//
// The device's cycle clock advances only while it runs; yield(), delay() and network waits park
// its fiber and feed the watchdogs. The soft WDT (a timer interrupt of the SDK) resets a device
// that has run ~3.2 s since its last feed: "Soft WDT reset", reason 3 (REASON_SOFT_WDT_RST). With
// the soft WDT disabled (ESP.wdtDisable()) the hardware WDT resets it at ~8.2 s: reason 1
// (REASON_WDT_RST). Both are the clock's alarm (engine/cycle_clock.h): every charge is a check
// point, so a reset lands within one charge of the timeout (docs/watchdogs.md).
#pragma once
#include <cstdint>

#include "cycle_clock.h"
#include "sim_time.h"

namespace espfleet {

class Watchdog {
 public:
  static constexpr VTime kSoftDefault = VTime::from_ms(3200);
  static constexpr VTime kHardwareDefault = VTime::from_ms(8200);

  explicit Watchdog(CycleClock& clock) : clock_(clock) {}

  // At boot: both armed with their timeouts (VTime{} = that watchdog off) from the clock's now.
  void arm(VTime soft, VTime hardware);
  // A yield, delay or network wait: both restart from now.
  void feed();
  // ESP.wdtDisable() / ESP.wdtEnable(): the soft WDT only (the hardware one cannot be stopped).
  void enable_soft(bool on);
  // It fired: off until the next arm (the device resets).
  void disarm() { clock_.arm_alarm(UINT64_MAX); }

  // Which watchdog the alarm is (the soft one while it is enabled and set), and how long the
  // device has run since the last feed.
  bool soft_fires() const { return soft_enabled_ && soft_cycles_; }
  VTime since_feed() const { return cycles_to_time(clock_.cycles() - fed_at_, clock_.mhz()); }
  uint64_t fed_at() const { return fed_at_; }  // cycles at the last feed

 private:
  void rearm();

  CycleClock& clock_;
  uint64_t fed_at_ = 0;           // cycles at the last feed
  uint64_t soft_cycles_ = 0;      // soft WDT timeout in cycles (0 = off)
  uint64_t hardware_cycles_ = 0;  // hardware WDT timeout in cycles (0 = off)
  bool soft_enabled_ = true;
};

}  // namespace espfleet
