// sim/cli/progress_line.h — the live line of `espfleet run`, written for a person. On a
// terminal it redraws in place at every tick; on anything else (CI, a log file) it writes at
// most one line every 10 s of wall time, so a long run's log stays readable.
#pragma once
#include <cstdint>
#include <cstdio>

#include "host_clock.h"
#include "sim_time.h"

namespace espfleet {

class Fleet;

// What the line shows.
struct FleetProgress {
  VTime at;  // the fleet's time
  uint32_t devices = 0, connected = 0, failures = 0, crashes = 0;
  uint32_t ever_connected = 0;  // devices that have connected at least once
  uint64_t published = 0;
};
FleetProgress fleet_progress(const Fleet& fleet);

class ProgressLine {
 public:
  static constexpr HostTime kLogInterval = HostTime::from_ms(10000);

  // `terminal`: redraw in place (the stream is a tty); `enabled` false: print nothing (--quiet).
  ProgressLine(std::FILE* out, bool terminal, bool enabled, HostTime started = host_now());

  void update(const FleetProgress& p, HostTime now = host_now());
  // Before another message: ends a line being redrawn, so the message starts a line of its own.
  void break_line();
  void finish() { break_line(); }

 private:
  std::FILE* out_;
  bool terminal_, enabled_;
  bool open_ = false;  // a redrawn line without its newline yet
  HostTime last_;
};

}  // namespace espfleet
