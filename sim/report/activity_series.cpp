// sim/report/activity_series.cpp — the fleet's activity and events in summary.json (activity_series.h).
#include "activity_series.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "fault_spec.h"
#include "scheduler.h"

namespace espfleet {

using json = nlohmann::ordered_json;

namespace {
constexpr const char* kSeries[] = {"up", "down", "crashes", "connect_failures"};
constexpr FleetActivity::Event kEvents[] = {FleetActivity::Event::up, FleetActivity::Event::down,
                                            FleetActivity::Event::crash, FleetActivity::Event::connect_failure};

// 0.25 -> "25%", 0.125 -> "12.5%" (up to a tenth of a percent).
std::string percent(double share) {
  const long tenths = std::lround(share * 1000);
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + "%";
}
}  // namespace

json activity_record(const FleetActivity& a, VTime end) {
  size_t bins = end.ns > 0 ? size_t((end.ns + a.bin().ns - 1) / a.bin().ns) : 0;
  for (FleetActivity::Event e : kEvents) bins = std::max(bins, a.counts(e).size());
  json j;
  j["bin_s"] = a.bin().seconds();
  for (size_t i = 0; i < std::size(kEvents); ++i) {
    std::vector<uint32_t> v = a.counts(kEvents[i]);
    v.resize(bins, 0);
    j[kSeries[i]] = v;
  }
  return j;
}

json timeline_entry(double t_s, const std::string& what, TimelineKind kind, int64_t fault) {
  json j{{"t_s", t_s}, {"what", what}, {"kind", std::string(enum_name(kTimelineKindNames, kind))}};
  if (fault >= 0) j["fault"] = fault;
  return j;
}

json host_events_record(const Scheduler& s) {
  json j = json::array();
  for (size_t i = 0; i < s.host_events_run(); ++i) {
    const HostEvent& e = s.host_events()[i];
    j.push_back(timeline_entry(e.at.seconds(), e.name, e.kind, e.fault));
  }
  return j;
}

json device_fault_events(const Scenario& sc, VTime end) {
  json out = json::array();
  for (const FaultSpec& f : sc.fleet.faults) {
    if (!is_device_fault(f.kind)) continue;
    const std::string tag = "faults[" + std::to_string(f.index) + "]";
    const uint32_t n = fault_device_count(sc, f);
    const std::string who = (f.group.empty() ? std::string() : "group " + f.group + ": ") + std::to_string(n) +
                            (n == 1 ? " device" : " devices");
    for (VTime t = VTime::from_us(f.at.us); t < end; t = t + VTime::from_us(f.every.us)) {
      if (is_instant_fault(f.kind)) {
        const std::string what =
            f.kind == FaultKind::power_cycle ? "power cycle ("
            : f.kind == FaultKind::tcp_reset
                ? "TCP connections reset ("
                : "clock jumps " + std::string(f.by.us > 0 ? "+" : "") + format_duration(f.by) + " (";
        out.push_back(timeline_entry(t.seconds(), what + tag + ", " + who + ")", TimelineKind::fault_moment, f.index));
      } else {
        const std::string name = f.kind == FaultKind::partition     ? "partition"
                                 : f.kind == FaultKind::wifi_loss   ? "Wi-Fi loss"
                                 : f.kind == FaultKind::dns_failure ? "DNS failure"
                                 : f.kind == FaultKind::packet_loss ? "packet loss"
                                 : f.kind == FaultKind::bandwidth   ? "bandwidth cap"
                                                                    : "link delay";
        const std::string how = f.kind == FaultKind::link_delay    ? ", +" + format_duration(f.delay)
                                : f.kind == FaultKind::packet_loss ? ", " + percent(f.loss) + " lost each way"
                                : f.kind == FaultKind::bandwidth   ? ", " + format_bit_rate(f.rate_bps) + "/s"
                                                                   : std::string();
        out.push_back(timeline_entry(t.seconds(), name + " begins (" + tag + ", " + who + how + ")",
                                     TimelineKind::fault_begins, f.index));
        const VTime until = t + VTime::from_us(f.duration.us);
        if (until < end)
          out.push_back(
              timeline_entry(until.seconds(), name + " ends (" + tag + ")", TimelineKind::fault_ends, f.index));
      }
      if (f.every.us <= 0) break;
    }
  }
  return out;
}

void sort_events(json& events) {
  std::vector<json> v(events.begin(), events.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const json& a, const json& b) { return a.value("t_s", 0.0) < b.value("t_s", 0.0); });
  events = json(v);
}

void merge_activity(json& into, const json& shard) {
  if (!shard.is_object()) return;
  if (into.is_null()) {
    into = shard;
    return;
  }
  if (shard.value("bin_s", 0.0) != into.value("bin_s", 0.0))
    throw std::runtime_error("activity bins of " + std::to_string(shard.value("bin_s", 0.0)) + " s and " +
                             std::to_string(into.value("bin_s", 0.0)) + " s (not shards of one scenario)");
  for (const char* k : kSeries) {
    std::vector<uint64_t> sum = into.value(k, std::vector<uint64_t>{});
    const std::vector<uint64_t> add = shard.value(k, std::vector<uint64_t>{});
    if (add.size() > sum.size()) sum.resize(add.size(), 0);
    for (size_t i = 0; i < add.size(); ++i) sum[i] += add[i];
    into[k] = sum;
  }
  size_t bins = 0;
  for (const char* k : kSeries) bins = std::max(bins, into[k].size());
  for (const char* k : kSeries) {
    std::vector<uint64_t> v = into[k];
    v.resize(bins, 0);
    into[k] = v;
  }
}

void merge_events(json& into, const json& shard) {
  if (!into.is_array()) into = json::array();
  if (!shard.is_array()) return;
  // Each shard has the broker's events and the faults of its devices: one entry per moment and text.
  std::vector<std::pair<std::pair<double, std::string>, json>> all;
  for (const json* from : {static_cast<const json*>(&into), &shard})
    for (const json& e : *from) all.push_back({{e.value("t_s", 0.0), e.value("what", "")}, e});
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  all.erase(std::unique(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
            all.end());
  into = json::array();
  for (auto& [key, e] : all) into.push_back(std::move(e));
}

}  // namespace espfleet
