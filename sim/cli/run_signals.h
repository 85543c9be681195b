// sim/cli/run_signals.h — SIGINT, SIGTERM and SIGHUP for the whole life of a command.
//
// While a RunSignals is alive, those signals do not kill the process: the first one is kept (the
// command stops what it is doing at its next check, then writes everything it measured), later
// ones are only counted (a second Ctrl-C while the outputs are written does not cut them short).
// The previous dispositions come back when it is destroyed. One at a time.
#pragma once

namespace espfleet {

class RunSignals {
 public:
  RunSignals();
  ~RunSignals();
  RunSignals(const RunSignals&) = delete;
  RunSignals& operator=(const RunSignals&) = delete;

  int first() const;  // the first signal received, 0 for none
  bool interrupted() const { return first() != 0; }
  int count() const;                               // signals received so far
  int exit_code() const { return 128 + first(); }  // the shell's convention: 130 for SIGINT
  static const char* name(int sig);                // "SIGINT"
};

}  // namespace espfleet
