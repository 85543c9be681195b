// sim/cli/cmd_replay.cpp — `espfleet replay`: boot one device from its tape header, play its tape
// instead of the network, report its crashes and its digest, compare with devices.jsonl.
#include "cmd_replay.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <unordered_map>

#include "cli_error.h"
#include "fleet.h"
#include "heap_map.h"
#include "heap_timeline.h"
#include "heap_trace.h"
#include "report.h"
#include "run_record.h"
#include "session.h"
#include "sketch_image.h"
#include "tape.h"
#include "tape_transport.h"
#include "units.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

// The device's record in RUN_DIR/devices.jsonl, or null; *damage names what could not be read
// (a missing file, or the first line that is not a device record).
nlohmann::json recorded_device(const fs::path& dir, uint32_t id, std::string* damage) {
  fs::path file = dir / "devices.jsonl";
  std::ifstream f(file);
  if (!f) {
    *damage = file.string() + ": missing";
    return nullptr;
  }
  std::string line;
  for (size_t lineno = 1; std::getline(f, line); ++lineno) {
    try {
      auto j = nlohmann::json::parse(line);
      if (!j.is_object() || !j.contains("id")) throw std::runtime_error("not a device record");
      if (j.value("id", -1L) == long(id)) return j;
    } catch (const std::exception& e) {
      if (damage->empty())
        *damage = file.string() + " line " + std::to_string(lineno) + " is damaged (" + e.what() + ")";
    }
  }
  return nullptr;
}

}  // namespace

CLI::App* add_replay_command(CLI::App& app, ReplayOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Run one device of a recorded run again from its seed and tape, with no broker; prints its crashes and digest");
  cmd->add_option("RUN_DIR", o.run_dir, "Run directory of `espfleet run` (with tapes/)")->required();
  cmd->add_option("--device", o.device, "Device id")->required()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--until-crash", o.until_crash, "Stop after the device's first crash");
  cmd->add_option("--stop-at", o.stop_at, "Stop at this device time, e.g. 90s, 2h");
  cmd->add_option("--trace-heap", o.trace_heap, "Write every heap request to FILE in the `espfleet heap` trace format");
  cmd->add_option("--timeline", o.timeline, "Write the device's heap timeline to FILE (.svg, or .csv)");
  cmd->add_option("--heap-map", o.heap_map,
                  "Write the heap map where the replay stops (with --until-crash: the crashed heap) to FILE (.svg, or "
                  ".txt for ASCII)");
  cmd->add_option("--log", o.log, "The device's log (default RUN_DIR/replay/ID.log)");
  cmd->add_flag("--json", o.json, "Print the result as one JSON object");
  return cmd;
}

