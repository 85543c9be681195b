// sim/device/watchdog.cpp — the chips' watchdog deadlines on the cycle clock (watchdog.h).
#include "watchdog.h"

#include <algorithm>

namespace espfleet {

void Watchdog::rearm() {
  if (set_ == WatchdogSet::esp8266) {
    uint64_t after = soft_enabled_ && first_cycles_ ? first_cycles_ : second_cycles_;
    clock_.arm_alarm(after ? fed_at_ + after : UINT64_MAX);
    return;
  }
  uint64_t at = task_due();
  if (ints_off_ && second_cycles_) at = std::min(at, ints_off_at_ + second_cycles_);
  clock_.arm_alarm(at);
}

void Watchdog::arm(WatchdogSet set, VTime first, VTime second) {
  set_ = set;
  first_cycles_ = time_to_cycles(first, clock_.mhz());
  second_cycles_ = time_to_cycles(second, clock_.mhz());
  soft_enabled_ = true;
  ints_off_ = false;
  held_ = false;
  fed_at_ = clock_.cycles();
  rearm();
}

void Watchdog::feed() {
  if (held_) return;
  fed_at_ = clock_.cycles();
  rearm();
}

void Watchdog::enable_soft(bool on) {
  if (set_ != WatchdogSet::esp8266) return;
  soft_enabled_ = on;
  feed();  // the core's wdtEnable/wdtDisable feed as well
}

void Watchdog::set_interrupts(bool on) {
  if (set_ != WatchdogSet::esp_idf || ints_off_ == !on) return;
  ints_off_ = !on;
  ints_off_at_ = clock_.cycles();
  rearm();
}

WatchdogKind Watchdog::fires() const {
  if (set_ == WatchdogSet::esp8266) return soft_enabled_ && first_cycles_ ? WatchdogKind::soft : WatchdogKind::hardware;
  if (ints_off_ && second_cycles_ && ints_off_at_ + second_cycles_ <= task_due()) return WatchdogKind::interrupt;
  return WatchdogKind::task;
}

VTime Watchdog::since_feed() const {
  const uint64_t from = fires() == WatchdogKind::interrupt ? ints_off_at_ : fed_at_;
  return cycles_to_time(clock_.cycles() - from, clock_.mhz());
}

}  // namespace espfleet
