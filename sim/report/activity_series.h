// sim/report/activity_series.h — summary.json's "activity" (the fleet's connects, drops, crashes
// and failed connects per bin of device time, fleet_activity.h) and "events" (what the host did
// to the fleet's world and when: the embedded broker's planned stops and starts, its unplanned
// exit), and how merge adds the shards' up.
#pragma once
#include <nlohmann/json.hpp>

#include "fleet_activity.h"
#include "scenario.h"
#include "timeline_kind.h"

namespace espfleet {

class Scheduler;

// {"bin_s", "up", "down", "crashes", "connect_failures"}: counts per bin from t = 0 to the bin
// holding `end` (the fleet's time when the run ended), or further if an event came later.
nlohmann::ordered_json activity_record(const FleetActivity& a, VTime end);
// One entry of `events`: {"t_s", "what" (for people), "kind" (TimelineKind's name), "fault" (the
// [[faults]] entry, when one made it)}.
nlohmann::ordered_json timeline_entry(double t_s, const std::string& what, TimelineKind kind, int64_t fault = -1);
// Entries for the host events the scheduler ran.
nlohmann::ordered_json host_events_record(const Scheduler& s);
// Entries for the device faults of the scenario (docs/faults.md) that began (and ended)
// before `end`: "partition begins (faults[1], group cut: 5 devices)", "partition ends (faults[1])",
// "power cycle (faults[2]: 12 devices)". Counted over the whole fleet, so every shard says the same.
nlohmann::ordered_json device_fault_events(const Scenario& sc, VTime end);
// `events` in time order (stable: what happened at one time keeps its order).
void sort_events(nlohmann::ordered_json& events);
// Adds a shard's "activity" into `into` bin by bin (null `into`: a copy). Shards of one fleet
// share a bin width; another width is an error naming both.
void merge_activity(nlohmann::ordered_json& into, const nlohmann::ordered_json& shard);
// The union of the shards' "events", in time order, each (t_s, what) once (every shard's broker
// restarts at the same device times).
void merge_events(nlohmann::ordered_json& into, const nlohmann::ordered_json& shard);

}  // namespace espfleet
