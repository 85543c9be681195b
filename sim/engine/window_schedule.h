// sim/engine/window_schedule.h — windows of device time that open at `start`, stay open for
// `length` (0: for good) and come again every `every` (0: once): whether one is open at a time,
// when it ends, how many have opened, and the next time that changes. Stateless arithmetic, so a
// device that sleeps through windows and a replay agree. The scenario's input signals, Wi-Fi
// drops (sim/device/time_windows.h) and link faults (sim/net/link_faults.h) are such windows.
#pragma once
#include <cstdint>

#include "sim_time.h"

namespace espfleet {

class WindowSchedule {
 public:
  WindowSchedule(int64_t start_us, int64_t length_us, int64_t every_us)
      : start_(start_us), length_(length_us), every_(every_us) {}

  // The window open at t (µs), counted from 0: its number (-1: none open).
  int64_t open_at(VTime t) const {
    const int64_t u = t.us();
    if (u < start_) return -1;
    if (length_ <= 0) return 0;  // open for good
    if (every_ <= 0) return u < start_ + length_ ? 0 : -1;
    const int64_t k = (u - start_) / every_;
    return (u - start_) % every_ < length_ ? k : -1;
  }
  // The window open at t and when it closes (false: none open, or open for good).
  bool open_until(VTime t, VTime* end) const {
    const int64_t k = open_at(t);
    if (k < 0 || length_ <= 0) return false;
    *end = VTime::from_us(start_ + k * (every_ > 0 ? every_ : 0) + length_);
    return true;
  }
  // How many windows have opened by t.
  uint64_t opened_by(VTime t) const {
    const int64_t u = t.us();
    if (u < start_) return 0;
    if (every_ <= 0) return 1;
    return uint64_t((u - start_) / every_) + 1;
  }
  // The end of the last window closed by t (false: none has closed yet), and its number.
  bool last_closed(VTime t, VTime* end, int64_t* k) const {
    const int64_t u = t.us();
    if (length_ <= 0 || u < start_ + length_) return false;
    const int64_t n = every_ <= 0 ? 0 : (u - start_ - length_) / every_;
    *end = VTime::from_us(start_ + n * (every_ > 0 ? every_ : 0) + length_);
    *k = n;
    return true;
  }
  // The first opening or closing after t (false: nothing changes any more).
  bool next_change(VTime t, VTime* at) const {
    const int64_t u = t.us();
    int64_t next;
    if (u < start_) {
      next = start_;
    } else if (length_ <= 0) {
      return false;
    } else if (every_ <= 0) {
      if (u >= start_ + length_) return false;
      next = start_ + length_;
    } else {
      const int64_t k = (u - start_) / every_, phase = (u - start_) % every_;
      next = start_ + k * every_ + (phase < length_ ? length_ : every_);
    }
    *at = VTime::from_us(next);
    return true;
  }

 private:
  int64_t start_, length_, every_;  // µs
};

}  // namespace espfleet
