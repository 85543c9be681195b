// sim/broker/stale_brokers.h — embedded brokers left behind by an espfleet that died before it
// could stop them: found by their generated config's owner line and stopped.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace espfleet {

// The line of a generated mosquitto.conf that names the espfleet process owning the broker.
inline constexpr const char* kOwnerMark = "# owner: espfleet pid ";

// An embedded broker whose espfleet is gone (an earlier run killed before it could stop it).
struct StaleBroker {
  pid_t pid;
  pid_t owner;
  std::filesystem::path config;
};
// Finds every Mosquitto started by an espfleet that no longer runs (its config's owner line)
// and stops it (SIGTERM, then SIGKILL after 3 s); returns what it stopped, for the caller to say.
std::vector<StaleBroker> stop_stale_brokers();

}  // namespace espfleet
