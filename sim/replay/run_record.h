// sim/replay/run_record.h — what a run keeps beside its reports so that one device can be run again
// (`espfleet replay`, docs/replay.md): the scenario as given and the overrides applied
// (RUN_DIR/scenario.toml, RUN_DIR/run.json), each device's tape (RUN_DIR/tapes/ID.tape), and
// the heap timelines asked for (RUN_DIR/heap/ID-timeline.svg|.csv).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario.h"

namespace espfleet {

class Fleet;
class HeapTimeline;
class Tape;

// The firmware a run's devices ran when it was a user's sketch: its name and the built shared object.
enum class FirmwareKind : uint8_t {
  sketch,   // an Arduino sketch, built to a shared object (copied into the run directory)
  nodemcu,  // NodeMCU with the user's Lua files (each device's boot flash holds them)
};
struct RunFirmware {
  std::string name;
  std::filesystem::path so;  // a sketch's; empty for NodeMCU
  FirmwareKind kind = FirmwareKind::sketch;
};

// Copies the scenario file and records the overrides (--set and the CLI's own) in run.json; a
// sketch's shared object is copied too (RUN_DIR/firmware/NAME.so), so that replay runs the very
// code the run ran, whatever has happened to the sketch's folder or the build cache since.
void write_replay_inputs(const std::filesystem::path& dir, const std::string& scenario_path,
                         const std::vector<std::string>& sets, const RunFirmware* sketch = nullptr);
// The sketch a recorded run ran (its copy in the run directory), or none for the built-in firmware.
// Throws std::runtime_error naming run.json or the missing copy.
std::optional<RunFirmware> load_replay_firmware(const std::filesystem::path& dir);
// The scenario a recorded run used. Throws std::runtime_error naming the file that is missing or bad.
Scenario load_replay_scenario(const std::filesystem::path& dir);

// Every device's tape, with what replay needs to boot it again (RUN_DIR/tapes, 0700; files
// 0600). A tape that cannot be written does not stop the others: the failures are returned,
// each naming its file and the system's reason.
// tapes[i]: device i's (nullptr: none).
std::vector<std::string> write_tapes(const std::filesystem::path& dir, const Fleet& fleet,
                                     const std::vector<std::unique_ptr<Tape>>& tapes, uint64_t master_seed,
                                     const std::string& end_reason);
std::filesystem::path tape_path(const std::filesystem::path& dir, uint32_t device);
std::filesystem::path boot_flash_path(const std::filesystem::path& dir, uint32_t device);  // written at provisioning

// "1,5,9" or "all" (or "") → which of n devices; throws naming `what` and the bad entry.
std::vector<bool> parse_device_list(const std::string& list, uint32_t n, const std::string& what);

// A timeline as SVG or CSV, by the file name's extension (.csv; anything else is SVG).
void write_timeline(const std::filesystem::path& file, const HeapTimeline& tl, const std::string& title,
                    uint32_t heap_bytes);
// The timelines of the devices that kept one, as heap_dir/ID-timeline.svg and .csv.
void write_timelines(const std::filesystem::path& heap_dir, const Fleet& fleet);

}  // namespace espfleet
