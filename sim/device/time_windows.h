// sim/device/time_windows.h — a scenario's TimeWindows (config/scenario.h) on one device, as a
// WindowSchedule (engine/window_schedule.h): the device's windows start `spread` later at most,
// by an offset drawn from its seed (the entry's own draw), so a fleet's drops need not be one
// instant.
#pragma once
#include <cstdint>

#include "scenario.h"
#include "window_schedule.h"

namespace espfleet {

inline WindowSchedule window_schedule(const TimeWindows& w, uint64_t draw) {
  return WindowSchedule(w.at.us + (w.spread.us > 0 ? int64_t(draw % uint64_t(w.spread.us)) : 0), w.length.us,
                        w.every.us);
}

}  // namespace espfleet
