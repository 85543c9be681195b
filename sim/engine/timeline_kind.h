// sim/engine/timeline_kind.h — what an entry of the run's timeline (summary.json `events`) is, for
// the code that reads the timeline back: the delivery accounting's outages, the report's lines.
// The entry's `what` is for people; `kind` (and `fault`, the [[faults]] entry) is for programs.
#pragma once
#include <cstdint>

#include "enum_names.h"

namespace espfleet {

enum class TimelineKind : uint8_t {
  broker_down,    // stopped or killed: what it held for its clients goes with it (without persistence)
  broker_stall,   // SIGSTOP: it holds everything, answers nothing
  broker_up,      // started again, or resumed
  broker_exit,    // an exit nothing planned
  cert_rotated,   // its listener certificate (and CA) renewed
  observer_away,  // the delivery observer disconnected
  observer_back,  // and reconnected
  fault_begins,   // a device fault's window opens
  fault_ends,     // and closes
  fault_moment,   // a device fault that is a moment (power cycle, reset, clock jump)
  other,
};
inline constexpr EnumName<TimelineKind> kTimelineKindNames[] = {{TimelineKind::broker_down, "broker_down"},
                                                                {TimelineKind::broker_stall, "broker_stall"},
                                                                {TimelineKind::broker_up, "broker_up"},
                                                                {TimelineKind::broker_exit, "broker_exit"},
                                                                {TimelineKind::cert_rotated, "cert_rotated"},
                                                                {TimelineKind::observer_away, "observer_away"},
                                                                {TimelineKind::observer_back, "observer_back"},
                                                                {TimelineKind::fault_begins, "fault_begins"},
                                                                {TimelineKind::fault_ends, "fault_ends"},
                                                                {TimelineKind::fault_moment, "fault_moment"},
                                                                {TimelineKind::other, "other"}};

}  // namespace espfleet
