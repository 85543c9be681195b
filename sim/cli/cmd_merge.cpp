// sim/cli/cmd_merge.cpp — shards into one run (cmd_merge.h).
#include "cmd_merge.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "activity_series.h"
#include "cli_error.h"
#include "delivery.h"
#include "group_figures.h"
#include "html_report.h"
#include "output_file.h"
#include "report.h"
#include "run_dir.h"
#include "run_record.h"
#include "thresholds.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

using json = nlohmann::ordered_json;

struct Shard {
  fs::path dir;
  json summary;
  uint32_t index = 0, count = 1, first = 0, end = 0, fleet = 0;
};

json read_json_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw CliError(file.string() + ": cannot be read (is it a run directory?)");
  try {
    return json::parse(in);
  } catch (const std::exception& e) {
    throw CliError(file.string() + ": not valid JSON: " + e.what());
  }
}

Shard read_shard(const fs::path& dir) {
  Shard s;
  s.dir = dir;
  s.summary = read_json_file(dir / "summary.json");
  const json& sh = s.summary.contains("shard") ? s.summary["shard"] : json();
  try {
    if (sh.is_null()) {  // a whole-fleet run is shard 0 of 1
      s.fleet = s.end = s.summary.at("devices").get<uint32_t>();
    } else {
      s.index = sh.at("index").get<uint32_t>();
      s.count = sh.at("count").get<uint32_t>();
      s.first = sh.at("first_id").get<uint32_t>();
      s.end = sh.at("end_id").get<uint32_t>();
      s.fleet = sh.at("fleet_devices").get<uint32_t>();
    }
    if (!s.summary.contains("histograms"))
      throw CliError("no \"histograms\" (written by an espfleet older than merge)");
  } catch (const CliError& e) {
    throw CliError((dir / "summary.json").string() + ": " + e.what());
  } catch (const std::exception& e) {
    throw CliError((dir / "summary.json").string() + ": damaged \"shard\" or \"devices\": " + e.what());
  }
  return s;
}

uint64_t u(const json& j, const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<uint64_t>() : 0; }
double d(const json& j, const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; }

void sum_map(json& into, const json& from) {
  if (!from.is_object()) return;
  for (auto& [k, v] : from.items()) into[k] = (into.contains(k) ? into[k].get<uint64_t>() : 0) + v.get<uint64_t>();
}

// devices.jsonl of every shard, in shard order (their id ranges rise with the index), each line
// checked to be a device of that shard.
std::string merged_devices(const std::vector<Shard>& shards) {
  std::string out;
  for (const Shard& s : shards) {
    const fs::path file = s.dir / "devices.jsonl";
    std::ifstream in(file);
    if (!in) throw CliError(file.string() + ": cannot be read");
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      uint32_t id = 0;
      try {
        id = json::parse(line).at("id").get<uint32_t>();
      } catch (const std::exception& e) {
        throw CliError(file.string() + ":" + std::to_string(n) + ": not a device record: " + e.what());
      }
      if (id < s.first || id >= s.end)
        throw CliError(file.string() + ":" + std::to_string(n) + ": device " + std::to_string(id) +
                       " is not in this shard's ids [" + std::to_string(s.first) + ", " + std::to_string(s.end) + ")");
      out += line;
      out += '\n';
    }
  }
  return out;
}

// The shards' heap/ files (crash maps and post-mortems, timelines: named by global device id, so
// none collide) into the merged run's heap/, which its report reads.
void copy_heap_files(const std::vector<Shard>& shards, const fs::path& to) {
  for (const Shard& s : shards) {
    const fs::path from = s.dir / "heap";
    if (!fs::is_directory(from)) continue;
    make_directory(to);
    for (const fs::directory_entry& e : fs::directory_iterator(from)) {
      if (!e.is_regular_file()) continue;
      std::error_code ec;
      fs::copy_file(e.path(), to / e.path().filename(), fs::copy_options::overwrite_existing, ec);
      if (ec) throw CliError(e.path().string() + ": cannot be copied to " + to.string() + ": " + ec.message());
    }
  }
}

