// sim/config/threshold_value.h — one [thresholds] entry of a scenario: FIGURE = NUMBER (equals) or
// FIGURE = "OP NUMBER" with OP one of < <= > >= == !=, read and checked (the figure's existence is
// checked against the summary by the run, which knows it). Internal to config/.
#pragma once
#include <string>

#include <toml++/toml.h>

#include "scenario.h"

namespace espfleet::scenario_detail {

Threshold read_threshold(const std::string& figure, const toml::node& n);  // FieldError when bad
std::string format_threshold_condition(const Threshold& t);                // "< 2000"

}  // namespace espfleet::scenario_detail
