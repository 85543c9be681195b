// sim/config/workload_value.h — heap.workload in a scenario: each entry a string
// "NAME: every=DUR size=MIN..MAX life=DUR [alloc=new|malloc]" or an inline table, read and
// checked against what the firmware's settings hold, and written back in the string form.
// Internal to config/.
#pragma once
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "scenario.h"

namespace espfleet::scenario_detail {

std::vector<HeapWorkload> read_heap_workload(const toml::node& n);  // FieldError when bad
std::string format_workload(const HeapWorkload& w);

}  // namespace espfleet::scenario_detail
