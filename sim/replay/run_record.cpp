// sim/replay/run_record.cpp — the replay inputs of a run: scenario copy, overrides, tapes, timelines.
#include "run_record.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "fleet.h"
#include "heap_timeline.h"
#include "output_file.h"
#include "tape.h"

namespace fs = std::filesystem;

namespace espfleet {

void write_replay_inputs(const fs::path& dir, const std::string& scenario_path, const std::vector<std::string>& sets,
                         const RunFirmware* sketch) {
  std::error_code ec;
  fs::copy_file(scenario_path, dir / "scenario.toml", fs::copy_options::overwrite_existing, ec);
  if (ec)
    throw std::runtime_error(scenario_path + ": cannot copy into " + (dir / "scenario.toml").string() + ": " +
                             ec.message());
  nlohmann::ordered_json j;
  j["scenario"] = "scenario.toml";
  j["scenario_source"] = scenario_path;
  j["sets"] = sets;
  if (sketch && sketch->kind == FirmwareKind::nodemcu) {
    j["firmware"] = {{"nodemcu", sketch->name}};
  } else if (sketch) {
    const fs::path copy = fs::path("firmware") / (sketch->name + ".so");
    fs::create_directories(dir / "firmware", ec);
    if (!ec) fs::copy_file(sketch->so, dir / copy, fs::copy_options::overwrite_existing, ec);
    if (ec)
      throw std::runtime_error(sketch->so.string() + ": cannot copy into " + (dir / copy).string() + ": " +
                               ec.message());
    j["firmware"] = {{"sketch", sketch->name}, {"so", copy.string()}};
  }
  write_file_atomically(dir / "run.json", j.dump(2) + "\n");
}

std::optional<RunFirmware> load_replay_firmware(const fs::path& dir) {
  const fs::path run = dir / "run.json";
  std::ifstream f(run);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw std::runtime_error(run.string() + ": " + e.what());
  }
  if (!j.contains("firmware")) return std::nullopt;
  const nlohmann::json& fw = j["firmware"];
  if (fw.is_object() && fw.contains("nodemcu") && fw["nodemcu"].is_string())
    return RunFirmware{fw["nodemcu"].get<std::string>(), {}, FirmwareKind::nodemcu};
  if (!fw.is_object() || !fw.contains("sketch") || !fw.contains("so") || !fw["sketch"].is_string() ||
      !fw["so"].is_string())
    throw std::runtime_error(run.string() + ": \"firmware\" needs \"sketch\" and \"so\" strings (or \"nodemcu\")");
  RunFirmware r{fw["sketch"].get<std::string>(), dir / fw["so"].get<std::string>()};
  if (!fs::is_regular_file(r.so))
    throw std::runtime_error(r.so.string() + ": the run's copy of sketch " + r.name + " is missing");
  return r;
}

Scenario load_replay_scenario(const fs::path& dir) {
  fs::path run = dir / "run.json";
  std::ifstream f(run);
  if (!f)
    throw std::runtime_error(run.string() + ": missing — is " + dir.string() + " a run directory of `espfleet run`?");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw std::runtime_error(run.string() + ": " + e.what());
  }
  std::vector<std::string> sets = j.value("sets", std::vector<std::string>{});
  return load_scenario((dir / j.value("scenario", "scenario.toml")).string(), sets);
}

fs::path tape_path(const fs::path& dir, uint32_t device) { return dir / "tapes" / (std::to_string(device) + ".tape"); }
fs::path boot_flash_path(const fs::path& dir, uint32_t device) {
  return dir / "tapes" / (std::to_string(device) + ".flash");
}

std::vector<std::string> write_tapes(const fs::path& dir, const Fleet& fleet,
                                     const std::vector<std::unique_ptr<Tape>>& tapes, uint64_t master_seed,
                                     const std::string& end_reason) {
  std::vector<std::string> errors;
  try {
    make_directory(dir / "tapes", 0700);
  } catch (const std::exception& e) {
    return {e.what()};
  }
  for (auto& d : fleet.devices()) {
    const Tape* tape = d->id() < tapes.size() ? tapes[d->id()].get() : nullptr;
    if (!tape) continue;
    TapeHeader h;
    h.device = d->id();
    h.master_seed = master_seed;
    h.boot_at = d->life().boot_at();
    h.realtime = fleet.realtime();
    h.duration = fleet.duration();
    h.end_slices = d->task().slices();
    h.end_reason = end_reason;
    try {
      write_tape_file(tape_path(dir, d->id()).string(), h, *tape);
    } catch (const std::exception& e) {
      errors.push_back(e.what());  // this device cannot be replayed; the others still can
    }
  }
  return errors;
}

std::vector<bool> parse_device_list(const std::string& list, uint32_t n, const std::string& what) {
  std::vector<bool> out(n, false);
  if (list.empty()) return out;
  if (list == "all") return std::vector<bool>(n, true);
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    unsigned long v = 0;
    try {
      v = std::stoul(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != item.size())
      throw std::runtime_error(what + " '" + list + "': '" + item + "' is not a device id (ID[,ID...] or all)");
    if (v >= n)
      throw std::runtime_error(what + " '" + list + "': device " + item + " is not in the fleet (ids 0.." +
                               std::to_string(n ? n - 1 : 0) + ")");
    out[v] = true;
  }
  return out;
}

void write_timeline(const fs::path& file, const HeapTimeline& tl, const std::string& title, uint32_t heap_bytes) {
  write_file_atomically(file, file.extension() == ".csv" ? render_heap_timeline_csv(tl)
                                                         : render_heap_timeline_svg(tl, title, heap_bytes));
}

void write_timelines(const fs::path& heap_dir, const Fleet& fleet) {
  for (auto& d : fleet.devices()) {
    const HeapTimeline* tl = d->heap().timeline();
    if (!tl) continue;
    fs::create_directories(heap_dir);
    std::string base = std::to_string(d->id()) + "-timeline";
    std::string title = "dev " + std::to_string(d->id()) + " (" + d->identity().client_id + "): heap over time";
    write_timeline(heap_dir / (base + ".svg"), *tl, title, d->config().heap_bytes);
    write_timeline(heap_dir / (base + ".csv"), *tl, title, d->config().heap_bytes);
  }
}

}  // namespace espfleet
