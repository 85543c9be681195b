// core/settings.h — the firmware's settings as stored in flash (Tasmota keeps its Settings and
// TLS keys in flash sectors). The host writes this layout into each device's flash image.
#pragma once
#include <stddef.h>
#include <stdint.h>

static const uint32_t kSettingsMagic = 0x46505345u;  // "ESPF"
static const uint16_t kSettingsVersion = 4;
static const uint32_t kSettingsFlashAddr = 0x0000;  // sector 0
static const uint32_t kTlsFlashAddr = 0x1000;       // sector 1: keys, certificate, trust anchors
static const uint32_t kFlashImageSize = 0x2000;

static const size_t kMaxFlashAnchors = 4;  // CA certificates in TlsSettings.ca

static const size_t kMaxWorkloads = 6;  // HeapWorkloadEntry slots in DeviceSettings

// One background heap workload (scenario heap.workload): every every_ms on average (exponential)
// a block of size_min..size_max bytes (uniform) is allocated and held life_ms on average.
struct HeapWorkloadEntry {
  char name[8];  // NUL-terminated
  uint32_t every_ms;
  uint32_t life_ms;
  uint16_t size_min;
  uint16_t size_max;
  uint8_t use_new;  // 1: allocated with new[] (a failure aborts: OOM), 0: malloc (NULL)
  uint8_t reserved[3];
};

enum ValidationMode : uint8_t { kValidateCa = 0, kValidateFingerprint = 1 };  // SetOption132

struct DeviceSettings {
  uint32_t magic;
  uint16_t version;
  uint16_t size;
  char mqtt_host[64];
  uint16_t mqtt_port;
  uint16_t tele_period;     // seconds (TelePeriod)
  uint16_t mqtt_keepalive;  // seconds
  uint8_t tls_enabled;
  uint8_t validation;   // ValidationMode (SetOption132)
  uint8_t ecdsa;        // SetOption165
  uint8_t client_cert;  // present TLSKey1/TLSKey2
  uint8_t fingerprint[2][20];
  uint16_t thunk_size;      // 0 = firmware default
  uint8_t builtin_anchors;  // BuiltinAnchor bits (core/builtin_anchors.h): roots trusted besides ca[]
  uint8_t key_exchange;     // 0 = ECDHE, 1 = RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256)
  uint32_t utc_at_boot;     // wall time at boot (what NTP would give); 0 = clock not set
  uint32_t heap_boot_used;  // bytes the boot allocates and keeps (core/heap_workload.h)
  uint8_t workload_count;   // entries used in workload[]
  uint8_t mqtt_qos;         // 0 or 1: the QoS of every publish (a QoS 1 one is not retried)
  uint8_t reserved[2];
  HeapWorkloadEntry workload[kMaxWorkloads];
};

struct TlsSettings {
  uint32_t magic;
  uint16_t key_len;   // TLSKey1: raw P-256 private scalar (32)
  uint16_t cert_len;  // TLSKey2: client certificate DER
  uint16_t ca_len;    // trust anchors: CA certificates, DER, concatenated (at most kMaxFlashAnchors)
  uint16_t reserved;
  uint8_t key[32];
  uint8_t cert[1200];
  uint8_t ca[2048];
};

static_assert(sizeof(HeapWorkloadEntry) == 24, "flash layout");
static_assert(sizeof(DeviceSettings) % 4 == 0, "flash reads are whole words");
static_assert(sizeof(TlsSettings) % 4 == 0, "flash reads are whole words");
static_assert(sizeof(DeviceSettings) <= 4096 && sizeof(TlsSettings) <= 4096, "one sector each");