json merge_summaries(const std::vector<Shard>& shards, const fs::path& out) {
  json m;
  FleetHistograms hist;
  json sketch = json::object(), nodemcu = json::object(), broker_exits = json::array(), output_errors = json::array(),
       listed = json::array(), activity, events = json::array(), delivery;
  std::vector<uint32_t> crashed;
  GroupFigures all;
  std::map<std::string, GroupFigures> groups, chips, firmwares;
  bool interrupted = false;
  json host = json::object();
  double wall = 0, lag = 0, provision = 0, device_s = 0, hs_host_ms = 0, rss_delta = 0, tape_bytes = 0;
  static const char* kSums[] = {"heap_maps_written", "heap_maps_skipped"};
  std::map<std::string, uint64_t> sums;
  static const char* kHostSums[] = {"wakeups",        "caught_up_parks", "devices_lagged",
                                    "lagged_wakeups", "rss_bytes",       "broker_rss_bytes"};
  std::map<std::string, double> host_sums;
  // Every shard's storm over: the last of them ends it, and their CPU adds up (null if one never).
  json all_connected = json{{"wall_s", 0.0}, {"cpu_s", 0.0}, {"broker_cpu_s", 0.0}};
  for (const Shard& s : shards) {
    const json& j = s.summary;
    for (const char* k : kSums) sums[k] += u(j, k);
    try {
      all.merge(GroupFigures::from_json(j));
      const json shard_groups = j.value("groups", json::object());
      for (auto& [name, g] : shard_groups.items()) groups[name].merge(GroupFigures::from_json(g));
      const json shard_chips = j.value("chips", json::object());
      for (auto& [name, g] : shard_chips.items()) chips[name].merge(GroupFigures::from_json(g));
      const json shard_firmware = j.value("firmware", json::object());
      for (auto& [name, g] : shard_firmware.items()) firmwares[name].merge(GroupFigures::from_json(g));
    } catch (const std::exception& e) {
      throw CliError((s.dir / "summary.json").string() + ": " + e.what());
    }
    sum_map(sketch, j.value("sketch", json::object()));
    sum_map(nodemcu, j.value("nodemcu", json::object()));
    for (auto& id : j.value("crashed_devices", json::array())) crashed.push_back(id.get<uint32_t>());
    const uint64_t n = u(j, "devices");
    interrupted |= j.value("interrupted", false);
    try {
      merge_activity(activity, j.value("activity", json()));
    } catch (const std::exception& e) {
      throw CliError((s.dir / "summary.json").string() + ": " + e.what());
    }
    merge_events(events, j.value("events", json::array()));
    if (const json dl = j.value("delivery", json()); dl.is_object()) {  // each shard's observer on its broker
      if (delivery.is_null()) delivery = json{{"observed", true}};
      for (const char* k :
           {"published", "acknowledged", "delivered", "lost", "acknowledged_lost", "duplicated", "unmatched"})
        delivery[k] = delivery.value(k, uint64_t(0)) + dl.value(k, uint64_t(0));
      json by = delivery.value("lost_by_fault", json::object());
      sum_map(by, dl.value("lost_by_fault", json::object()));
      delivery["lost_by_fault"] = by;
      if (dl.contains("latency_us_histogram")) {  // the fleet's latency: the shards' histograms added
        Histogram h = delivery.contains("latency_us_histogram") ? Histogram::from_json(delivery["latency_us_histogram"])
                                                                : Histogram{};
        h.merge(Histogram::from_json(dl["latency_us_histogram"]));
        delivery["latency_ms"] = latency_spread(h);
        delivery["latency_us_histogram"] = h.to_json();
      }
    }
    if (j.contains("broker_exited") && !j["broker_exited"].is_null())
      broker_exits.push_back({{"shard", s.index}, {"exit", j["broker_exited"]}});
    for (auto& e : j.value("output_errors", json::array()))
      output_errors.push_back(s.dir.string() + ": " + e.get<std::string>());
    try {
      hist.merge(FleetHistograms::from_summary(j));
    } catch (const std::exception& e) {
      throw CliError((s.dir / "summary.json").string() + ": " + e.what());
    }
    const json& h = j.value("host", json::object());
    for (const char* k : kHostSums) host_sums[k] += d(h, k);
    for (const char* k : {"device_code_s", "cpu_s", "broker_cpu_s"}) host_sums[k] += d(h, k);
    wall = std::max(wall, d(h, "wall_s"));
    const json ac = h.value("all_connected", json());
    if (!ac.is_object() || all_connected.is_null()) {
      all_connected = nullptr;
    } else {
      all_connected["wall_s"] = std::max(double(all_connected["wall_s"]), d(ac, "wall_s"));
      all_connected["cpu_s"] = double(all_connected["cpu_s"]) + d(ac, "cpu_s");
      all_connected["broker_cpu_s"] = double(all_connected["broker_cpu_s"]) + d(ac, "broker_cpu_s");
    }
    lag = std::max(lag, d(h, "lag_max_ms"));
    provision = std::max(provision, d(h, "provision_s"));
    device_s += double(n) * d(h, "wall_s");
    hs_host_ms += d(h, "handshake_ms_host") * double(u(j, "handshakes"));
    rss_delta += d(h, "rss_per_device_bytes") * double(n);
    tape_bytes += d(h, "tape_bytes_per_device") * double(n);
    listed.push_back({{"index", s.index},
                      {"dir", s.dir.string()},
                      {"devices", n},
                      {"first_id", s.first},
                      {"end_id", s.end},
                      {"wall_s", d(h, "wall_s")},
                      {"interrupted", j.value("interrupted", false)}});
  }
  std::sort(crashed.begin(), crashed.end());
  if (crashed.size() > kMaxListedCrashed) crashed.resize(kMaxListedCrashed);
  const uint64_t n = all.devices;
  all.write_counts(m);
  m["crashed_devices"] = crashed;
  m["groups"] = groups_record(groups);
  m["chips"] = groups_record(chips);
  m["firmware"] = groups_record(firmwares);
  if (!sketch.empty()) m["sketch"] = sketch;
  if (!nodemcu.empty()) m["nodemcu"] = nodemcu;
  host["wall_s"] = wall;
  host["lag_max_ms"] = lag;
  host["wakeups"] = uint64_t(host_sums["wakeups"]);
  host["caught_up_parks"] = uint64_t(host_sums["caught_up_parks"]);
  host["devices_lagged"] = uint64_t(host_sums["devices_lagged"]);
  host["lagged_wakeups"] = uint64_t(host_sums["lagged_wakeups"]);
  host["device_code_s"] = host_sums["device_code_s"];
  host["handshake_ms_host"] = hist.handshake_ms.count() ? hs_host_ms / double(hist.handshake_ms.count()) : 0.0;
  m["host"] = host;
  add_distributions(m, hist);
  json& h = m["host"];
  h["rss_bytes"] = uint64_t(host_sums["rss_bytes"]);
  h["rss_per_device_bytes"] = n ? uint64_t(rss_delta / double(n)) : 0;
  h["cpu_s"] = host_sums["cpu_s"];
  h["tape_bytes_per_device"] = n ? uint64_t(tape_bytes / double(n)) : 0;
  h["provision_s"] = provision;
  h["cpu_us_per_device_second"] = device_s > 0 ? host_sums["cpu_s"] * 1e6 / device_s : 0.0;
  if (host_sums["broker_rss_bytes"] > 0) {
    h["broker_rss_bytes"] = uint64_t(host_sums["broker_rss_bytes"]);
    h["broker_cpu_s"] = host_sums["broker_cpu_s"];
  }
  h["all_connected"] = all_connected;
  m["interrupted"] = interrupted;
  m["heap_maps_written"] = sums["heap_maps_written"];
  m["heap_maps_skipped"] = sums["heap_maps_skipped"];
  m["tapes"] = "";  // each shard keeps its own: espfleet replay SHARD_DIR --device ID
  m["broker_exited"] = broker_exits.empty() ? json(nullptr) : broker_exits;
  m["activity"] = activity;
  m["events"] = events;
  if (!delivery.is_null()) m["delivery"] = delivery;
  m["shards"] = listed;
  const uint32_t count = shards.front().count;
  json missing = json::array();
  for (uint32_t i = 0, k = 0; i < count; ++i) {
    if (k < shards.size() && shards[k].index == i)
      ++k;
    else
      missing.push_back(i);
  }
  m["shards_missing"] = missing;
  m["fleet_devices"] = shards.front().fleet;
  m["run_dir"] = out.string();
  m["output_errors"] = output_errors;
  return m;
}

}  // namespace

