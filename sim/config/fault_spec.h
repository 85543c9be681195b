// sim/config/fault_spec.h — a scenario's [[faults]] (docs/faults.md): one entry read from TOML and
// checked, and which devices an entry targets. The draw that picks a fraction of the devices
// depends only on the fleet's seed, the entry's place in the file and the device's global id, so
// a device is targeted the same whether the fleet runs whole or in shards.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <toml++/toml.h>

#include "scenario.h"

namespace espfleet {

// A problem with one key of an entry: the key ("kind", "at", …), the node when there is one (its
// value is shown), and why.
using FaultProblem = std::function<void(const std::string& key, const toml::node* value, const std::string& why)>;

// Reads [[faults]] entry `index`; every problem goes to `problem` (the entry is then not to be
// used). Group names are checked by the caller, who knows the groups.
FaultSpec read_fault(const toml::table& t, uint32_t index, const FaultProblem& problem);

// Whether device `id` (of group `device_group`, "" for none) is one the entry targets.
bool fault_targets(const FaultSpec& f, uint32_t id, const std::string& device_group, uint64_t fleet_seed);

// How many of the fleet's devices a device fault targets (all of them, whatever shard runs).
uint32_t fault_device_count(const Scenario& sc, const FaultSpec& f);

// The entry as a device holds it (a device fault).
DeviceFault device_fault(const FaultSpec& f);

// The entry as scenario.resolved.json and summary.json show it.
nlohmann::ordered_json fault_json(const FaultSpec& f);

}  // namespace espfleet
