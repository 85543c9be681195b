// sim/cli/cmd_run.cpp — `espfleet run`: scenario → run directory → broker → devices → fleet →
// outputs. Signals (SIGINT, SIGTERM, SIGHUP) are handled for the whole command: whatever phase
// one arrives in, the run stops there and everything measured so far is written.
#include "cmd_run.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli_error.h"
#include "delivery_observer.h"
#include "fleet.h"
#include "heap_map.h"
#include "heap_timeline.h"
#include "host_usage.h"
#include "live_metrics.h"
#include "nodemcu_files.h"
#include "output_file.h"
#include "progress_line.h"
#include "report.h"
#include "rng.h"
#include "run_broker.h"
#include "run_dir.h"
#include "run_outputs.h"
#include "run_record.h"
#include "run_signals.h"
#include "scenario.h"
#include "session.h"
#include "shard.h"
#include "sketch_build.h"
#include "sketch_image.h"
#include "tape.h"
#include "thresholds.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

// Every device holds a socket: raise the soft open-file limit to the hard one, and say clearly
// when the fleet cannot fit.
void ensure_fd_limit(uint32_t devices) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t need = rlim_t(devices) + 64;
  if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
    throw std::runtime_error("fleet.devices = " + std::to_string(devices) + " needs " + std::to_string(need) +
                             " open files, but this process may hold only " + std::to_string(rl.rlim_cur) +
                             " (hard limit); run the fleet in shards of at most " +
                             std::to_string(rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 0) + " devices");
}

// The CLI's own overrides become scenario overrides, each named in messages as it was given.
struct Overrides {
  std::vector<std::string> sets, shown;
  void add(std::string set, std::string as = {}) {
    sets.push_back(std::move(set));
    shown.push_back(std::move(as));
  }
};