json merge_runs(const std::vector<fs::path>& dirs, const fs::path& out) {
  if (dirs.empty()) throw CliError("give the shards' run directories");
  std::vector<Shard> shards;
  for (const fs::path& d : dirs) shards.push_back(read_shard(d));
  std::sort(shards.begin(), shards.end(), [](const Shard& a, const Shard& b) { return a.index < b.index; });
  for (size_t i = 0; i < shards.size(); ++i) {
    const Shard& s = shards[i];
    if (s.count != shards[0].count || s.fleet != shards[0].fleet)
      throw CliError(s.dir.string() + ": shard " + std::to_string(s.index) + "/" + std::to_string(s.count) + " of " +
                     std::to_string(s.fleet) + " devices is not of the fleet of " + shards[0].dir.string() + " (" +
                     std::to_string(shards[0].count) + " shards of " + std::to_string(shards[0].fleet) + ")");
    if (i > 0 && s.index == shards[i - 1].index)
      throw CliError(s.dir.string() + " and " + shards[i - 1].dir.string() + " are both shard " +
                     std::to_string(s.index));
  }
  std::string devices = merged_devices(shards);
  json m = merge_summaries(shards, out);
  // The fleet's thresholds, on the merged figures (the shards ran one scenario).
  if (const Scenario sc = load_replay_scenario(shards.front().dir); !sc.fleet.thresholds.empty())
    m["thresholds"] = evaluate_thresholds(sc.fleet.thresholds, m);
  write_file_atomically(out / "devices.jsonl", devices);
  write_file_atomically(out / "summary.json", m.dump(2) + "\n");
  copy_heap_files(shards, out / "heap");
  write_html_report(out);
  return m;
}

