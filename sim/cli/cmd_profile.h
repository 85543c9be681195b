// sim/cli/cmd_profile.h — `espfleet profile`: one device, fast mode, against the embedded broker;
// what its first TLS connect costs in heap (free-heap deltas around each allocation, as the
// seed measured them) and in time (TCP connect, handshake with a breakdown, MQTT CONNACK).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "key_type.h"
#include "local_broker.h"
#include "scenario.h"
#include "units.h"

namespace CLI {
class App;
}

namespace espfleet {

struct ProfileOptions {
  Chip chip = Chip::esp8266;
  uint32_t cpu_mhz = 0;  // 0: the chip's (80 on the ESP8266, 160 on the ESP32-C3)
  Validation validation = Validation::ca;
  bool client_cert = false;
  KeyType server_key = KeyType::rsa2048;  // rsa2048 | ec256
  KeyExchange key_exchange = KeyExchange::ecdhe;
  std::string rtt = "20ms";
  uint64_t seed = 1;
  std::string out;  // keep the logs and PKI here ("" = a temporary dir)
  bool json = false;
  // A user's sketch instead of the built-in firmware (docs/sketches.md): its first TLS connect.
  std::string firmware;
  std::vector<std::string> libraries;
  std::string heap;  // the device's heap size ("" = the default)
};

// What both profiles share: the directory they work in (--out, kept; else a temporary one,
// removed when it goes) and the link's round-trip time (--rtt, at most 1 m as net.rtt).
struct ProfileDir {
  std::filesystem::path path;
  bool keep = false;
  explicit ProfileDir(const std::string& out);
  ~ProfileDir();
  ProfileDir(const ProfileDir&) = delete;
  ProfileDir& operator=(const ProfileDir&) = delete;
};
Duration profile_rtt(const std::string& rtt);
// A user firmware's device for a profile (a sketch's, NodeMCU's): the ESP8266 at --cpu, with --heap,
// --rtt and no jitter, TLS on.
DeviceConfig profile_user_device(const ProfileOptions& o, bool client_cert);
// The profile's own Mosquitto in dir: TLS (with --server-key) and the plain listener a user
// firmware's port 1883 leads to.
LocalBroker start_profile_broker(const std::filesystem::path& dir, const ProfileOptions& o, bool require_certificate);

CLI::App* add_profile_command(CLI::App& app, ProfileOptions& o);
int cmd_profile(const ProfileOptions& o);

// The measurement itself (used by the command and by tools/bench/fidelity through it).
// Throws std::runtime_error with context when the device does not connect.
nlohmann::ordered_json run_profile(const ProfileOptions& o);
// The same for a sketch (o.firmware): the heap and time of its first BearSSL::WiFiClientSecure
// handshake (cmd_profile_sketch.cpp). Throws std::runtime_error naming what failed (an allocation
// that did not fit, no TLS connect within 60 s of device time).
nlohmann::ordered_json run_sketch_profile(const ProfileOptions& o);
void print_sketch_profile(const nlohmann::ordered_json& r);  // the table of run_sketch_profile's result
// NodeMCU's (o.firmware "nodemcu", or a NodeMCU project folder): its first secure MQTT connect's
// handshake heap and time (cmd_profile_nodemcu.cpp).
bool is_nodemcu_profile(const std::string& firmware);
nlohmann::ordered_json run_nodemcu_profile(const ProfileOptions& o);
void print_nodemcu_profile(const nlohmann::ordered_json& r);

}  // namespace espfleet
