// sim/device/time_windows.h — a scenario's TimeWindows (config/scenario.h) on one device: whether
// a window is open at a device time, and the next time that changes. The device's windows start
// `spread` later at most, by an offset drawn from its seed (the entry's own draw): a fleet's
// drops need not be one instant. Stateless arithmetic, so a device that sleeps through windows
// and a replay agree.
#pragma once
#include <cstdint>

#include "scenario.h"
#include "sim_time.h"

namespace espfleet {

class WindowSchedule {
 public:
  WindowSchedule(const TimeWindows& w, uint64_t draw)
      : start_(w.at.us + (w.spread.us > 0 ? int64_t(draw % uint64_t(w.spread.us)) : 0)),
        length_(w.length.us),
        every_(w.every.us) {}

  // The window open at t (µs), counted from 0: its number (-1: none open).
  int64_t open_at(VTime t) const {
    const int64_t u = t.us();
    if (u < start_) return -1;
    if (length_ <= 0) return 0;  // open for good
    if (every_ <= 0) return u < start_ + length_ ? 0 : -1;
    const int64_t k = (u - start_) / every_;
    return (u - start_) % every_ < length_ ? k : -1;
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
