// sim/broker/broker_watch.cpp — planned restarts and unplanned exits of the embedded broker.
#include "broker_watch.h"

#include <csignal>

namespace espfleet {

void BrokerWatch::planned_stop() {
  if (exited_) return;
  down_planned_ = true;
  broker_.stop();
}

void BrokerWatch::planned_kill() {
  if (exited_) return;
  down_planned_ = true;
  broker_.kill_now();
}

void BrokerWatch::stall() {
  if (!exited_) broker_.signal(SIGSTOP);
}

void BrokerWatch::resume() {
  if (!exited_) broker_.signal(SIGCONT);
}

pid_t BrokerWatch::planned_start() {
  if (exited_) return -1;
  try {
    broker_.restart();
    down_planned_ = false;
    last_pid_ = broker_.pid();
    return last_pid_;
  } catch (const std::exception& e) {
    pending_ = BrokerExit{last_pid_, std::string("did not start again: ") + e.what(), 0, -1};
    return -1;
  }
}

std::optional<BrokerExit> BrokerWatch::check() {
  if (exited_) return std::nullopt;
  if (!pending_) {
    if (down_planned_ || broker_.running()) return std::nullopt;
    ExitStatus st = broker_.last_exit().value_or(ExitStatus{});
    pending_ = BrokerExit{last_pid_, st.describe(), st.signal, st.code};
  }
  exited_ = true;
  std::optional<BrokerExit> e = std::move(pending_);
  pending_.reset();
  return e;
}

}  // namespace espfleet
