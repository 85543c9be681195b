// sim/report/report.cpp — per-device records and the fleet summary.
#include "report.h"

#include <bearssl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "crash_record.h"
#include "device.h"
#include "fingerprint.h"
#include "group_figures.h"
#include "scheduler.h"
#include "settings.h"
#include "thresholds.h"
#include "tls_errors.h"

namespace espfleet {

using json = nlohmann::ordered_json;

std::string digest_hex(uint64_t v) {
  char buf[20];
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

// The TLS options as the device's flash holds them at the end of the run: commands and learned
// fingerprints change them.
static void add_tls_settings(json& j, const Device& d) {
  DeviceSettings cfg;
  if (d.flash().size() < kSettingsFlashAddr + sizeof cfg) return;
  std::memcpy(&cfg, d.flash().data() + kSettingsFlashAddr, sizeof cfg);
  if (cfg.magic != kSettingsMagic || !cfg.tls_enabled) return;
  j["validation"] = cfg.validation == kValidateFingerprint ? "fingerprint" : "ca";
  j["ecdsa"] = cfg.ecdsa != 0;
  for (int i = 0; i < 2; ++i) {
    Fingerprint fp;
    std::memcpy(fp.data(), cfg.fingerprint[i], fp.size());
    j[i ? "fingerprint2" : "fingerprint1"] = format_fingerprint(fp);
  }
  // The client certificate it was given (the same in every shard of the fleet: docs/scale.md).
  TlsSettings keys;
  if (d.flash().size() < kTlsFlashAddr + sizeof keys) return;
  std::memcpy(&keys, d.flash().data() + kTlsFlashAddr, sizeof keys);
  if (keys.cert_len == 0 || keys.cert_len > sizeof keys.cert) return;
  br_sha256_context h;
  br_sha256_init(&h);
  br_sha256_update(&h, keys.cert, keys.cert_len);
  uint8_t sum[br_sha256_SIZE];
  br_sha256_out(&h, sum);
  char hex[2 * br_sha256_SIZE + 1];
  for (size_t i = 0; i < sizeof sum; ++i) snprintf(hex + 2 * i, 3, "%02x", sum[i]);
  j["client_cert_sha256"] = hex;
}

json device_record(const Device& d) {
  const ConsoleFigures& s = d.console();
  const HeapFigures& h = d.heap().figures();
  const ThunkBlock::Figures& t = d.thunk().figures();
  const std::vector<CrashEntry>& crashes = d.life().crashes();
  json j;
  j["id"] = d.id();
  j["client_id"] = d.identity().client_id;
  j["topic"] = d.identity().topic;
  j["group"] = d.config().group;
  j["chip"] = std::string(enum_name(kChipNames, d.config().chip));
  j["cpu_mhz"] = d.clock().mhz();
  j["state"] = device_state_name(d.life().state());
  j["tls_error"] = s.tls_error;
  j["tls_error_name"] = tls_error_name(s.tls_error);
  json counts = json::object();
  for (auto& [code, n] : s.tls_error_counts) counts[std::to_string(code)] = n;
  j["tls_errors"] = counts;
  add_tls_settings(j, d);
  j["connects"] = s.mqtt_connects;
  j["connect_failures"] = s.connect_failures;
  j["handshake_ms"] = s.handshake_ms.empty() ? json(nullptr) : json(s.handshake_ms.front());
  j["handshakes_ms"] = s.handshake_ms;
  j["first_connected_s"] = s.first_connected.ns < 0 ? json(nullptr) : json(s.first_connected.seconds());
  j["lag_max_ms"] = d.task().lag_max().ms();
  j["published"] = s.published;
  j["received"] = s.received;
  j["heap_bytes"] = d.config().heap_bytes;
  j["heap_free_min"] = h.free_min;
  j["heap_max_block_min"] = h.max_block_min;
  j["heap_frag_max"] = h.frag_max;
  j["heap_alloc_failures"] = h.failures;
  j["boots"] = d.life().boots();
  j["crashes"] = crashes.size();
  j["crash_reasons"] = json::array();
  j["crash_codes"] = json::array();
  j["crash_digests"] = json::array();
  for (const CrashEntry& c : crashes) {
    j["crash_reasons"].push_back(c.summary);
    j["crash_codes"].push_back(reset_code(c.reason, d.config().chip));
    j["crash_digests"].push_back(digest_hex(c.digest));
  }
  j["digest"] = digest_hex(d.digest());
  j["chip_id"] = d.identity().chip_id;
  j["firmware"] = d.program().name;
  if (!d.config().faults.empty()) {  // the [[faults]] entries that target it (docs/faults.md)
    json f = json::array();
    for (const DeviceFault& x : d.config().faults) f.push_back(x.index);
    j["faults"] = f;
  }
  if (!d.program().console_session) {  // a sketch's or NodeMCU's device: what the engine itself saw of it
    j["wifi_joins"] = d.wifi().joins();
    j["tcp_connects"] = d.net().counters().tcp_connects;
  }
  if (d.program().image) {
    json gpio = json::object();
    for (uint8_t pin = 0; pin < GpioPins::kPins; ++pin)
      if (d.gpio().mode(pin) == GpioPins::kOutput) gpio[std::to_string(pin)] = d.gpio().level(pin);
    j["gpio_outputs"] = gpio;  // pin: level at the end
    j["gpio_changes"] = d.gpio().changes();
    j["loop_passes_run"] = d.platform().run_passes();
    j["loop_passes_skipped"] = d.platform().skipped_passes();
  }
  j["rx_bytes"] = d.net().counters().rx_bytes;
  j["tx_bytes"] = d.net().counters().tx_bytes;
  if (d.net().counters().retransmits) j["tcp_retransmits"] = d.net().counters().retransmits;
  j["virtual_time_s"] = d.now().seconds();
  j["host_stack_high_water"] = d.host_use().stack_high_water;
  if (d.chip().thunk) {
    j["thunk_size"] = t.size;
    j["thunk_peak_host_bytes"] = t.peak_host;
    j["thunk_peak_target_bytes"] = t.peak_target;
  } else {  // BearSSL on the loop task's stack
    j["loop_stack_bytes"] = d.program_stack_bytes();
    j["loop_stack_peak_bytes"] = d.platform().loop_stack_peak();
    j["bearssl_peak_host_bytes"] = t.peak_host;
    j["bearssl_peak_target_bytes"] = t.peak_target;
  }
  return j;
}

namespace {

// Events per second: how many, over the time of the last one in ms since the start (0 when none).
double rate_per_s(const Histogram& times_ms) {
  return times_ms.count() == 0 || times_ms.max() == 0 ? 0.0
                                                      : double(times_ms.count()) * 1000.0 / double(times_ms.max());
}

}  // namespace

json fleet_summary(const std::vector<std::unique_ptr<Device>>& devices, const SchedulerStats& es,
                   const SchedulerStats* at_all_connected) {
  FleetHistograms hist;
  GroupFigures all;
  std::map<std::string, GroupFigures> groups, chips, firmwares;
  uint64_t lagged_devices = 0;
  uint64_t host_ns = 0, host_hs_ns = 0;
  std::vector<uint32_t> crashed;  // ids of devices that crashed (the first kMaxListedCrashed)
  // What the engine saw of sketch and NodeMCU devices (no console figures).
  std::map<std::string, uint64_t> sketch, nodemcu;
  for (auto& d : devices) {
    if (!d->program().console_session && (d->program().image || d->program().joins_wifi)) {
      std::map<std::string, uint64_t>& f = d->program().image ? sketch : nodemcu;
      f["devices"]++;
      f["wifi_joined"] += d->wifi().connected(d->now());
      f["tcp_connects"] += d->net().counters().tcp_connects;
      f["rx_bytes"] += d->net().counters().rx_bytes;
      f["tx_bytes"] += d->net().counters().tx_bytes;
    }
    if (d->program().image) {
      sketch["gpio_changed_devices"] += d->gpio().changes() > 0;
      sketch["loop_passes_run"] += d->platform().run_passes();
      sketch["loop_passes_skipped"] += d->platform().skipped_passes();
    }
    all.add(*d);
    groups[group_key(*d)].add(*d);
    chips[std::string(enum_name(kChipNames, d->config().chip))].add(*d);
    firmwares[d->program().name].add(*d);
    host_ns += d->host_use().ns;
    host_hs_ns += d->host_use().handshake_ns;
    if (!d->life().crashes().empty() && crashed.size() < kMaxListedCrashed) crashed.push_back(d->id());
    if (d->host_use().first_connected_wall.ns >= 0)
      hist.first_connect_wall_ms.add(uint64_t(d->host_use().first_connected_wall.ms()));
    hist.device_lag_ms.add(uint64_t(d->task().lag_max().ms()));
    if (d->task().lag_max() > kHostOverloadLag) lagged_devices++;
  }
  for (size_t ms = 0; ms < es.wake_lag_ms.size(); ++ms) {
    hist.wakeup_lag_ms.add(ms, es.wake_lag_ms[ms]);
    if (at_all_connected)
      hist.wakeup_lag_after_all_connected_ms.add(ms, es.wake_lag_ms[ms] - at_all_connected->wake_lag_ms[ms]);
  }
  hist.handshake_ms = all.handshake_ms;
  hist.first_connect_ms = all.first_connect_ms;
  json j;
  all.write_counts(j);
  j["crashed_devices"] = crashed;
  j["groups"] = groups_record(groups);
  j["chips"] = groups_record(chips);         // the same figures per chip (device.chip)
  j["firmware"] = groups_record(firmwares);  // and per firmware: "tasmota", "nodemcu", a sketch's name
  if (!sketch.empty()) j["sketch"] = sketch;
  if (!nodemcu.empty()) j["nodemcu"] = nodemcu;
  j["host"] = {{"wall_s", es.wall_seconds},
               {"lag_max_ms", es.lag_max_ms},
               {"wakeups", es.wakeups},
               {"caught_up_parks", es.caught_up},
               {"devices_lagged", lagged_devices},
               {"lagged_wakeups", es.lagged_wakeups},
               {"device_code_s", double(host_ns) / 1e9},
               {"handshake_ms_host",
                hist.handshake_ms.count() == 0 ? 0.0 : double(host_hs_ns) / 1e6 / double(hist.handshake_ms.count())}};
  add_distributions(j, hist);
  return j;
}

void add_distributions(json& j, const FleetHistograms& h) {
  j["handshakes"] = h.handshake_ms.count();
  j["handshake_ms"] = h.handshake_ms.spread();
  j["first_connect_ms"] = h.first_connect_ms.spread();
  j["connect_rate_per_s"] = rate_per_s(h.first_connect_ms);
  j["first_connect_wall_ms"] = h.first_connect_wall_ms.spread();
  j["connect_rate_per_s_wall"] = rate_per_s(h.first_connect_wall_ms);
  json& host = j["host"];
  host["device_lag_ms"] = h.device_lag_ms.spread();
  host["wakeup_lag_ms"] = h.wakeup_lag_ms.spread();
  host["wakeup_lag_after_all_connected_ms"] = h.wakeup_lag_after_all_connected_ms.spread();
  host["overloaded"] = host.value("devices_lagged", uint64_t(0)) > 0;
  j["histograms"] = {{"handshake_ms", h.handshake_ms.to_json()},
                     {"first_connect_ms", h.first_connect_ms.to_json()},
                     {"first_connect_wall_ms", h.first_connect_wall_ms.to_json()},
                     {"device_lag_ms", h.device_lag_ms.to_json()},
                     {"wakeup_lag_ms", h.wakeup_lag_ms.to_json()},
                     {"wakeup_lag_after_all_connected_ms", h.wakeup_lag_after_all_connected_ms.to_json()}};
}

FleetHistograms FleetHistograms::from_summary(const json& s) {
  const json& h = s.at("histograms");
  return {Histogram::from_json(h.at("handshake_ms")),
          Histogram::from_json(h.at("first_connect_ms")),
          Histogram::from_json(h.at("first_connect_wall_ms")),
          Histogram::from_json(h.at("device_lag_ms")),
          h.contains("wakeup_lag_ms") ? Histogram::from_json(h.at("wakeup_lag_ms")) : Histogram(),
          h.contains("wakeup_lag_after_all_connected_ms")
              ? Histogram::from_json(h.at("wakeup_lag_after_all_connected_ms"))
              : Histogram()};
}

void FleetHistograms::merge(const FleetHistograms& o) {
  handshake_ms.merge(o.handshake_ms);
  first_connect_ms.merge(o.first_connect_ms);
  first_connect_wall_ms.merge(o.first_connect_wall_ms);
  device_lag_ms.merge(o.device_lag_ms);
  wakeup_lag_ms.merge(o.wakeup_lag_ms);
  wakeup_lag_after_all_connected_ms.merge(o.wakeup_lag_after_all_connected_ms);
}

std::string overload_warning(const json& s) {
  const json& h = s["host"];
  char buf[400];
  snprintf(buf, sizeof buf,
           "%llu of %llu devices ran more than %lld s behind the wall clock (worst %.1f s): their device-time "
           "figures include waiting for the host (docs/scale.md)",
           (unsigned long long)h["devices_lagged"], (unsigned long long)s["devices"],
           (long long)(kHostOverloadLag.ms() / 1000), double(h["device_lag_ms"]["max"]) / 1000.0);
  return buf;
}

std::string summary_table(const json& s) {
  char buf[2048];
  const json& h = s["handshake_ms"];
  int n;
  if (const json& k = s.value("sketch", json::object()); !k.empty()) {
    // A sketch's devices: what the engine saw (the built-in firmware's console figures do not exist).
    auto c = [&k](const char* key) { return (unsigned long long)k.value(key, uint64_t(0)); };
    n = snprintf(buf, sizeof buf,
                 "  devices            %llu   (sketch: %llu)\n"
                 "  on Wi-Fi (end)     %llu\n"
                 "  TCP connects       %llu   (%llu B sent, %llu B received)\n"
                 "  GPIO changed       %llu devices\n"
                 "  TLS handshakes     %llu   (%llu failed; p50 %u ms, p99 %u ms, device time)\n"
                 "  loop passes        %llu run, %llu skipped as idle\n"
                 "  crashes            %llu\n",
                 (unsigned long long)s["devices"], c("devices"), c("wifi_joined"), c("tcp_connects"), c("tx_bytes"),
                 c("rx_bytes"), c("gpio_changed_devices"), (unsigned long long)s["handshakes"],
                 (unsigned long long)s["connect_failures"], (unsigned)h["p50"], (unsigned)h["p99"],
                 c("loop_passes_run"), c("loop_passes_skipped"), (unsigned long long)s["crashes"]);
  } else {
    n = snprintf(buf, sizeof buf,
                 "  devices            %llu\n"
                 "  connected (end)    %llu   (ever: %llu)\n"
                 "  connect failures   %llu\n"
                 "  crashes            %llu\n"
                 "  published          %llu\n"
                 "  handshake ms       p50 %u   p99 %u   max %u   (%llu handshakes, device time)\n",
                 (unsigned long long)s["devices"], (unsigned long long)s["connected"],
                 (unsigned long long)s["ever_connected"], (unsigned long long)s["connect_failures"],
                 (unsigned long long)s["crashes"], (unsigned long long)s["published"], (unsigned)h["p50"],
                 (unsigned)h["p99"], (unsigned)h["max"], (unsigned long long)s["handshakes"]);
  }
  n = std::clamp(n, 0, int(sizeof buf) - 1);
  n += snprintf(buf + n, sizeof buf - size_t(n),
                "  heap free min      %u B   max block min %u B   frag max %u %%\n"
                "  host               %.1f s wall, worst wake-up lag %.1f ms\n",
                (unsigned)s["heap_free_min"], (unsigned)s["heap_max_block_min"], (unsigned)s["heap_frag_max"],
                double(s["host"]["wall_s"]), double(s["host"]["lag_max_ms"]));
  n = std::min(n, int(sizeof buf) - 1);
  std::string out(buf, size_t(std::max(n, 0)));
  if (const json& d = s.value("delivery", json::object()); d.value("observed", false)) {
    auto count = [&d](const char* k) { return (unsigned long long)d.value(k, uint64_t(0)); };
    snprintf(buf, sizeof buf, "  delivery           %llu of %llu seen, %llu lost, %llu duplicated", count("delivered"),
             count("published"), count("lost"), count("duplicated"));
    out += buf;
    if (count("acknowledged")) {
      snprintf(buf, sizeof buf, "; %llu acknowledged, %llu of them lost", count("acknowledged"),
               count("acknowledged_lost"));
      out += buf;
    }
    if (const json& l = d.value("latency_ms", json::object()); l.value("count", 0) > 0) {
      snprintf(buf, sizeof buf, "; latency p50 %.1f ms, p99 %.1f ms", l.value("p50", 0.0), l.value("p99", 0.0));
      out += buf;
    }
    out += "\n";
  }
  for (const char* split : {"chips", "firmware", "groups"})
    if (const json& g = s.value(split, json::object()); g.size() > 1)
      for (auto& [name, f] : g.items()) {
        snprintf(buf, sizeof buf,
                 "  %-5s %-12s %llu devices, %llu connected, %llu failures, %llu crashes, handshake p99 %u ms, heap "
                 "free min %u B\n",
                 split[0] == 'c'   ? "chip"
                 : split[0] == 'f' ? "fw"
                                   : "group",
                 name.c_str(), (unsigned long long)f.value("devices", uint64_t(0)),
                 (unsigned long long)f.value("connected", uint64_t(0)),
                 (unsigned long long)f.value("connect_failures", uint64_t(0)),
                 (unsigned long long)f.value("crashes", uint64_t(0)),
                 unsigned(f.value("handshake_ms", json::object()).value("p99", 0u)),
                 unsigned(f.value("heap_free_min", 0u)));
        out += buf;
      }
  if (s.contains("crashes_by_reason") && !s["crashes_by_reason"].empty()) {
    out += "  crashes by reason  ";
    const char* sep = "";
    for (auto& [k, v] : s["crashes_by_reason"].items()) {
      out += sep + k + ": " + std::to_string(v.get<uint64_t>());
      sep = ", ";
    }
    out += "\n";
    if (s.contains("heap_maps_written"))
      out += "  heap maps          " + std::to_string(s["heap_maps_written"].get<uint64_t>()) + " in heap/" +
             (s.value("heap_maps_skipped", 0) ? " (" + std::to_string(s["heap_maps_skipped"].get<uint64_t>()) +
                                                    " more not written: --max-heap-maps)"
                                              : std::string()) +
             "\n";
    if (!s.value("tapes", std::string()).empty())
      out += "  replay a device    espfleet replay " + s.value("run_dir", std::string("RUN_DIR")) + " --device " +
             (s.contains("crashed_devices") && !s["crashed_devices"].empty()
                  ? std::to_string(s["crashed_devices"][0].get<uint32_t>())
                  : std::string("ID")) +
             "   (crashed: " + s["crashed_devices"].dump() + ")\n";
  }
  if (s["host"].value("overloaded", false)) out += "  host overloaded    " + overload_warning(s) + "\n";
  if (!s["tls_errors"].empty()) {
    out += "  TLS errors (last per device):\n";
    for (auto& [k, v] : s["tls_errors"].items()) out += "    " + k + ": " + std::to_string(v.get<uint64_t>()) + "\n";
  }
  if (s.contains("thresholds")) out += thresholds_table(s["thresholds"]);
  return out;
}

}  // namespace espfleet