Overrides overrides_of(const RunOptions& o) {
  Overrides ov;
  for (const std::string& s : o.sets) ov.add(s);
  if (!o.devices.empty()) ov.add("fleet.devices=" + o.devices, "--devices " + o.devices);
  if (!o.duration.empty()) ov.add("fleet.duration=\"" + o.duration + "\"", "--duration " + o.duration);
  if (!o.seed.empty()) ov.add("fleet.seed=" + o.seed, "--seed " + o.seed);
  if (!o.mode.empty()) ov.add("fleet.mode=\"" + o.mode + "\"", "--mode " + o.mode);
  return ov;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The heap map of every crash, up to a cap (docs/heap.md): written while the heap is still the
// crashed one, with its post-mortem beside it (ID-crash-K.svg, ID-crash-K.txt; the report shows both).
struct CrashMaps {
  fs::path dir;
  size_t cap;
  size_t written = 0, skipped = 0;
  std::vector<std::string>* errors;

  void operator()(Device& d, ResetReason reason, const std::string& text, const std::string& record) {
    if (written >= cap) {
      skipped++;
      return;
    }
    written++;
    size_t nth = d.life().crashes().size();
    std::string title = "dev " + std::to_string(d.id()) + " crash " + std::to_string(nth) + " (reset reason " +
                        std::to_string(reset_code(reason, d.config().chip)) + "): " + text;
    try {
      make_directory(dir);
      const std::string stem = std::to_string(d.id()) + "-crash-" + std::to_string(nth);
      write_file_atomically(dir / (stem + ".svg"),
                            render_heap_svg(heap_map_snapshot(d.heap().model(), d.heap().tags()), title));
      char at[48];
      std::snprintf(at, sizeof at, "[%.6f] ", d.now().seconds());
      write_file_atomically(dir / (stem + ".txt"), at + title + "\n" + record);
    } catch (const std::exception& e) {
      errors->push_back(e.what());
    }
  }
};

// What each device runs: a group's NodeMCU project (device.firmware), else the run's program (the
// built-in firmware, or --firmware's sketch or NodeMCU project), with the files it brings.
struct RunPrograms {
  Program base;
  std::vector<FlashFile> base_files;
  std::map<std::string, std::vector<FlashFile>> nodemcu;  // device.firmware as written → its files

  const Program& program(const DeviceConfig& c) const { return c.firmware.empty() ? base : kNodeMcuProgram; }
  const std::vector<FlashFile>& files(const DeviceConfig& c) const {
    return c.firmware.empty() ? base_files : nodemcu.at(c.firmware);
  }
};

// The NodeMCU projects the scenario's groups name, each read once (relative to the scenario file's
// folder); a folder that is not one is refused, naming the key and the group.
void load_group_firmware(const Scenario& sc, const std::vector<DeviceConfig>& cfgs, RunPrograms& p, bool quiet) {
  for (const DeviceConfig& c : cfgs) {
    if (c.firmware.empty() || p.nodemcu.count(c.firmware)) continue;
    fs::path dir = c.firmware;
    if (dir.is_relative()) dir = fs::path(sc.source).parent_path() / dir;
    if (!is_nodemcu_project(dir))
      throw CliError(sc.source + ": " + (c.group.empty() ? std::string() : "group " + c.group + ": ") +
                     "device.firmware = " + c.firmware + ": " + dir.string() +
                     " is not a NodeMCU project folder (no init.lua in it)");
    p.nodemcu[c.firmware] = nodemcu_project_files(dir);
    if (!quiet)
      std::fprintf(stderr, "espfleet: firmware of group %s: NodeMCU (Lua 5.1), %zu files from %s\n",
                   c.group.empty() ? "default" : c.group.c_str(), p.nodemcu[c.firmware].size(), dir.c_str());
  }
}

// Every device, booted within fleet.connect_spread, its flash kept beside its tape; stops early
// (returning false) when a signal arrives.
// A shard's devices (cfgs[i] is device shard.first + i) boot when they would in the whole fleet.
bool provision_fleet(Fleet& fleet, const Scenario& sc, const ShardRange& shard, const std::vector<DeviceConfig>& cfgs,
                     RunBroker& b, const fs::path& dir, bool record_tapes, const std::vector<bool>& timeline_for,
                     std::vector<std::unique_ptr<Tape>>& tapes, const RunSignals& signals,
                     const RunPrograms& programs) {
  const uint32_t utc = uint32_t(std::time(nullptr));
  Rng boot_rng(mix_seed(sc.fleet.seed, uint64_t(SeedPurpose::boot)));
  if (record_tapes) make_directory(dir / "tapes", 0700);  // the boot flash holds the device's key
  const int64_t spread_us = sc.fleet.connect_spread.us;
  for (uint32_t id = 0; id < shard.end; ++id) {
    // One draw per device of the whole fleet, in id order: a device's boot time is its own.
    VTime boot_at = VTime::from_us(spread_us > 0 ? int64_t(boot_rng.below(uint64_t(spread_us))) : 0);
    if (!shard.holds(id)) continue;
    if (signals.interrupted()) return false;
    const DeviceConfig& c = cfgs[id - shard.first];
    const Program& program = programs.program(c);
    const std::vector<FlashFile>& program_files = programs.files(c);
    std::vector<uint8_t> flash = provision_device(id, sc.fleet.seed, c, b.endpoint, b.ca ? &*b.ca : nullptr, utc,
                                                  program.image != nullptr || !program_files.empty(), &program_files);
    if (record_tapes) write_boot_flash(boot_flash_path(dir, id).string(), flash);
    Device& dev = fleet.add_device(DeviceSpec{id, c, sc.fleet.seed, std::move(flash), boot_at, program});
    if (record_tapes) {
      tapes.push_back(std::make_unique<Tape>());
      dev.net().set_recorder(tapes.back().get());
    }
    if (timeline_for[id]) dev.heap().keep_timeline(std::make_unique<HeapTimeline>());
  }
  return true;
}

double wall_epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// --start-at: Unix seconds (a fraction allowed); 0 when not given.
double parse_start_at(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end || !(v > 0) || v > 4102444800.0)  // 2100-01-01
    throw CliError("--start-at " + text + ": expected a Unix time in seconds, e.g. $(( $(date +%s) + 30 ))");
  return v;
}

}  // namespace

