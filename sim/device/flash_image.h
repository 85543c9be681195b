// sim/device/flash_image.h — builds a device's flash image in the firmware's settings layout
// (core/settings.h): MQTT host and port, TelePeriod, TLS mode, keys, trust anchor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "scenario.h"

namespace espfleet {

// A file of the device's file region (shims/FS.h: what a sketch opens with LittleFS).
struct FlashFile {
  std::string path;  // "/client.crt"
  std::vector<uint8_t> bytes;
};

struct FlashInputs {
  std::string mqtt_host;
  uint16_t mqtt_port = 0;
  std::vector<uint8_t> ca_der;       // trust anchor (CA mode)
  std::vector<uint8_t> client_key;   // raw P-256 scalar (TLSKey1), 32 bytes or empty
  std::vector<uint8_t> client_cert;  // DER (TLSKey2) or empty
  uint32_t utc_at_boot = 0;          // what NTP would give the device; 0 = clock never set
  std::vector<FlashFile> files;      // the file region after the settings (sketches); none: no region
};

// The wall time the image says the device's network gives it at boot (utc_at_boot; 0: none, or
// an image without settings).
uint32_t flash_utc_at_boot(const std::vector<uint8_t>& flash);

// Appends the file region (shims/FS.h's layout) to a settings image. Throws std::invalid_argument
// naming a file whose name does not fit.
void append_file_region(std::vector<uint8_t>& flash, const std::vector<FlashFile>& files);

// The files of an image's file region (none when it has no region, or a damaged one).
std::vector<FlashFile> read_file_region(const std::vector<uint8_t>& flash);

// Throws std::invalid_argument naming the field that does not fit the firmware's layout.
std::vector<uint8_t> build_flash_image(const DeviceConfig& cfg, const FlashInputs& in);

}  // namespace espfleet
