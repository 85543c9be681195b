// sim/device/watchdog.cpp — soft and hardware watchdog deadlines on the cycle clock (watchdog.h).
#include "watchdog.h"

namespace espfleet {

void Watchdog::rearm() {
  uint64_t after = soft_enabled_ && soft_cycles_ ? soft_cycles_ : hardware_cycles_;
  clock_.arm_alarm(after ? fed_at_ + after : UINT64_MAX);
}

void Watchdog::arm(VTime soft, VTime hardware) {
  soft_cycles_ = time_to_cycles(soft, clock_.mhz());
  hardware_cycles_ = time_to_cycles(hardware, clock_.mhz());
  soft_enabled_ = true;
  fed_at_ = clock_.cycles();
  rearm();
}

void Watchdog::feed() {
  fed_at_ = clock_.cycles();
  rearm();
}

void Watchdog::enable_soft(bool on) {
  soft_enabled_ = on;
  feed();  // the core's wdtEnable/wdtDisable feed as well
}

}  // namespace espfleet
