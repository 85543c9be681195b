// sim/cli/run_dir.h — the run directory `espfleet run` writes (--out): never two runs in one.
#pragma once
#include <filesystem>
#include <string>

namespace espfleet {

// Whether `dir` holds an espfleet run (its run.json, summary.json, devices.jsonl or tapes/).
bool holds_run(const std::filesystem::path& dir);

// The directory for this run, created: `out` when given, else runs/YYYYmmdd-HHMMSS (with -2, -3…
// when that is taken). A directory that holds an earlier run is refused — its tapes and heap maps
// would mix with this run's — unless `force`, which clears it first; any other directory that is
// not empty is refused (it is not espfleet's to clear), and so is a path that is not a directory.
// Throws std::runtime_error naming the directory and what to do.
std::filesystem::path prepare_run_dir(const std::string& out, bool force);

}  // namespace espfleet
