// sim/config/windows_value.h — the [sketch] lists of a scenario: sketch.gpio_inputs and
// sketch.wifi_drops, strings "PIN=LEVEL at=DUR [for=DUR] [every=DUR] [spread=DUR]" and "at=DUR
// for=DUR [every=DUR] [spread=DUR]", and sketch.hosts, "NAME=broker|none"; read and checked, and
// written back in the same form. Internal to config/.
#pragma once
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "scenario.h"

namespace espfleet::scenario_detail {

std::vector<GpioInput> read_gpio_inputs(const toml::node& n);  // FieldError when bad
std::vector<TimeWindows> read_wifi_drops(const toml::node& n);
std::string format_gpio_input(const GpioInput& g);
std::string format_windows(const TimeWindows& w);
std::vector<HostMapping> read_host_map(const toml::node& n);
std::string format_host_mapping(const HostMapping& h);

}  // namespace espfleet::scenario_detail
