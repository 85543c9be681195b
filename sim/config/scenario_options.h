// sim/config/scenario_options.h — the option table: every scenario key once, with its type,
// unit, one line of documentation, whether a group may set it per device, how it is read from
// TOML and how it is shown in resolved JSON. The loader, resolved(), scenario_options() and
// docs/scenario-reference.md all follow it. Internal to config/.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "scenario.h"
#include "toml_values.h"

namespace espfleet::scenario_detail {

struct Settings {  // what one scope of the file configures
  FleetConfig fleet;
  BrokerConfig broker;
  DeviceConfig device;
  bool cpu_mhz_set = false, heap_bytes_set = false;  // else the chip's defaults (chip_kind.h)
};

struct Option {
  const char* key;
  const char* type;
  const char* unit;
  const char* doc;
  bool per_device;
  void (*apply)(Settings&, const toml::node&);
  json (*get)(const Settings&);
};

const std::vector<Option>& options();
const Option* find_option(std::string_view key);
bool is_section(std::string_view path);  // a table that holds options ("tls")

// A group's own keys, besides the per-device options.
inline const char* const kGroupKeys[] = {"name", "count", "fraction"};
// The keys a table may hold: every option at the top, the per-device ones in a group.
std::vector<std::string> candidates(bool in_group);

// The option values as nested JSON ({"tls": {"validation": "ca", ...}}).
json to_json(const Settings& s, bool per_device);

}  // namespace espfleet::scenario_detail
