// sim/device/flash_image.cpp — fills core/settings.h's structures into a flash image (erased = 0xFF).
#include "flash_image.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "FS.h"
#include "fingerprint.h"
#include "settings.h"

namespace espfleet {

uint32_t flash_utc_at_boot(const std::vector<uint8_t>& flash) {
  // Two fields, not the whole structure: a sketch may ask time() on every loop pass.
  if (flash.size() < kSettingsFlashAddr + sizeof(DeviceSettings)) return 0;
  decltype(DeviceSettings::magic) magic;
  decltype(DeviceSettings::utc_at_boot) utc;
  std::memcpy(&magic, flash.data() + kSettingsFlashAddr + offsetof(DeviceSettings, magic), sizeof magic);
  std::memcpy(&utc, flash.data() + kSettingsFlashAddr + offsetof(DeviceSettings, utc_at_boot), sizeof utc);
  return magic == kSettingsMagic ? utc : 0;
}

std::vector<uint8_t> build_flash_image(const DeviceConfig& cfg, const FlashInputs& in) {
  std::vector<uint8_t> flash(kFlashImageSize, 0xFF);
  DeviceSettings s;
  std::memset(&s, 0, sizeof s);
  s.magic = kSettingsMagic;
  s.version = kSettingsVersion;
  s.size = sizeof s;
  if (in.mqtt_host.size() >= sizeof s.mqtt_host)
    throw std::invalid_argument("broker host name longer than the firmware's 63 characters: " + in.mqtt_host);
  std::memcpy(s.mqtt_host, in.mqtt_host.data(), in.mqtt_host.size());
  s.mqtt_port = in.mqtt_port;
  int64_t tele = cfg.tele_period.us / 1000000;
  s.tele_period = uint16_t(std::clamp<int64_t>(tele, 10, 3600));
  s.mqtt_keepalive = uint16_t(std::clamp<int64_t>(cfg.keepalive.us / 1000000, 1, 65535));
  s.mqtt_qos = cfg.mqtt_qos ? 1 : 0;
  s.tls_enabled = cfg.tls_enabled;
  s.validation = cfg.validation == Validation::fingerprint ? kValidateFingerprint : kValidateCa;
  s.ecdsa = cfg.ecdsa;
  s.key_exchange = cfg.key_exchange == KeyExchange::rsa ? 1 : 0;
  const Fingerprint fp1 = parse_fingerprint_slot(cfg.fingerprint1), fp2 = parse_fingerprint_slot(cfg.fingerprint2);
  std::memcpy(s.fingerprint[0], fp1.data(), fp1.size());
  std::memcpy(s.fingerprint[1], fp2.data(), fp2.size());
  s.client_cert = cfg.client_cert && !in.client_cert.empty();
  s.thunk_size = uint16_t(cfg.thunk_size);
  s.builtin_anchors = cfg.builtin_anchors;
  s.utc_at_boot = in.utc_at_boot;
  s.heap_boot_used = cfg.heap_boot_used;
  if (cfg.heap_workload.size() > kMaxWorkloads)
    throw std::invalid_argument("more heap workload entries than the firmware's " + std::to_string(kMaxWorkloads));
  s.workload_count = uint8_t(cfg.heap_workload.size());
  for (size_t i = 0; i < cfg.heap_workload.size(); ++i) {
    const HeapWorkload& w = cfg.heap_workload[i];
    HeapWorkloadEntry& e = s.workload[i];
    std::strncpy(e.name, w.name.c_str(), sizeof e.name - 1);
    e.every_ms = uint32_t(std::clamp<int64_t>(w.every.us / 1000, 1, UINT32_MAX));
    e.life_ms = uint32_t(std::clamp<int64_t>(w.lifetime.us / 1000, 0, UINT32_MAX));
    e.size_min = uint16_t(std::min<uint32_t>(w.size_min, UINT16_MAX));
    e.size_max = uint16_t(std::min<uint32_t>(w.size_max, UINT16_MAX));
    e.use_new = w.use_new ? 1 : 0;
  }
  std::memcpy(flash.data() + kSettingsFlashAddr, &s, sizeof s);

  if (cfg.tls_enabled) {
    TlsSettings t;
    std::memset(&t, 0, sizeof t);
    t.magic = kSettingsMagic;
    if (!in.client_key.empty()) {
      if (in.client_key.size() != 32) throw std::invalid_argument("TLSKey1 must be a 32-byte P-256 scalar");
      t.key_len = 32;
      std::memcpy(t.key, in.client_key.data(), 32);
    }
    if (in.client_cert.size() > sizeof t.cert)
      throw std::invalid_argument("TLSKey2 (client certificate) larger than the firmware's " +
                                  std::to_string(sizeof t.cert) + " bytes");
    t.cert_len = uint16_t(in.client_cert.size());
    if (!in.client_cert.empty()) std::memcpy(t.cert, in.client_cert.data(), in.client_cert.size());
    if (in.ca_der.size() > sizeof t.ca)
      throw std::invalid_argument("trust anchor certificates (" + std::to_string(in.ca_der.size()) +
                                  " bytes of DER) larger than the firmware's " + std::to_string(sizeof t.ca) +
                                  "-byte slot");
    t.ca_len = uint16_t(in.ca_der.size());
    if (!in.ca_der.empty()) std::memcpy(t.ca, in.ca_der.data(), in.ca_der.size());
    std::memcpy(flash.data() + kTlsFlashAddr, &t, sizeof t);
  }
  if (!in.files.empty()) append_file_region(flash, in.files);
  return flash;
}

std::vector<FlashFile> read_file_region(const std::vector<uint8_t>& flash) {
  std::vector<FlashFile> files;
  auto get = [&flash](size_t at, int bytes, uint64_t* v) {
    if (at + size_t(bytes) > flash.size()) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) *v |= uint64_t(flash[at + size_t(i)]) << (8 * i);
    return true;
  };
  uint64_t magic = 0, count = 0;
  if (!get(kFsFlashAddr, 4, &magic) || magic != kFsMagic || !get(kFsFlashAddr + 4, 4, &count)) return files;
  size_t at = kFsFlashAddr + 8;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t name_len = 0, size = 0;
    if (!get(at, 2, &name_len) || !get(at + 2 + name_len, 4, &size) || at + 6 + name_len + size > flash.size())
      return {};
    const auto* p = flash.data() + at;
    files.push_back(
        {std::string(p + 2, p + 2 + name_len), std::vector<uint8_t>(p + 6 + name_len, p + 6 + name_len + size)});
    at += 6 + name_len + size;
  }
  return files;
}

void append_file_region(std::vector<uint8_t>& flash, const std::vector<FlashFile>& files) {
  static_assert(kFsFlashAddr >= kFlashImageSize, "the file region follows the settings");
  flash.resize(kFsFlashAddr, 0xFF);
  auto put = [&flash](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) flash.push_back(uint8_t(v >> (8 * i)));  // little-endian, as the chip
  };
  put(kFsMagic, 4);
  put(files.size(), 4);
  for (const FlashFile& f : files) {
    if (f.path.empty() || f.path.size() > kFsMaxName + 1)
      throw std::invalid_argument("device file name '" + f.path + "' is empty or longer than " +
                                  std::to_string(kFsMaxName + 1) + " characters");
    put(f.path.size(), 2);
    flash.insert(flash.end(), f.path.begin(), f.path.end());
    put(f.bytes.size(), 4);
    flash.insert(flash.end(), f.bytes.begin(), f.bytes.end());
  }
  flash.resize((flash.size() + 4095) / 4096 * 4096, 0xFF);  // whole sectors, erased
}

}  // namespace espfleet
