// sim/cli/progress_line.cpp — the run's live line (progress_line.h).
#include "progress_line.h"

#include "fleet.h"

namespace espfleet {

FleetProgress fleet_progress(const Fleet& fleet) {
  FleetProgress p;
  p.at = fleet.now();
  for (const auto& d : fleet.devices()) {
    p.devices++;
    p.connected += d->online();
    p.ever_connected += d->ever_online();
    p.failures += d->console().connect_failures;
    p.crashes += uint32_t(d->life().crashes().size());
    p.published += d->console().published;
  }
  return p;
}

ProgressLine::ProgressLine(std::FILE* out, bool terminal, bool enabled, HostTime started)
    : out_(out), terminal_(terminal), enabled_(enabled), last_(started) {}

void ProgressLine::update(const FleetProgress& p, HostTime now) {
  if (!enabled_) return;
  if (!terminal_) {
    if (now.ns - last_.ns < kLogInterval.ns) return;
    last_ = now;
  }
  std::fprintf(out_, "%s[%7.1fs] connected %u/%u  failures %u  crashes %u  published %llu%s", terminal_ ? "\r" : "",
               p.at.seconds(), p.connected, p.devices, p.failures, p.crashes, (unsigned long long)p.published,
               terminal_ ? "   " : "\n");
  std::fflush(out_);
  open_ = terminal_;
}

void ProgressLine::break_line() {
  if (!open_) return;
  std::fputc('\n', out_);
  open_ = false;
}

}  // namespace espfleet