void add_run_options(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("SCENARIO", o.scenario, "Scenario file (TOML); see docs/scenario-reference.md")->required();
  cmd.add_option("--devices", o.devices, "Number of devices (overrides fleet.devices)");
  cmd.add_option("--duration", o.duration, "Run length in device time, e.g. 60s, 5m (overrides fleet.duration)");
  cmd.add_option("--seed", o.seed, "Master seed (overrides fleet.seed)");
  cmd.add_option("--mode", o.mode, "realtime (default: devices never run ahead of the wall clock) or fast");
  cmd.add_option("--broker", o.broker, "Use your broker at HOST:PORT instead of the embedded Mosquitto");
  cmd.add_option("--ca", o.ca, "Trust anchor (PEM CA certificate) for --broker");
  cmd.add_option("--device-ca-cert", o.device_ca_cert,
                 "CA certificate (PEM) that signs every device's client certificate (CN = client id), for your broker")
      ->check(CLI::ExistingFile);
  cmd.add_option("--device-ca-key", o.device_ca_key, "Private key (PEM) of --device-ca-cert")->check(CLI::ExistingFile);
  cmd.add_option("--out", o.out, "Run directory (default: runs/YYYYmmdd-HHMMSS); a directory holding a run is refused");
  cmd.add_flag("--force", o.force, "Reuse an --out directory that holds an earlier run: clear it first");
  cmd.add_option("--set", o.sets, "Override any scenario key, e.g. --set device.cpu_mhz=160 (repeatable)");
  cmd.add_flag("--quiet", o.quiet, "No live progress line");
  cmd.add_flag("--json", o.json, "Print summary.json to stdout instead of the table");
  cmd.add_flag("--no-tapes", o.no_tapes, "Keep no device tapes (RUN_DIR/tapes; `espfleet replay` needs them)");
  cmd.add_option("--timeline", o.timelines,
                 "Write heap timelines (RUN_DIR/heap/ID-timeline.svg and .csv) of these devices: ID[,ID...] or all");
  cmd.add_option("--max-heap-maps", o.max_heap_maps, "Write at most N crash heap maps (RUN_DIR/heap/ID-crash-K.svg)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--shard", o.shard,
                 "Run shard I of N (I/N, from 0): devices [I*D/N, (I+1)*D/N) of the D-device fleet, with their global "
                 "ids, seeds and certificates; combine shards with `espfleet merge` (docs/scale.md)");
  cmd.add_option("--start-at", o.start_at,
                 "Start the devices at this wall time (Unix seconds) after setting up: a barrier for shards started "
                 "apart (docs/cluster.md); a time already past starts at once");
  cmd.add_option("--metrics", o.metrics,
                 "Serve Prometheus metrics at HOST:PORT while the run goes on (docs/outputs.md, \"Live metrics\")");
  cmd.add_option("--shards", o.shards,
                 "Run the fleet as N shards in N processes on this host (each with its own embedded broker, or the "
                 "--broker endpoints given comma-separated, one per shard) and merge them into --out")
      ->check(CLI::Range(2u, 256u));
  cmd.add_option("--pki", o.pki,
                 "The embedded broker's CA: DIR/ca.crt and DIR/ca.key (e.g. from `espfleet pki`) instead of a new one; "
                 "shards of one fleet share it so each device's certificate is the same in any shard")
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--firmware", o.firmware,
                 "Run this Arduino sketch folder (NAME/NAME.ino, docs/sketches.md), or this NodeMCU project folder "
                 "(its init.lua and the files it loads, docs/nodemcu.md), on every device instead of the built-in "
                 "firmware");
  cmd.add_option("--library", o.libraries,
                 "A library the sketch may include (Arduino layout), or a folder of libraries (repeatable)");
}

