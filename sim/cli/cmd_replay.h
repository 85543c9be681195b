// sim/cli/cmd_replay.h — `espfleet replay RUN_DIR --device ID`: one device of a recorded run, again,
// from its seed and its tape, with no broker (docs/replay.md).
#pragma once
#include <string>

namespace CLI {
class App;
}

namespace espfleet {

struct ReplayOptions {
  std::string run_dir;
  long device = -1;
  bool until_crash = false;  // stop after the first crash
  std::string stop_at;       // stop at this device time ("90s", "2h")
  std::string trace_heap;    // write the allocation trace (`espfleet heap` format) here
  std::string timeline;      // write the heap timeline here (.svg or .csv)
  std::string heap_map;      // write the heap map where the replay stops (.txt: ASCII, else SVG)
  std::string log;           // the device's log (default RUN_DIR/replay/ID.log)
  bool json = false;
};

CLI::App* add_replay_command(CLI::App& app, ReplayOptions& o);
// 0: replayed (and equal to the recording where it can be compared); 2: bad input; 3: the device
// left its tape (diverged); 4: the replay's digest differs from the recorded one.
int cmd_replay(const ReplayOptions& o, const std::string& command_line);

}  // namespace espfleet