int cmd_replay(const ReplayOptions& o, const std::string& command_line) {
  try {
    fs::path dir = o.run_dir;
    if (!fs::is_directory(dir)) throw std::runtime_error(o.run_dir + ": no such run directory");
    Scenario sc = load_replay_scenario(dir);
    if (o.device < 0 || uint64_t(o.device) >= sc.fleet.devices)
      throw std::runtime_error("--device " + std::to_string(o.device) + ": the run had devices 0.." +
                               std::to_string(sc.fleet.devices - 1));
    const uint32_t id = uint32_t(o.device);
    TapeHeader h;
    Tape tape = read_tape_file(tape_path(dir, id).string(), boot_flash_path(dir, id).string(), h);
    if (h.device != id)
      throw std::runtime_error(tape_path(dir, id).string() + ": the tape is device " + std::to_string(h.device) + "'s");
    DeviceConfig cfg = sc.for_device(id);
    // A sketch's run replays with the run's own copy of the sketch.
    std::unique_ptr<SketchImage> sketch;
    bool nodemcu = false;  // NodeMCU: its Lua files are in the boot flash
    if (std::optional<RunFirmware> fw = load_replay_firmware(dir)) {
      if (fw->kind == FirmwareKind::nodemcu)
        nodemcu = true;
      else
        sketch = SketchImage::load(fw->so, fw->name);
    }

    VTime stop_at = h.duration;
    if (!o.stop_at.empty()) {
      Duration d;
      try {
        d = parse_duration(o.stop_at);
      } catch (const std::exception& e) {
        throw std::runtime_error("--stop-at '" + o.stop_at + "': " + e.what());
      }
      stop_at = std::min(stop_at, VTime::from_us(d.us));
    }
    fs::path log_path = o.log.empty() ? dir / "replay" / (std::to_string(id) + ".log") : fs::path(o.log);
    if (o.log.empty())
      fs::create_directories(log_path.parent_path());  // the run directory's own
    else if (log_path.has_parent_path() && !fs::is_directory(log_path.parent_path()))
      throw std::runtime_error("--log " + o.log + ": " + log_path.parent_path().string() + " is not a directory");
    auto dlog = device_logger(log_path, "replay");

    struct Crash {
      std::string reason;
      int code;
      double t;
      std::string digest;
    };
    std::vector<Crash> crashes;
    std::optional<HeapMapData> map_at_crash;
    Fleet* engine_ptr = nullptr;
    const bool whole_tape = stop_at >= h.duration && h.end_slices > 0;
    TapeTransport transport(tape, id, whole_tape ? h.end_slices : 0);
    FleetOptions eo;
    eo.mode = RunMode::fast;
    eo.skip_idle_steps = sc.fleet.skip_idle;  // as the run did: the same slices
    // A whole tape ends at the recorded slice count, not at the duration: a realtime run can
    // start a device's last slice before its end and finish it after (a device is ahead of the
    // wall by up to one slice, and no slice outlasts the ~8.2 s hardware watchdog).
    eo.duration = whole_tape ? h.duration + VTime::from_ms(60000) : stop_at;
    eo.device_log = dlog;
    eo.transport = &transport;
    eo.after_slice = [&transport](Device& d) { transport.after_slice(d.net()); };
    // A sketch's names resolve as in the run (to the broker); the tape stands in for what answers.
    if (sketch || nodemcu || !cfg.firmware.empty()) eo.sketch_net = SketchNetwork{"127.0.0.1", 1883, 8883};
    eo.on_crash = [&](Device& d, ResetReason reason, const std::string& text, const std::string&) {
      crashes.push_back(
          {text, reset_code(reason, d.config().chip), d.now().seconds(), digest_hex(d.life().crashes().back().digest)});
      if (!o.json)
        std::printf("crash: %s  (reset reason %d, at %.6f s, digest %s)\n", text.c_str(),
                    reset_code(reason, d.config().chip), d.now().seconds(), crashes.back().digest.c_str());
      if (o.until_crash && engine_ptr) {
        if (!o.heap_map.empty())
          map_at_crash = heap_map_snapshot(d.heap().model(), d.heap().tags());  // before the reboot
        engine_ptr->request_stop();
      }
    };
    Fleet engine(eo, 1, cfg.heap_bytes);
    engine_ptr = &engine;
    if (!o.json) {
      std::printf("espfleet replay: %s device %u, tape of %zu events (%zu bytes), recorded in %s mode\n",
                  o.run_dir.c_str(), id, tape.events(), tape.size_bytes(), h.realtime ? "realtime" : "fast");
      std::printf("command: %s\n", command_line.c_str());
    }
    // A group's device.firmware names its NodeMCU project (whose files are in the boot flash too).
    nodemcu |= !cfg.firmware.empty();
    Device& dev = engine.add_device(DeviceSpec{id, cfg, h.master_seed, h.flash, h.boot_at,
                                               nodemcu  ? kNodeMcuProgram
                                               : sketch ? sketch->program()
                                                        : kTasmotaProgram});
    if (!o.json)
      std::printf("seed: fleet %llu, device 0x%016llx (%s)\n", (unsigned long long)h.master_seed,
                  (unsigned long long)dev.identity().seed, dev.identity().client_id.c_str());
    std::fflush(stdout);
    std::unique_ptr<HeapTraceWriter> trace;
    if (!o.trace_heap.empty()) {
      trace = std::make_unique<HeapTraceWriter>(o.trace_heap, id, cfg.chip, cfg.heap_bytes);
      dev.heap().set_observer(trace.get());
    }
    if (!o.timeline.empty()) dev.heap().keep_timeline(std::make_unique<HeapTimeline>());
    engine.run();
    dev.heap().set_observer(nullptr);
    trace.reset();
    dlog->flush();
    if (!o.heap_map.empty()) {
      HeapMapData m = map_at_crash ? *map_at_crash : heap_map_snapshot(dev.heap().model(), dev.heap().tags());
      std::ofstream f(o.heap_map);
      char t[32];
      std::snprintf(t, sizeof t, "%.6f", dev.now().seconds());
      if (fs::path(o.heap_map).extension() == ".txt")
        f << render_heap_ascii(m);
      else
        f << render_heap_svg(
            m, "dev " + std::to_string(id) + " (" + dev.identity().client_id + "), replay, " +
                   (map_at_crash ? "at its crash: " + crashes.front().reason : std::string("at ") + t + " s"));
      if (!f) throw std::runtime_error(o.heap_map + ": cannot write the heap map");
    }
    if (const HeapTimeline* tl = dev.heap().timeline())
      write_timeline(o.timeline, *tl,
                     "dev " + std::to_string(id) + " (" + dev.identity().client_id + "), replay: heap over time",
                     cfg.heap_bytes);

    std::string digest = digest_hex(dev.digest());
    // Compare with the recording: the final digest for a whole replay; the crash digests so far.
    std::string damage;
    nlohmann::json rec = recorded_device(dir, id, &damage);
    if (rec.is_null() && !damage.empty())
      std::fprintf(stderr, "espfleet replay: warning: %s; the replay is not compared with the recording\n",
                   damage.c_str());
    bool whole = o.stop_at.empty() && !o.until_crash && transport.divergence().empty();
    std::string verdict = "not compared (" + (damage.empty() ? "no devices.jsonl record of the device" : damage) + ")";
    bool differs = false;
    if (!rec.is_null()) {
      std::vector<std::string> rec_crashes = rec.value("crash_digests", std::vector<std::string>{});
      for (size_t i = 0; i < crashes.size() && i < rec_crashes.size(); ++i)
        if (crashes[i].digest != rec_crashes[i]) differs = true;
      if (whole) {
        if (rec.value("digest", "") != digest || rec_crashes.size() != crashes.size()) differs = true;
        verdict = differs ? "DIFFERENT from the recorded " + rec.value("digest", std::string("?")) : "same as recorded";
      } else {
        verdict = differs ? "crash digests DIFFERENT from the recording" : "crash digests so far same as recorded";
      }
    }
    if (o.json) {
      nlohmann::ordered_json j;
      j["device"] = id;
      j["fleet_seed"] = h.master_seed;
      j["device_seed"] = digest_hex(dev.identity().seed);
      j["command"] = command_line;
      j["crashes"] = nlohmann::json::array();
      for (auto& c : crashes)
        j["crashes"].push_back({{"reason", c.reason}, {"code", c.code}, {"t_s", c.t}, {"digest", c.digest}});
      j["digest"] = digest;
      j["virtual_time_s"] = dev.now().seconds();
      j["recorded_digest"] = rec.is_null() ? nlohmann::json(nullptr) : rec.value("digest", nlohmann::json(nullptr));
      j["verdict"] = verdict;
      j["diverged"] = transport.divergence();
      j["log"] = log_path.string();
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("end: %.6f s of device time, %u boot%s, log %s\n", dev.now().seconds(), dev.life().boots(),
                  dev.life().boots() == 1 ? "" : "s", log_path.c_str());
      if (!transport.divergence().empty()) std::printf("diverged: %s\n", transport.divergence().c_str());
      std::printf("digest: %s\n", digest.c_str());
      std::printf("recorded: %s\n", verdict.c_str());
    }
    if (!transport.divergence().empty()) {
      std::fprintf(stderr, "espfleet replay: %s\n", transport.divergence().c_str());
      return 3;
    }
    return differs ? 4 : 0;
  } catch (const std::exception& e) {
    return report_command_error("replay", e);
  }
}

}  // namespace espfleet
