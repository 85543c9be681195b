// sim/cli/session.h — what the commands that run devices (run, replay, profile) share: the
// built-in firmware as a program, the devices' log, the broker as devices see it, and a
// device's provisioning (its boot flash, with a client certificate when it needs one).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chip.h"
#include "firmware_entry.h"
#include "flash_image.h"
#include "nodemcu.h"
#include "scenario.h"

namespace spdlog {
class logger;
}

namespace espfleet {

class CertificateAuthority;

// The built-in Tasmota-like firmware (core/).
inline const Program kTasmotaProgram{"tasmota", &tasmota_main, nullptr, true, {}, false, true};
// NodeMCU (nodemcu/): Lua 5.1 and NodeMCU's modules, on the SDK's own heap.
inline const Program kNodeMcuProgram{"nodemcu", &nodemcu_main, nullptr, true, HeapKind::sdk, true};

// The devices' log: every console line with its device id and virtual time, into `file` (an
// empty path: nowhere). Lines are written as they come; warnings flush.
std::shared_ptr<spdlog::logger> device_logger(const std::filesystem::path& file, const char* name);

// Stops the embedded brokers an espfleet that is gone left running, one line on stderr each.
void stop_stale_brokers_saying_so();

// Where the devices' broker is, as their flash holds it, and what they trust there.
struct BrokerEndpoint {
  std::string host;
  uint16_t tls_port = 0;
  uint16_t plain_port = 0;      // devices with tls.enabled = false
  std::vector<uint8_t> ca_der;  // trust anchors, DER back to back
};

// Device `id`'s boot flash: its configuration, the broker, the trust anchors and, when it
// presents a client certificate and `ca` is given, a key and a certificate (CN = its client id)
// issued now. A sketch's device (sketch_files) also gets them as files (docs/sketches.md, "Files"):
// /ca.crt and /ca.der, /client.crt, /client.der and /client.key.
// extra_files: the firmware's own files (NodeMCU: the user's Lua files), before the keys'.
std::vector<uint8_t> provision_device(uint32_t id, uint64_t fleet_seed, const DeviceConfig& c,
                                      const BrokerEndpoint& broker, CertificateAuthority* ca, uint32_t utc_at_boot,
                                      bool sketch_files = false, const std::vector<FlashFile>* extra_files = nullptr);

}  // namespace espfleet
