// sim/cli/cmd_merge.h — `espfleet merge RUN_DIR... --out DIR`: the shards of one fleet (run with
// --shard I/N, here or on other machines) as one run: devices.jsonl in id order, one summary.json
// whose counts are summed and whose percentiles come from the shards' merged histograms, and
// the summary table (docs/scale.md).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace espfleet {

struct MergeOptions {
  std::vector<std::string> dirs;  // the shards' run directories
  std::string out;                // --out DIR
  bool force = false;             // --force: clear an --out that holds a run
  bool json = false;              // print summary.json instead of the table
};

CLI::App* add_merge_command(CLI::App& app, MergeOptions& o);
int cmd_merge(const MergeOptions& o);

// Writes out/devices.jsonl and out/summary.json from the shards' run directories and returns the
// merged summary. CliError naming the directory or file when a shard's outputs are missing or
// damaged, when two are the same shard, or when they come from different fleets; shards that
// are missing from 0..N-1 are listed in "shards_missing" (the merge is still written).
nlohmann::ordered_json merge_runs(const std::vector<std::filesystem::path>& shard_dirs,
                                  const std::filesystem::path& out);

// The merged summary as `merge` prints it: the table (or the JSON with `as_json`).
void print_merged(const nlohmann::ordered_json& merged, bool as_json);

}  // namespace espfleet
