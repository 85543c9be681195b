// sim/report/report.h — the run's outputs: devices.jsonl (one object per device), summary.json (stable
// keys, docs/outputs.md) and the summary table printed at the end.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "histogram.h"
#include "sim_time.h"

namespace espfleet {

// A device that ever resumed this far behind the wall clock (realtime) makes the run overloaded:
// summary.json host.overloaded, host.devices_lagged, and a warning.
inline constexpr VTime kHostOverloadLag = VTime::from_ms(1000);

// summary.json lists the first this many crashed devices.
inline constexpr size_t kMaxListedCrashed = 100;

class Device;
struct SchedulerStats;

// The fleet's distributions, kept whole so shards merge (espfleet merge): every handshake's
// device time, each device's first connect in device and wall time, each device's worst lag.
struct FleetHistograms {
  Histogram handshake_ms, first_connect_ms, first_connect_wall_ms, device_lag_ms;
  Histogram wakeup_lag_ms;  // realtime: every wake-up's lag (1023 stands for 1023 ms or more)
  // The same for the wake-ups after every device had connected once (a storm over); empty if never.
  Histogram wakeup_lag_after_all_connected_ms;
  static FleetHistograms from_summary(const nlohmann::ordered_json& summary);  // its "histograms"
  void merge(const FleetHistograms& o);
};

nlohmann::ordered_json device_record(const Device& d);
// wake_lag_at_all_connected: SchedulerStats::wake_lag_ms when every device had connected once
// (nullptr: never), so the wake-ups after a storm have a distribution of their own.
nlohmann::ordered_json fleet_summary(const std::vector<std::unique_ptr<Device>>& devices, const SchedulerStats& es,
                                     const SchedulerStats* at_all_connected = nullptr);
// What the histograms give summary.json: handshakes, handshake_ms, first_connect_ms, the connect
// rates, host.device_lag_ms, host.wakeup_lag_ms, host.overloaded (from host.devices_lagged) and
// "histograms" itself.
void add_distributions(nlohmann::ordered_json& summary, const FleetHistograms& h);
// A device digest (Device::digest) as devices.jsonl and `espfleet replay` print it: 16 hex digits.
std::string digest_hex(uint64_t v);
std::string summary_table(const nlohmann::ordered_json& summary);
// What an overloaded run's summary says about it, in one sentence (host.overloaded).
std::string overload_warning(const nlohmann::ordered_json& summary);

}  // namespace espfleet
