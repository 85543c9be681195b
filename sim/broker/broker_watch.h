// sim/broker/broker_watch.h — the embedded broker during a run: the restarts the scenario plans,
// and the exit nobody planned (a crash, a `kill -9`, a restart that failed), noticed at the next
// check and reported once with when and how it ended.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

#include "broker.h"

namespace espfleet {

struct BrokerExit {
  pid_t pid = -1;
  std::string how;     // "killed by SIGKILL", "exit 1", or why a planned restart failed
  int signal = 0;      // the terminating signal, 0 if none
  int exit_code = -1;  // the exit code when it exited, else -1
};

class BrokerWatch {
 public:
  explicit BrokerWatch(EmbeddedBroker& broker) : broker_(broker), last_pid_(broker.pid()) {}

  // A planned stop and start (broker.restart_every): not an exit to report. start() returns
  // the new pid; a broker that does not come back is reported by the next check().
  void planned_stop();
  pid_t planned_start();
  // The scenario's broker faults (docs/faults.md): a kill -9 (planned_start brings it back), a
  // stall (SIGSTOP) and its end (SIGCONT). None is an exit to report.
  void planned_kill();
  void stall();
  void resume();

  // The unplanned exit, the first time it is seen (then nullopt again).
  std::optional<BrokerExit> check();
  bool exited() const { return exited_; }

 private:
  EmbeddedBroker& broker_;
  bool down_planned_ = false;
  bool exited_ = false;
  pid_t last_pid_;
  std::optional<BrokerExit> pending_;
};

}  // namespace espfleet