int cmd_run(const RunOptions& o) {
  RunSignals signals;  // from here on a signal stops the run; it never loses the outputs
  auto t_start = std::chrono::steady_clock::now();
  try {
    Overrides ov = overrides_of(o);
    Scenario sc = load_scenario(o.scenario, ov.sets, ov.shown);
    const double start_at = parse_start_at(o.start_at);
    if (std::vector<std::string> bad = unknown_threshold_figures(sc); !bad.empty()) {
      std::string msg = o.scenario + ":";
      for (const std::string& b : bad) msg += "\n  " + b;
      throw CliError(msg);
    }
    const ShardRange shard = parse_shard(o.shard, sc.fleet.devices);
    const uint32_t n = shard.size();  // the devices this process runs
    ensure_fd_limit(n);
    std::vector<bool> timeline_for = parse_device_list(o.timelines, sc.fleet.devices, "--timeline");
    const std::string broker_url = o.broker.empty() ? sc.broker.url : o.broker;
    check_broker_options(o, broker_url);
    stop_stale_brokers_saying_so();

    // A user's sketch instead of the built-in firmware: built (or found in the cache) and loaded
    // before anything is written, so a sketch that cannot run leaves no run directory behind.
    LoadedSketch loaded;
    std::vector<FlashFile> lua_files;  // a NodeMCU project's files
    const bool nodemcu = !o.firmware.empty() && is_nodemcu_project(o.firmware);
    if (nodemcu) {
      lua_files = nodemcu_project_files(o.firmware);
      if (!o.quiet)
        std::fprintf(stderr, "espfleet: firmware: NodeMCU (Lua 5.1), %zu files from %s\n", lua_files.size(),
                     o.firmware.c_str());
    } else if (!o.firmware.empty()) {
      loaded = load_sketch(SketchSource{o.firmware, {o.libraries.begin(), o.libraries.end()}, default_sketch_cache()});
      if (!o.quiet)
        std::fprintf(stderr, "espfleet: firmware: sketch %s%s, %zu bytes of globals per device\n",
                     loaded.build.name.c_str(), loaded.build.cached ? " (cached build)" : "",
                     loaded.image->image().state_bytes);
    }
    const SketchImage* sketch = loaded.image.get();
    std::vector<DeviceConfig> cfgs;
    cfgs.reserve(n);
    size_t max_heap = 0;
    for (uint32_t id = shard.first; id < shard.end; ++id) {
      cfgs.push_back(sc.for_device(id));
      max_heap = std::max<size_t>(max_heap, cfgs.back().heap_bytes);
    }
    RunPrograms programs{sketch ? sketch->program() : nodemcu ? kNodeMcuProgram : kTasmotaProgram, lua_files, {}};
    load_group_firmware(sc, cfgs, programs, o.quiet);
    // Listening first: an address that cannot be had stops the run before it writes anything.
    std::unique_ptr<LiveMetrics> metrics;
    if (!o.metrics.empty()) {
      metrics =
          std::make_unique<LiveMetrics>(o.metrics, std::to_string(shard.index) + "/" + std::to_string(shard.count));
      std::fprintf(stderr, "espfleet: Prometheus metrics at http://%s/metrics\n", o.metrics.c_str());
    }
    fs::path dir = prepare_run_dir(o.out, o.force);
    const RunFirmware fw = sketch    ? RunFirmware{loaded.build.name, loaded.build.so}
                           : nodemcu ? RunFirmware{"nodemcu", {}, FirmwareKind::nodemcu}
                                     : RunFirmware{};
    write_replay_inputs(dir, o.scenario, ov.sets, sketch || nodemcu ? &fw : nullptr);
    write_file_atomically(dir / "scenario.resolved.json", sc.resolved().dump(2) + "\n");
    auto dlog = device_logger(dir / "devices.log", "device");

    const bool user_net = sketch || nodemcu || !programs.nodemcu.empty();  // names and ports as a sketch's
    FleetNeeds needs = fleet_needs(cfgs);
    needs.plain |= user_net;          // a sketch's MQTT port 1883 is the broker's plain listener
    needs.plain |= sc.fleet.observe;  // so is the delivery observer's
    RunBroker rb = open_run_broker(o, sc, broker_url, dir, needs);
    // The backend's view: what arrives of the devices' publishes (docs/faults.md, "Delivery").
    std::unique_ptr<DeliveryObserver> observer;
    Fleet* fleet_ptr = nullptr;
    std::vector<HostEvent> host_events = broker_events(sc, rb, fleet_ptr, observer);  // refuses what cannot be
    if (sc.fleet.observe) {
      if (sketch)
        throw CliError(
            "fleet.observe: delivery is accounted for the built-in firmware (a sketch's publishes are its library's)");
      // One per shard and run: an id another client has would take its session over.
      const std::string id = "espfleet-observer-" + std::to_string(::getpid()) + "-" + std::to_string(shard.first);
      observer = std::make_unique<DeliveryObserver>(rb.endpoint.host, rb.endpoint.plain_port, id,
                                                    std::vector<std::string>{"tele/#", "stat/#"});
    }

    RunFacts facts;
    facts.record_tapes = !o.no_tapes;
    facts.seed = sc.fleet.seed;
    // A shard's figures are part of a fleet's: its thresholds are checked on the merged run.
    facts.thresholds = shard.sharded() ? nullptr : &sc.fleet.thresholds;
    facts.scenario = &sc;
    if (shard.sharded()) facts.shard = shard.to_json();
    std::vector<std::string> output_errors;
    CrashMaps crash_maps{dir / "heap", size_t(o.max_heap_maps), 0, 0, &output_errors};
    FleetOptions eo;
    eo.mode = sc.fleet.mode;
    eo.skip_idle_steps = sc.fleet.skip_idle;
    eo.duration = VTime::from_us(sc.fleet.duration.us);
    eo.device_log = dlog;
    eo.on_crash = [&crash_maps](Device& d, ResetReason reason, const std::string& text, const std::string& record) {
      crash_maps(d, reason, text, record);
    };
    eo.host_events = std::move(host_events);
    eo.record_publishes = bool(observer);
    if (user_net) eo.sketch_net = SketchNetwork{rb.endpoint.host, rb.endpoint.plain_port, rb.endpoint.tls_port};
    if (n > 20000)
      for (int i = 2; i < 32; ++i) eo.source_addresses.push_back("127.0.0." + std::to_string(i));
    Fleet fleet(eo, n, max_heap);
    fleet_ptr = &fleet;

    std::vector<std::unique_ptr<Tape>> tapes;  // what each device received (replay/tape.h)
    facts.rss_before = rss_bytes();
    auto t0 = std::chrono::steady_clock::now();
    if (signals.interrupted())
      facts.interrupted_in = "setup";
    else if (!provision_fleet(fleet, sc, shard, cfgs, rb, dir, facts.record_tapes, timeline_for, tapes, signals,
                              programs))
      facts.interrupted_in = "provisioning";
    facts.setup_s = seconds_since(t0);
    facts.cpu_before = cpu_seconds_self();  // the run itself, not provisioning (certificate signing)
    facts.provisioned = uint32_t(fleet.devices().size());
    if (!facts.interrupted_in)
      std::fprintf(stderr, "espfleet: %u devices%s ready (%.2f s to provision), %s mode, %.0f s of device time\n", n,
                   shard.sharded() ? (" (ids " + std::to_string(shard.first) + "-" + std::to_string(shard.end - 1) +
                                      ", shard " + o.shard + ")")
                                         .c_str()
                                   : "",
                   facts.setup_s, fleet.realtime() ? "realtime" : "fast", eo.duration.seconds());

    HostTime metrics_at{};
    ProgressLine progress(stderr, isatty(STDERR_FILENO), !o.quiet);
    const auto run_start = std::chrono::steady_clock::now();
    auto note_broker_exit = [&] {
      if (!rb.watch || facts.broker_exit || !(facts.broker_exit = rb.watch->check())) return false;
      facts.broker_exit_at = facts.interrupted_in && std::string(facts.interrupted_in) != "run" ? VTime{} : fleet.now();
      facts.broker_exit_wall = seconds_since(t_start);
      return true;
    };
    fleet.set_on_tick([&]() {
      if (signals.interrupted()) fleet.request_stop();
      if (note_broker_exit()) {
        progress.break_line();
        std::fprintf(stderr,
                     "espfleet: [%7.1fs] the embedded mosquitto (pid %d) exited unplanned: %s; the run goes on without "
                     "a broker\n",
                     facts.broker_exit_at.seconds(), int(facts.broker_exit->pid), facts.broker_exit->how.c_str());
      }
      const FleetProgress p = fleet_progress(fleet);
      if (facts.all_connected.wall_s < 0 && p.devices && p.ever_connected == p.devices) {
        facts.all_connected.wall_s = seconds_since(run_start);
        facts.all_connected.cpu_s = cpu_seconds_self() - facts.cpu_before;
        facts.all_connected.sched = fleet.stats();
        if (rb.broker && rb.broker->pid() > 0) facts.all_connected.broker_cpu_s = cpu_seconds_of(rb.broker->pid());
      }
      progress.update(p);
      if (metrics && host_now().ns - metrics_at.ns >= HostTime::from_ms(250).ns) {  // a few times a second
        metrics_at = host_now();
        metrics->update(fleet, cpu_seconds_self() - facts.cpu_before, rss_bytes());
      }
    });
    if (!facts.interrupted_in && start_at > 0) {  // the barrier: every shard's devices start together
      const double wait = start_at - wall_epoch_seconds();
      if (wait > 0) {
        std::fprintf(stderr, "espfleet: set up; the devices start at %.3f (in %.1f s)\n", start_at, wait);
        while (!signals.interrupted() && wall_epoch_seconds() < start_at)
          std::this_thread::sleep_for(std::chrono::milliseconds(
              std::max<int64_t>(1, std::min<int64_t>(100, int64_t((start_at - wall_epoch_seconds()) * 1000)))));
        if (signals.interrupted()) facts.interrupted_in = "setup";
      } else {
        std::fprintf(stderr, "espfleet: --start-at %.3f has passed (%.1f s ago): the devices start now\n", start_at,
                     -wait);
      }
    }
    if (!facts.interrupted_in) {
      fleet.run();
      if (signals.interrupted()) facts.interrupted_in = "run";
    }
    progress.finish();
    const bool ran = !facts.interrupted_in || std::string(facts.interrupted_in) == "run";
    if (facts.interrupted_in) {
      facts.interrupted_by = RunSignals::name(signals.first());
      std::fprintf(stderr, "espfleet: interrupted by %s during the %s at %.1f s of device time; writing the outputs\n",
                   facts.interrupted_by, facts.interrupted_in, ran ? fleet.now().seconds() : 0.0);
    }
    if (rb.broker) note_broker_exit();  // died in the last moments
    std::vector<DeliveryObserver::Arrival> arrivals;
    if (observer) {  // what is still on its way arrives within a moment of host time
      observer->drain_and_stop(300, 3000);
      arrivals = observer->arrivals();
      facts.arrivals = &arrivals;
    }
    facts.heap_maps = crash_maps.written;
    facts.heap_maps_skipped = crash_maps.skipped;

    nlohmann::ordered_json summary = write_run_outputs(dir, fleet, tapes, rb.broker.get(), facts, output_errors);
    dlog->flush();
    if (rb.broker) rb.broker->stop();
    if (summary["host"].value("overloaded", false))
      std::fprintf(stderr, "espfleet run: warning: the host could not keep up: %s\n",
                   overload_warning(summary).c_str());
    if (o.json)
      std::cout << summary.dump(2) << "\n";
    else
      std::cout << "espfleet run: " << o.scenario << "\n"
                << summary_table(summary) << "  outputs            " << dir.string()
                << "/{summary.json,devices.jsonl,devices.log,report.html}\n";
    if (facts.interrupted_in) return signals.exit_code();
    if (facts.broker_exit) return kExitBrokerExited;
    if (!output_errors.empty()) return kExitOutputsIncomplete;
    if (summary.contains("thresholds") && any_threshold_failed(summary["thresholds"])) {
      std::fprintf(stderr, "espfleet run: a threshold failed: %s\n", failed_thresholds(summary["thresholds"]).c_str());
      return kExitThresholdFailed;
    }
    return 0;
  } catch (const std::exception& e) {
    return signals.interrupted() ? (report_command_error("run", e), signals.exit_code())
                                 : report_command_error("run", e);
  }
}

}  // namespace espfleet
