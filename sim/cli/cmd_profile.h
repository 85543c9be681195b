// sim/cli/cmd_profile.h — `espfleet profile`: one device, fast mode, against the embedded broker;
// what its first TLS connect costs in heap (free-heap deltas around each allocation, as the
// seed measured them) and in time (TCP connect, handshake with a breakdown, MQTT CONNACK).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "key_type.h"
#include "scenario.h"

namespace CLI {
class App;
}

namespace espfleet {

struct ProfileOptions {
  uint32_t cpu_mhz = 80;
  Validation validation = Validation::ca;
  bool client_cert = false;
  KeyType server_key = KeyType::rsa2048;  // rsa2048 | ec256
  KeyExchange key_exchange = KeyExchange::ecdhe;
  std::string rtt = "20ms";
  uint64_t seed = 1;
  std::string out;  // keep the logs and PKI here ("" = a temporary dir)
  bool json = false;
};

CLI::App* add_profile_command(CLI::App& app, ProfileOptions& o);
int cmd_profile(const ProfileOptions& o);

// The measurement itself (used by the command and by tools/bench/fidelity through it).
// Throws std::runtime_error with context when the device does not connect.
nlohmann::ordered_json run_profile(const ProfileOptions& o);

}  // namespace espfleet
