// sim/cli/cmd_replay.cpp — `espfleet replay`: boot one device from its tape header, play its tape
// instead of the network, report its crashes and its digest, compare with devices.jsonl.
#include "cmd_replay.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <unordered_map>

#include "firmware_entry.h"
#include "engine.h"
#include "heap_events.h"
#include "heap_map.h"
#include "heap_timeline.h"
#include "report.h"
#include "run_record.h"
#include "serial_observer.h"
#include "tape.h"
#include "units.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

// The allocation trace in `espfleet heap` form: each chunk gets an ID named by its owner tag
// ("tls.3", "lwip.17"), bound while the chunk lives. A line is written once the next request
// comes, when the owner tag and the call site (heap observer) of the last one are known.
class HeapTraceWriter {
public:
  HeapTraceWriter(const std::string& path, Device& d) : out_(path), d_(d) {
    if (!out_) throw std::runtime_error(path + ": cannot write the heap trace");
    out_ << "# espfleet replay --trace-heap: device " << d.id() << ", heap " << d.config().heap_bytes
         << " bytes (espfleet heap --heap-bytes " << d.config().heap_bytes << " FILE)\n";
  }
  ~HeapTraceWriter() { flush(); }

  static void on_op(void* ctx, char op, size_t charge, uint32_t from, uint32_t to) {
    HostSection host;  // called inside the device's heap calls: the writer allocates from the host
    auto* w = static_cast<HeapTraceWriter*>(ctx);
    if (op == 'b') w->boot();
    else w->op(op, charge, from, to);
  }
  // The heap observer's call: the firmware's call site; the owner tag is set by now, so the line
  // can be written.
  void site(const char* file, int line) {
    if (!pending_) return;
    std::string name = file ? std::string(fs::path(file).filename()) : "new";
    site_ = line > 0 ? name + ":" + std::to_string(line) : name;
    flush();
  }
  // A reboot: the device's next heap (the first one gets no line).
  void boot() {
    flush();
    ids_.clear();
    out_ << "# boot " << ++boots_ << ": a fresh heap (replay the trace from here on a new heap)\n";
  }

private:
  void op(char op, size_t charge, uint32_t from, uint32_t to) {
    flush();
    pending_ = true;
    op_ = op;
    charge_ = charge;
    from_ = from;
    to_ = to;
    t_ = d_.now();
    site_.clear();
  }
  void flush() {
    if (!pending_) return;
    pending_ = false;
    std::string id;
    if (op_ == 'm' || (op_ == 'r' && !ids_.count(from_))) {
      const char* tag = to_ ? heap_tag_name(d_.heap_tags.get(to_)) : "failed";
      id = std::string(tag) + "." + std::to_string(++counter_);
    } else {
      id = ids_[from_];
      ids_.erase(from_);
    }
    if (to_) ids_[to_] = id;
    char t[32];
    std::snprintf(t, sizeof t, "%.6f", t_.seconds());
    if (op_ == 'm' || (op_ == 'r' && from_ == 0)) out_ << "malloc " << id << " " << charge_;
    else if (op_ == 'f') out_ << "free " << id;
    else out_ << "realloc " << id << " " << charge_;
    out_ << "  # t=" << t << (site_.empty() ? "" : " " + site_) << (op_ != 'f' && !to_ ? " FAILED" : "") << "\n";
  }

  std::ofstream out_;
  Device& d_;
  std::unordered_map<uint32_t, std::string> ids_;
  uint64_t counter_ = 0;
  bool pending_ = false;
  char op_ = 0;
  size_t charge_ = 0;
  uint32_t from_ = 0, to_ = 0;
  VTime t_{};
  std::string site_;
  uint32_t boots_ = 1;
};

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
      if (damage->empty()) *damage = file.string() + " line " + std::to_string(lineno) + " is damaged (" + e.what() + ")";
    }
  }
  return nullptr;
}

}  // namespace

