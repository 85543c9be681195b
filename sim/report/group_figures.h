// sim/report/group_figures.h — the figures the whole fleet and each of its groups have in
// summary.json: devices, connected now and ever, failed connects, crashes by reason, publishes,
// heap extremes, TLS errors, and the handshake and first-connect distributions. Gathered from
// devices, read back from a summary's own keys and merged, so the shards of a fleet add up group
// by group as they do for the fleet, and thresholds can name a group's figures
// (groups.NAME.handshake_ms.p99; docs/thresholds.md).
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "histogram.h"

namespace espfleet {

class Device;

// The key of the devices no [[group]] took.
inline constexpr const char* kDefaultGroupKey = "default";

struct GroupFigures {
  uint64_t devices = 0, connected = 0, ever_connected = 0, connect_failures = 0, crashes = 0, published = 0,
           received = 0;
  uint64_t heap_free_min = UINT64_MAX, heap_max_block_min = UINT64_MAX, heap_frag_max = 0;
  std::map<std::string, uint64_t> crashes_by_reason;  // crash/crash_record.h crash_kind: exception_29, oom_254…
  std::map<std::string, uint64_t> tls_errors;         // "CODE NAME": devices whose last attempt failed so
  Histogram handshake_ms, first_connect_ms;

  void add(const Device& d);
  void merge(const GroupFigures& o);
  // The counts and extremes under summary.json's own keys (devices, connected, … tls_errors).
  void write_counts(nlohmann::ordered_json& j) const;
  // A group's entry: the counts, handshakes, handshake_ms and first_connect_ms {p50, p99, max},
  // and their "histograms" (so merge can add them).
  nlohmann::ordered_json group_record() const;
  // From a summary's (or a group entry's) keys; the distributions from its "histograms" when it
  // has them. std::invalid_argument naming what is damaged.
  static GroupFigures from_json(const nlohmann::ordered_json& j);
};

// The group a device counts in: its scenario group, kDefaultGroupKey for none.
std::string group_key(const Device& d);
// summary.json "groups": {NAME: group_record()}.
nlohmann::ordered_json groups_record(const std::map<std::string, GroupFigures>& groups);

}  // namespace espfleet
