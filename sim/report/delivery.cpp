// sim/report/delivery.cpp — delivery accounting (delivery.h).
#include "delivery.h"

#include <algorithm>
#include <unordered_map>

#include "device.h"
#include "timeline_kind.h"

namespace espfleet {

using json = nlohmann::ordered_json;

namespace {

struct Window {
  double from_s, to_s;
  std::string fault;
  bool drops_queues = false;  // a broker stop, kill or exit: what it held for the observer goes with it
};

TimelineKind kind_of(const json& e) {
  return enum_parse(kTimelineKindNames, e.value("kind", std::string())).value_or(TimelineKind::other);
}

// "faults[K]" for an entry a fault made, else `otherwise`.
std::string fault_tag(const json& e, const char* otherwise) {
  const int64_t k = e.value("fault", int64_t(-1));
  return k < 0 ? std::string(otherwise) : "faults[" + std::to_string(k) + "]";
}

// The observer's outages from the run's events: from its going to its coming back.
std::vector<Window> observer_windows(const json& events) {
  std::vector<Window> out;
  for (const json& e : events) {
    const double t = e.value("t_s", 0.0);
    if (kind_of(e) == TimelineKind::observer_away) out.push_back({t, 1e18, fault_tag(e, "observer outage")});
    if (kind_of(e) == TimelineKind::observer_back)
      for (Window& o : out)
        if (o.fault == fault_tag(e, "observer outage") && o.to_s == 1e18) o.to_s = t;
  }
  return out;
}

// The broker's outages from the run's events: a stop, kill or stall until the next start or resume.
std::vector<Window> broker_windows(const json& events) {
  std::vector<Window> out;
  double down_at = -1;
  bool stall = false;
  std::string what;
  for (const json& e : events) {
    const TimelineKind k = kind_of(e);
    const double t = e.value("t_s", 0.0);
    if (k == TimelineKind::broker_down || k == TimelineKind::broker_stall || k == TimelineKind::broker_exit) {
      down_at = t;
      stall = k == TimelineKind::broker_stall;
      what = fault_tag(e, k == TimelineKind::broker_exit ? "broker exit" : "broker restart");
    } else if (k == TimelineKind::broker_up && down_at >= 0) {
      out.push_back({down_at, t, what, !stall});
      down_at = -1;
    }
  }
  if (down_at >= 0) out.push_back({down_at, 1e18, what, !stall});
  return out;
}

// "tele/tasmota_0A1B2C/STATE" -> "tasmota_0A1B2C".
std::string topic_device(const std::string& topic) {
  const size_t a = topic.find('/');
  if (a == std::string::npos) return {};
  const size_t b = topic.find('/', a + 1);
  return topic.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

}  // namespace

json latency_spread(const Histogram& us) {
  auto ms = [](uint64_t v) { return double(v) / 1000.0; };
  return {{"count", us.count()},
          {"p50", ms(us.percentile(50))},
          {"p90", ms(us.percentile(90))},
          {"p99", ms(us.percentile(99))},
          {"max", ms(us.max())}};
}

DeliveryAccount account_delivery(const std::vector<std::unique_ptr<Device>>& devices,
                                 const std::vector<DeliveryObserver::Arrival>& arrivals, const json& events,
                                 uint64_t wall_origin_ns) {
  DeliveryAccount acc;
  std::unordered_map<std::string, size_t> by_topic;
  for (size_t i = 0; i < devices.size(); ++i) by_topic[devices[i]->identity().topic] = i;
  // What the observer saw of each device, in the order it arrived: hash and wall time (µs).
  struct Seen {
    uint32_t hash;
    int64_t at_us;
  };
  std::vector<std::vector<Seen>> seen(devices.size());
  uint64_t unmatched = 0;  // published by no device of this run (e.g. the will the broker sends for one)
  for (const DeliveryObserver::Arrival& a : arrivals) {
    auto it = by_topic.find(topic_device(a.topic));
    if (it == by_topic.end()) {
      unmatched++;
      continue;
    }
    seen[it->second].push_back({a.hash, (a.host_ns - int64_t(wall_origin_ns)) / 1000});
  }
  Histogram latency_us;  // publish (handed to the MQTT client) to arrival at the observer
  const std::vector<Window> outages = broker_windows(events), away = observer_windows(events);
  // Why a message published at t never arrived: a fault open at t (the broker down or stalled, the
  // device cut off); else, when the observer was away at t, a broker outage that began before it
  // came back (the broker's queue for it gone, without persistence) or, if none, its absence.
  auto why_lost = [&outages, &away](const std::vector<Window>& mine, double t) -> std::string {
    for (const Window& w : mine)
      if (t >= w.from_s && t < w.to_s) return w.fault;
    for (const Window& o : away) {
      if (t < o.from_s || t >= o.to_s) continue;
      for (const Window& b : outages)
        if (b.from_s >= t && b.from_s < o.to_s) return b.fault;
      return o.fault;
    }
    return "unattributed";
  };
  uint64_t published = 0, delivered = 0, lost = 0, duplicated = 0, acked = 0, acked_lost = 0;
  std::map<std::string, uint64_t> lost_by;
  for (size_t i = 0; i < devices.size(); ++i) {
    const Device& d = *devices[i];
    std::vector<Window> mine = outages, slow;
    for (const DeviceFault& f : d.config().faults) {
      // What a device publishes into a partition or a Wi-Fi loss (its connection gone at once, its
      // station joining again afterwards) is the fault's to lose. A lossy or capped link loses
      // nothing by itself (TCP sends again), but it can hold a connection's bytes back until the
      // MQTT keepalive gives up on it: what the device published there and the broker never
      // acknowledged went with that connection, the fault's too.
      const bool cut = f.kind == FaultKind::partition || f.kind == FaultKind::wifi_loss;
      const bool link = f.kind == FaultKind::packet_loss || f.kind == FaultKind::bandwidth;
      if (!cut && !link) continue;
      const std::string tag = "faults[" + std::to_string(f.index) + "]";
      for (int64_t t = f.when.at.us; t <= int64_t(d.now().us()); t += f.when.every.us) {
        (cut ? mine : slow).push_back({double(t) / 1e6, double(t + f.when.length.us) / 1e6, tag});
        if (f.when.every.us <= 0) break;
      }
    }
    uint64_t p = 0, ok = 0, gone = 0, ack = 0, ack_gone = 0;
    constexpr size_t kLostShown = 8;
    std::vector<double> unexplained;  // device times of its first unattributed losses
    const std::vector<PublishMark>& marks = d.publishes();
    std::vector<bool> arrived(marks.size());
    // Each arrival is a publish of its hash not yet matched. The same message more than once (the
    // retained "Online" of every connect) is told apart by order: the broker passes a device's
    // messages on in the order it published them, so an arrival is the first such publish after
    // the one that arrived last (else the nearest before it: a resend). One lost among them is
    // then lost where it was published, and the others keep their latencies. An arrival with no
    // publish left is a duplicate, or the broker's own (the will it publishes for a dropped device).
    std::unordered_map<uint32_t, std::vector<size_t>> by_hash;  // publishes of each hash, in order
    for (size_t k = 0; k < marks.size(); ++k) by_hash[marks[k].hash].push_back(k);
    uint64_t extra = 0;
    int64_t last = -1;  // the publish the last arrival was
    for (const Seen& a : seen[i]) {
      auto p = by_hash.find(a.hash);
      if (p == by_hash.end()) {
        unmatched++;
        continue;
      }
      int64_t pick = -1;
      for (size_t k : p->second)
        if (!arrived[k]) {
          if (int64_t(k) > last) {
            pick = int64_t(k);
            break;
          }
          pick = int64_t(k);  // before the last: keep the nearest
        }
      if (pick < 0) {
        extra++;
        continue;
      }
      arrived[size_t(pick)] = true;
      last = pick;
      latency_us.add(uint64_t(std::max<int64_t>(0, a.at_us - int64_t(marks[size_t(pick)].wall_us))));
    }
    // A message the broker took before it was stopped or killed and had not yet passed on: the
    // broker delivers a device's messages in order, so a lost one with nothing of the device
    // arriving after it until the outage was in the broker's queue for the observer (a slow
    // observer's backlog) and went with the broker.
    auto lost_in_queue = [&](size_t k) -> const Window* {
      const double t = double(marks[k].t_ms) / 1000.0;
      const Window* next = nullptr;
      for (const Window& b : outages)
        if (b.drops_queues && b.from_s >= t && (!next || b.from_s < next->from_s)) next = &b;
      if (!next) return nullptr;
      for (size_t j = k + 1; j < marks.size() && double(marks[j].t_ms) / 1000.0 < next->from_s; ++j)
        if (arrived[j]) return nullptr;
      return next;
    };
    for (size_t k = 0; k < marks.size(); ++k) {
      const PublishMark& m = marks[k];
      p++;
      ack += m.acked;
      if (arrived[k]) {
        ok++;
        continue;
      }
      gone++;
      ack_gone += m.acked;
      const double t = double(m.t_ms) / 1000.0;
      std::string why = why_lost(mine, t);
      if (why == "unattributed")
        if (const Window* b = lost_in_queue(k)) why = b->fault;
      if (why == "unattributed" && !m.acked)
        for (const Window& w : slow)
          if (t >= w.from_s && t < w.to_s) why = w.fault;
      lost_by[why]++;
      // Where the device's losses were, to look at beside its serial log (a few: 16 B each).
      if (unexplained.size() < kLostShown && why == "unattributed") unexplained.push_back(double(m.t_ms) / 1000.0);
    }
    published += p;
    delivered += ok;
    lost += gone;
    duplicated += extra;
    acked += ack;
    acked_lost += ack_gone;
    acc.per_device[d.id()] = {{"published", p}, {"acknowledged", ack},           {"delivered", ok},
                              {"lost", gone},   {"acknowledged_lost", ack_gone}, {"duplicated", extra}};
    if (!unexplained.empty()) acc.per_device[d.id()]["unattributed_at_s"] = unexplained;
  }
  acc.summary = {{"observed", true},
                 {"published", published},
                 {"acknowledged", acked},
                 {"delivered", delivered},
                 {"lost", lost},
                 {"acknowledged_lost", acked_lost},
                 {"duplicated", duplicated},
                 {"unmatched", unmatched},
                 {"lost_by_fault", lost_by},
                 {"latency_ms", latency_spread(latency_us)},
                 {"latency_us_histogram", latency_us.to_json()}};
  return acc;
}

}  // namespace espfleet