CLI::App* add_replay_command(CLI::App& app, ReplayOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "replay", "Run one device of a recorded run again from its seed and tape, with no broker; prints its crashes and digest");
  cmd->add_option("RUN_DIR", o.run_dir, "Run directory of `espfleet run` (with tapes/)")->required();
  cmd->add_option("--device", o.device, "Device id")->required()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--until-crash", o.until_crash, "Stop after the device's first crash");
  cmd->add_option("--stop-at", o.stop_at, "Stop at this device time, e.g. 90s, 2h");
  cmd->add_option("--trace-heap", o.trace_heap, "Write every heap request to FILE in the `espfleet heap` trace format");
  cmd->add_option("--timeline", o.timeline, "Write the device's heap timeline to FILE (.svg, or .csv)");
  cmd->add_option("--heap-map", o.heap_map,
                  "Write the heap map where the replay stops (with --until-crash: the crashed heap) to FILE (.svg, or .txt for ASCII)");
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
    if (h.device != id) throw std::runtime_error(tape_path(dir, id).string() + ": the tape is device " + std::to_string(h.device) + "'s");
    DeviceConfig cfg = sc.for_device(id);

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
    if (o.log.empty()) fs::create_directories(log_path.parent_path());  // the run directory's own
    else if (log_path.has_parent_path() && !fs::is_directory(log_path.parent_path()))
      throw std::runtime_error("--log " + o.log + ": " + log_path.parent_path().string() + " is not a directory");
    auto dlog = std::make_shared<spdlog::logger>("replay", std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_path.string(), true));
    dlog->set_pattern("%v");

    struct Crash {
      std::string reason;
      int code;
      double t;
      std::string digest;
    };
    std::vector<Crash> crashes;
    std::optional<HeapMapData> map_at_crash;
    Engine* engine_ptr = nullptr;
    EngineOptions eo;
    eo.realtime = false;
    eo.duration = stop_at;
    eo.program = &tasmota_main;
    eo.device_log = dlog;
    eo.replay = &tape;
    eo.replay_end_slices = stop_at < h.duration ? 0 : h.end_slices;
    eo.on_serial_line = [](Device& d, const char* t, size_t len) { observe_serial_line(d, std::string_view(t, len)); };
    eo.on_crash = [&](Device& d, int reason, const std::string& text, const std::string&) {
      crashes.push_back({text, reason, d.now().seconds(), digest_hex(d.stats.crash_digests.back())});
      if (!o.json) std::printf("crash: %s  (reset reason %d, at %.6f s, digest %s)\n", text.c_str(), reason, d.now().seconds(),
                               crashes.back().digest.c_str());
      if (o.until_crash && engine_ptr) {
        if (!o.heap_map.empty()) map_at_crash = heap_map_snapshot(d.heap(), d.heap_tags);  // before the reboot
        engine_ptr->request_stop();
      }
    };
    Engine engine(eo, 1, cfg.heap_bytes);
    engine_ptr = &engine;
    if (!o.json) {
      std::printf("espfleet replay: %s device %u, tape of %zu events (%zu bytes), recorded in %s mode\n", o.run_dir.c_str(), id,
                  tape.events(), tape.size_bytes(), h.realtime ? "realtime" : "fast");
      std::printf("command: %s\n", command_line.c_str());
    }
    Device& dev = engine.add_device(id, cfg, h.master_seed, h.flash, h.boot_at);
    if (!o.json) std::printf("seed: fleet %llu, device 0x%016llx (%s)\n", (unsigned long long)h.master_seed,
                             (unsigned long long)dev.seed(), dev.client_id().c_str());
    std::fflush(stdout);
    std::unique_ptr<HeapTraceWriter> trace;
    if (!o.trace_heap.empty()) {
      trace = std::make_unique<HeapTraceWriter>(o.trace_heap, dev);
      dev.set_heap_trace(&HeapTraceWriter::on_op, trace.get());
      HeapTraceWriter* tw = trace.get();
      set_heap_observer([tw](Device&, const HeapEvent& e) { tw->site(e.file, e.line); });
    }
    if (!o.timeline.empty()) dev.timeline = std::make_unique<HeapTimeline>();
    engine.run();
    set_heap_observer(nullptr);
    trace.reset();
    dlog->flush();
    if (!o.heap_map.empty()) {
      HeapMapData m = map_at_crash ? *map_at_crash : heap_map_snapshot(dev.heap(), dev.heap_tags);
      std::ofstream f(o.heap_map);
      char t[32];
      std::snprintf(t, sizeof t, "%.6f", dev.now().seconds());
      if (fs::path(o.heap_map).extension() == ".txt") f << render_heap_ascii(m);
      else f << render_heap_svg(m, "dev " + std::to_string(id) + " (" + dev.client_id() + "), replay, " +
                                       (map_at_crash ? "at its crash: " + crashes.front().reason : std::string("at ") + t + " s"));
      if (!f) throw std::runtime_error(o.heap_map + ": cannot write the heap map");
    }
    if (dev.timeline)
      write_timeline(o.timeline, *dev.timeline, "dev " + std::to_string(id) + " (" + dev.client_id() + "), replay: heap over time",
                     cfg.heap_bytes);

    std::string digest = digest_hex(dev.digest());
    // Compare with the recording: the final digest for a whole replay; the crash digests so far.
    std::string damage;
    nlohmann::json rec = recorded_device(dir, id, &damage);
    if (rec.is_null() && !damage.empty())
      std::fprintf(stderr, "espfleet replay: warning: %s; the replay is not compared with the recording\n", damage.c_str());
    bool whole = o.stop_at.empty() && !o.until_crash && engine.divergence().empty();
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
      j["device_seed"] = digest_hex(dev.seed());
      j["command"] = command_line;
      j["crashes"] = nlohmann::json::array();
      for (auto& c : crashes) j["crashes"].push_back({{"reason", c.reason}, {"code", c.code}, {"t_s", c.t}, {"digest", c.digest}});
      j["digest"] = digest;
      j["virtual_time_s"] = dev.now().seconds();
      j["recorded_digest"] = rec.is_null() ? nlohmann::json(nullptr) : rec.value("digest", nlohmann::json(nullptr));
      j["verdict"] = verdict;
      j["diverged"] = engine.divergence();
      j["log"] = log_path.string();
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("end: %.6f s of device time, %u boot%s, log %s\n", dev.now().seconds(), dev.stats.boots,
                  dev.stats.boots == 1 ? "" : "s", log_path.c_str());
      if (!engine.divergence().empty()) std::printf("diverged: %s\n", engine.divergence().c_str());
      std::printf("digest: %s\n", digest.c_str());
      std::printf("recorded: %s\n", verdict.c_str());
    }
    if (!engine.divergence().empty()) {
      std::fprintf(stderr, "espfleet replay: %s\n", engine.divergence().c_str());
      return 3;
    }
    return differs ? 4 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "espfleet replay: %s\n", e.what());
    return 2;
  }
}

}  // namespace espfleet
