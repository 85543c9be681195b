// sim/report/live_metrics.cpp — LiveMetrics (live_metrics.h) on prometheus-cpp.
#include "live_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include "crash_record.h"
#include "fleet.h"

namespace espfleet {

struct LiveMetrics::State {
  std::unique_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Labels labels;
  prometheus::Gauge *devices, *connected, *ever_connected, *virtual_time, *heap_free_min, *lag_max, *cpu, *rss;
  prometheus::Counter *connects, *published;
  prometheus::Family<prometheus::Counter>* failures;  // by TLS code ("0": MQTT refused, TLS fine)
  prometheus::Family<prometheus::Counter>* crashes;   // by reason
  prometheus::Histogram* handshake;
  std::map<std::string, prometheus::Counter*> failure_by, crash_by;
  std::vector<uint32_t> handshakes_seen;  // per device: its handshakes already observed
  uint64_t connects_seen = 0, published_seen = 0;
  std::map<std::string, uint64_t> failures_seen, crashes_seen;
};

namespace {
prometheus::Gauge* gauge(prometheus::Registry& r, const char* name, const char* help, const prometheus::Labels& l) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add(l);
}
prometheus::Counter* counter(prometheus::Registry& r, const char* name, const char* help, const prometheus::Labels& l) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(l);
}
// Adds what a total has grown by since the last look (counters only go up).
void advance(prometheus::Counter* c, uint64_t now, uint64_t& seen) {
  if (now > seen) c->Increment(double(now - seen));
  seen = std::max(seen, now);
}
}  // namespace

LiveMetrics::LiveMetrics(const std::string& address, const std::string& shard) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.labels = {{"shard", shard}};
  prometheus::Registry& r = *s.registry;
  s.devices = gauge(r, "espfleet_devices", "Devices of this process", s.labels);
  s.connected = gauge(r, "espfleet_devices_connected", "Devices connected to the broker now", s.labels);
  s.ever_connected = gauge(r, "espfleet_devices_ever_connected", "Devices that have connected at least once", s.labels);
  s.virtual_time = gauge(r, "espfleet_virtual_time_seconds", "The fleet's device time", s.labels);
  s.heap_free_min = gauge(r, "espfleet_heap_free_min_bytes", "The lowest free heap any device has had", s.labels);
  s.lag_max = gauge(r, "espfleet_wakeup_lag_max_seconds", "The worst wake-up lag so far (host behind)", s.labels);
  s.cpu = gauge(r, "espfleet_host_cpu_seconds", "CPU the simulator process has used", s.labels);
  s.rss = gauge(r, "espfleet_host_rss_bytes", "The simulator process's resident memory", s.labels);
  s.connects = counter(r, "espfleet_connects_total", "MQTT connections made", s.labels);
  s.published = counter(r, "espfleet_published_total", "Messages the devices published", s.labels);
  s.failures = &prometheus::BuildCounter()
                    .Name("espfleet_connect_failures_total")
                    .Help("Failed connects, by TLS error code")
                    .Register(r);
  s.crashes = &prometheus::BuildCounter().Name("espfleet_crashes_total").Help("Device crashes, by reason").Register(r);
  s.handshake =
      &prometheus::BuildHistogram()
           .Name("espfleet_handshake_milliseconds")
           .Help("TLS handshake time in device milliseconds")
           .Register(r)
           .Add(s.labels, prometheus::Histogram::BucketBoundaries{250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000});
  try {
    s.exposer = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    throw std::runtime_error("--metrics " + address + ": cannot listen there (" + e.what() + ")");
  }
  s.exposer->RegisterCollectable(s.registry);
}

LiveMetrics::~LiveMetrics() = default;

uint16_t LiveMetrics::port() const {
  const std::vector<int> ports = s_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : uint16_t(ports.front());
}

void LiveMetrics::update(const Fleet& fleet, double cpu_s, uint64_t rss_bytes) {
  State& s = *s_;
  const auto& devices = fleet.devices();
  uint32_t connected = 0, ever = 0, heap_min = UINT32_MAX;
  uint64_t connects = 0, published = 0;
  std::map<std::string, uint64_t> failures, crashes;
  if (s.handshakes_seen.size() < devices.size()) s.handshakes_seen.resize(devices.size(), 0);
  for (size_t i = 0; i < devices.size(); ++i) {
    const Device& d = *devices[i];
    const ConsoleFigures& c = d.console();
    connected += d.online();
    ever += d.ever_online();
    connects += c.mqtt_connects;
    published += c.published;
    heap_min = std::min(heap_min, d.heap().figures().free_min);
    for (const auto& [code, n] : c.tls_error_counts) failures[std::to_string(code)] += n;
    for (const CrashEntry& e : d.life().crashes()) crashes[crash_kind(e.reason, e.summary)]++;
    for (size_t h = s.handshakes_seen[i]; h < c.handshake_ms.size(); ++h) s.handshake->Observe(c.handshake_ms[h]);
    s.handshakes_seen[i] = uint32_t(c.handshake_ms.size());
  }
  s.devices->Set(double(devices.size()));
  s.connected->Set(connected);
  s.ever_connected->Set(ever);
  s.virtual_time->Set(fleet.now().seconds());
  if (heap_min != UINT32_MAX) s.heap_free_min->Set(heap_min);
  s.lag_max->Set(fleet.stats().lag_max_ms / 1000.0);
  s.cpu->Set(cpu_s);
  s.rss->Set(double(rss_bytes));
  advance(s.connects, connects, s.connects_seen);
  advance(s.published, published, s.published_seen);
  auto by = [&s](prometheus::Family<prometheus::Counter>* family, std::map<std::string, prometheus::Counter*>& made,
                 std::map<std::string, uint64_t>& seen, const std::map<std::string, uint64_t>& now, const char* label) {
    for (const auto& [key, n] : now) {
      prometheus::Counter*& c = made[key];
      if (!c) {
        prometheus::Labels l = s.labels;
        l[label] = key;
        c = &family->Add(l);
      }
      advance(c, n, seen[key]);
    }
  };
  by(s.failures, s.failure_by, s.failures_seen, failures, "code");
  by(s.crashes, s.crash_by, s.crashes_seen, crashes, "reason");
}

}  // namespace espfleet