CLI::App* add_merge_command(CLI::App& app, MergeOptions& o) {
  CLI::App* c = app.add_subcommand(
      "merge", "Combine the run directories of a fleet's shards (run --shard I/N) into one run directory");
  c->add_option("RUN_DIR", o.dirs, "The shards' run directories")->required()->check(CLI::ExistingDirectory);
  c->add_option("--out", o.out, "The merged run directory (default: runs/YYYYmmdd-HHMMSS)");
  c->add_flag("--force", o.force, "Reuse an --out directory that holds an earlier run: clear it first");
  c->add_flag("--json", o.json, "Print the merged summary.json instead of the table");
  return c;
}

void print_merged(const json& m, bool as_json) {
  if (as_json) {
    std::cout << m.dump(2) << "\n";
    return;
  }
  std::cout << "espfleet merge: " << m["shards"].size() << " shards of a " << m["fleet_devices"].get<uint64_t>()
            << "-device fleet\n"
            << summary_table(m);
  if (!m["shards_missing"].empty())
    std::cout << "  shards missing     " << m["shards_missing"].dump() << " (their devices are not counted)\n";
  std::cout << "  outputs            " << m["run_dir"].get<std::string>()
            << "/{summary.json,devices.jsonl,report.html}\n";
}

int cmd_merge(const MergeOptions& o) {
  try {
    std::vector<fs::path> dirs(o.dirs.begin(), o.dirs.end());
    for (const fs::path& d : dirs)
      if (!fs::exists(d / "summary.json")) throw CliError(d.string() + ": no summary.json (not a run directory)");
    fs::path out = prepare_run_dir(o.out, o.force);
    json m = merge_runs(dirs, out);
    print_merged(m, o.json);
    if (!m["shards_missing"].empty()) {
      std::fprintf(stderr, "espfleet merge: shards %s are missing: the merged run is incomplete\n",
                   m["shards_missing"].dump().c_str());
      return kExitBadInput;
    }
    if (m.contains("thresholds") && any_threshold_failed(m["thresholds"])) {
      std::fprintf(stderr, "espfleet merge: a threshold failed: %s\n", failed_thresholds(m["thresholds"]).c_str());
      return kExitThresholdFailed;
    }
    return 0;
  } catch (const std::exception& e) {
    return report_command_error("merge", e);
  }
}

}  // namespace espfleet
