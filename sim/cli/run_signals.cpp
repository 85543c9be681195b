// sim/cli/run_signals.cpp — the handlers only record (async-signal-safe); see run_signals.h.
#include "run_signals.h"

#include <signal.h>

#include <csignal>
#include <stdexcept>

namespace espfleet {

namespace {
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
volatile std::sig_atomic_t g_first = 0;
volatile std::sig_atomic_t g_count = 0;
struct sigaction g_previous[3];
bool g_installed = false;

void on_signal(int sig) {
  if (g_first == 0) g_first = sig;
  g_count = g_count + 1;
}
}  // namespace

RunSignals::RunSignals() {
  if (g_installed) throw std::logic_error("RunSignals: already installed");
  g_first = 0;
  g_count = 0;
  struct sigaction sa {};
  sa.sa_handler = &on_signal;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
  g_installed = true;
}

RunSignals::~RunSignals() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
  g_installed = false;
}

int RunSignals::first() const { return g_first; }
int RunSignals::count() const { return g_count; }

const char* RunSignals::name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

}  // namespace espfleet
