// sim/device/watchdog.h — a chip's watchdogs in the device's virtual time.
//
// The device's cycle clock advances only while it runs; yield(), delay() and network waits park
// its fiber and feed the watchdogs. Both sets are the clock's alarm (engine/cycle_clock.h): every
// charge is a check point, so a reset lands within one charge of the timeout (docs/watchdogs.md).
//
// The ESP8266: the soft WDT (a timer interrupt of the SDK) resets a device that has run ~3.2 s
// since its last feed: "Soft WDT reset", reason 3 (REASON_SOFT_WDT_RST). With the soft WDT
// disabled (ESP.wdtDisable()) the hardware WDT resets it at ~8.2 s: reason 1 (REASON_WDT_RST).
//
// The ESP32-C3 (ESP-IDF with the Arduino core, as Tasmota builds it): the task watchdog watches
// the loop task (Tasmota's USE_ESP32_WDT calls enableLoopWDT(); its yield() feeds, and its
// delay() feeds before and after the wait, so one delay longer than the timeout is not fed), 5 s,
// then a panic (CONFIG_ESP_TASK_WDT_PANIC); the interrupt watchdog resets a device that keeps
// interrupts off for 300 ms (the tick interrupt feeds it; CONFIG_ESP_INT_WDT_TIMEOUT_MS).
#pragma once
#include <cstdint>

#include "cycle_clock.h"
#include "sim_time.h"

namespace espfleet {

// Which watchdogs a chip has.
enum class WatchdogSet : uint8_t {
  esp8266,  // the SDK's soft WDT and the hardware WDT
  esp_idf,  // ESP-IDF's task WDT on the loop task and the interrupt WDT
};

// Which one fires at the alarm.
enum class WatchdogKind : uint8_t { soft, hardware, task, interrupt };

class Watchdog {
 public:
  static constexpr VTime kSoftDefault = VTime::from_ms(3200);
  static constexpr VTime kHardwareDefault = VTime::from_ms(8200);
  static constexpr VTime kTaskDefault = VTime::from_s(5);          // CONFIG_ESP_TASK_WDT_TIMEOUT_S
  static constexpr VTime kInterruptDefault = VTime::from_ms(300);  // Arduino-ESP32's CONFIG_ESP_INT_WDT_TIMEOUT_MS

  explicit Watchdog(CycleClock& clock) : clock_(clock) {}

  // At boot, from the clock's now (VTime{} = that watchdog off). The ESP8266: the soft and the
  // hardware WDT. ESP-IDF: first = the task WDT, second = the interrupt WDT.
  void arm(WatchdogSet set, VTime first, VTime second);
  // A yield, delay or network wait: restart from now (not while held).
  void feed();
  // ESP-IDF: the loop task waits in one delay(); nothing run meanwhile (a timer) feeds its
  // watchdog. hold(false) ends the wait without feeding.
  void hold(bool on) { held_ = on; }
  // ESP.wdtDisable() / ESP.wdtEnable(): the ESP8266's soft WDT only (the hardware one cannot be
  // stopped; ESP-IDF has no such call).
  void enable_soft(bool on);
  // noInterrupts() / interrupts(): ESP-IDF's interrupt WDT counts from the moment they go off
  // (nothing else feeds it then); the ESP8266's model does not use it.
  void set_interrupts(bool on);
  // It fired: off until the next arm (the device resets).
  void disarm() { clock_.arm_alarm(UINT64_MAX); }

  WatchdogSet set() const { return set_; }
  WatchdogKind fires() const;  // which watchdog the alarm is
  // How long the device has run since the last feed (for the interrupt WDT: since interrupts
  // went off).
  VTime since_feed() const;
  uint64_t fed_at() const { return fed_at_; }  // cycles at the last feed
  // When the task WDT fires if nothing feeds it (UINT64_MAX: off); ESP-IDF only.
  uint64_t task_due() const {
    return set_ == WatchdogSet::esp_idf && first_cycles_ ? fed_at_ + first_cycles_ : UINT64_MAX;
  }

 private:
  void rearm();

  CycleClock& clock_;
  WatchdogSet set_ = WatchdogSet::esp8266;
  uint64_t fed_at_ = 0;         // cycles at the last feed
  uint64_t first_cycles_ = 0;   // soft WDT / task WDT timeout in cycles (0 = off)
  uint64_t second_cycles_ = 0;  // hardware WDT / interrupt WDT timeout in cycles (0 = off)
  uint64_t ints_off_at_ = 0;    // cycles when interrupts went off (ESP-IDF)
  bool soft_enabled_ = true;
  bool ints_off_ = false;
  bool held_ = false;
};

}  // namespace espfleet
