// sim/report/report.h — the run's outputs: devices.jsonl (one object per device), summary.json (stable
// keys, docs/outputs.md) and the summary table printed at the end.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "sim_time.h"

namespace espfleet {

// A device that ever resumed this far behind the wall clock (realtime) makes the run overloaded:
// summary.json host.overloaded, host.devices_lagged, and a warning.
inline constexpr VTime kHostOverloadLag = VTime::from_ms(1000);

class Device;
struct SchedulerStats;

nlohmann::ordered_json device_record(const Device& d);
nlohmann::ordered_json fleet_summary(const std::vector<std::unique_ptr<Device>>& devices, const SchedulerStats& es);
// Percentile (nearest rank) of a sorted vector; 0 when empty.
uint32_t percentile(const std::vector<uint32_t>& sorted, double p);
// A device digest (Device::digest) as devices.jsonl and `espfleet replay` print it: 16 hex digits.
std::string digest_hex(uint64_t v);
std::string summary_table(const nlohmann::ordered_json& summary);
// What an overloaded run's summary says about it, in one sentence (host.overloaded).
std::string overload_warning(const nlohmann::ordered_json& summary);

}  // namespace espfleet
