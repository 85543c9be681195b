// sim/cli/run_shards.cpp — N shard processes, then one merged run (run_shards.h).
#include "run_shards.h"

#include <cstdlib>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli_error.h"
#include "cmd_merge.h"
#include "output_file.h"
#include "pki.h"
#include "run_dir.h"
#include "run_signals.h"
#include "subprocess.h"
#include "thresholds.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// --metrics HOST:PORT for N shards: shard I serves at HOST:PORT+I (each process its own listener).
std::string shard_metrics_address(const std::string& address, uint32_t i, uint32_t shards) {
  const size_t colon = address.rfind(':');
  char* end = nullptr;
  const unsigned long port = colon == std::string::npos ? 0 : std::strtoul(address.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || !end || *end || port == 0 || port + shards - 1 > 65535)
    throw CliError("--metrics " + address + ": with --shards " + std::to_string(shards) + " give HOST:PORT with PORT+" +
                   std::to_string(shards - 1) + " at most 65535 (shard I serves at PORT+I)");
  return address.substr(0, colon + 1) + std::to_string(port + i);
}

// The per-shard command: the launcher's own options, less --shards, plus the shard's.
std::vector<std::string> shard_argv(const RunOptions& o, uint32_t i, const fs::path& out, const std::string& broker,
                                    const fs::path& pki) {
  std::vector<std::string> a = {
      "/proc/self/exe", "run",        o.scenario, "--shard", std::to_string(i) + "/" + std::to_string(o.shards),
      "--out",          out.string(), "--quiet"};
  auto opt = [&a](const char* name, const std::string& v) {
    if (!v.empty()) a.insert(a.end(), {name, v});
  };
  for (const std::string& s : o.sets) opt("--set", s);
  opt("--devices", o.devices);
  opt("--duration", o.duration);
  opt("--seed", o.seed);
  opt("--mode", o.mode);
  opt("--start-at", o.start_at);
  if (!o.metrics.empty()) opt("--metrics", shard_metrics_address(o.metrics, i, o.shards));
  opt("--broker", broker);
  opt("--ca", o.ca);
  opt("--device-ca-cert", o.device_ca_cert);
  opt("--device-ca-key", o.device_ca_key);
  opt("--timeline", o.timelines);
  opt("--max-heap-maps", std::to_string(o.max_heap_maps));
  if (!pki.empty()) opt("--pki", pki.string());
  opt("--firmware", o.firmware);
  for (const std::string& l : o.libraries) opt("--library", l);
  if (o.no_tapes) a.push_back("--no-tapes");
  return a;
}

}  // namespace

int cmd_run_shards(const RunOptions& o) {
  RunSignals signals;
  try {
    if (!o.shard.empty())
      throw CliError("--shards " + std::to_string(o.shards) + " runs every shard: not with --shard");
    if (!o.metrics.empty())
      (void)shard_metrics_address(o.metrics, o.shards - 1, o.shards);  // checked before any starts
    std::vector<std::string> brokers = o.broker.empty() ? std::vector<std::string>{""} : split_commas(o.broker);
    if (brokers.size() != 1 && brokers.size() != o.shards)
      throw CliError("--broker " + o.broker + ": " + std::to_string(brokers.size()) + " endpoints for --shards " +
                     std::to_string(o.shards) + " (give one for all, or one per shard)");
    fs::path dir = prepare_run_dir(o.out, o.force);
    // One CA for every shard's embedded broker: a device's certificate is the same in any shard.
    fs::path pki = o.pki;
    if (o.broker.empty() && pki.empty()) {
      pki = dir / "pki";
      CertificateAuthority::create(KeyType::rsa2048, "espfleet run CA").save(pki);
    }
    make_directory(dir / "logs", 0755);
    std::vector<Subprocess> children;
    std::vector<fs::path> shard_dirs;
    for (uint32_t i = 0; i < o.shards; ++i) {
      shard_dirs.push_back(dir / ("shard-" + std::to_string(i)));
      SpawnSpec spec;
      spec.argv = shard_argv(o, i, shard_dirs.back(), brokers[brokers.size() == 1 ? 0 : i], pki);
      spec.stdout_file = spec.stderr_file = dir / "logs" / ("shard-" + std::to_string(i) + ".log");
      spec.raise_nofile = true;
      spec.die_with_parent = true;
      children.push_back(Subprocess::spawn(spec));
    }
    std::fprintf(stderr, "espfleet: %u shards started (logs in %s/logs)\n", o.shards, dir.c_str());
    std::vector<std::optional<ExitStatus>> done(o.shards);
    bool passed_on = false;
    auto since_signal = std::chrono::steady_clock::time_point{};
    for (uint32_t finished = 0; finished < o.shards;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (signals.interrupted() && !passed_on) {
        for (Subprocess& c : children)
          if (c.running()) c.send_signal(signals.first());
        passed_on = true;
        since_signal = std::chrono::steady_clock::now();
      }
      for (uint32_t i = 0; i < o.shards; ++i) {
        if (done[i] || children[i].running()) continue;
        done[i] = children[i].status();
        ++finished;
        std::fprintf(stderr, "espfleet: shard %u/%u ended: %s\n", i, o.shards, done[i]->describe().c_str());
      }
      // A shard that does not finish its outputs a minute after the signal is stopped.
      if (passed_on && std::chrono::steady_clock::now() - since_signal > std::chrono::seconds(60))
        for (Subprocess& c : children)
          if (c.running()) c.terminate();
    }
    std::vector<fs::path> with_outputs;
    for (const fs::path& d : shard_dirs)
      if (fs::exists(d / "summary.json")) with_outputs.push_back(d);
    if (with_outputs.empty()) throw CliError("no shard wrote its outputs: see " + (dir / "logs").string());
    nlohmann::ordered_json m = merge_runs(with_outputs, dir);
    print_merged(m, o.json);
    if (signals.interrupted()) return signals.exit_code();
    for (uint32_t i = 0; i < o.shards; ++i)
      if (!done[i]->ok()) {
        std::fprintf(stderr, "espfleet run: shard %u/%u failed (%s): see %s\n", i, o.shards,
                     done[i]->describe().c_str(), (dir / "logs" / ("shard-" + std::to_string(i) + ".log")).c_str());
        return done[i]->code > 0 ? done[i]->code : kExitBadInput;
      }
    if (!m["shards_missing"].empty()) return kExitBadInput;
    if (m.contains("thresholds") && any_threshold_failed(m["thresholds"])) {
      std::fprintf(stderr, "espfleet run: a threshold failed: %s\n", failed_thresholds(m["thresholds"]).c_str());
      return kExitThresholdFailed;
    }
    return 0;
  } catch (const std::exception& e) {
    return signals.interrupted() ? (report_command_error("run", e), signals.exit_code())
                                 : report_command_error("run", e);
  }
}

}  // namespace espfleet
