// sim/heap/target_sizes.probe.cc — the types whose heap allocations are charged the chip's size
// (docs/heap.md, "Target sizes"). tools/target-sizes compiles this file twice to
// assembly — with xtensa-lx106-elf-g++ against the shim headers (the chip) and with the host's
// compiler — reads the constants back, and writes build/generated/target_sizes.h. It is never
// linked (it includes core/x509_checks.cpp to reach that file's own engine types).
//
// List a type here when firmware allocates it on its own, by malloc(sizeof(T)) or new T, and
// its host size differs from the chip's. Every listed host size becomes a rule "a request of
// exactly this many bytes is charged the target size", so do not list types that are only ever
// members of other objects or array elements (their host size would only catch plain buffers).
#include <bearssl.h>

#include <WiFiClient.h>

#include "app.h"
#include "mqtt_client.h"
#include "tls_client.h"
#include "x509_checks.cpp"  // CaEngine, FingerprintEngine (file-local types)

#define ESPFLEET_TARGET_SIZE(T) extern "C" __attribute__((used)) const unsigned espfleet_target_size__##T = sizeof(T);

// BearSSL contexts the firmware allocates (tls_client.cpp, trust_anchor.cpp) or a sketch may.
ESPFLEET_TARGET_SIZE(br_ssl_client_context)
ESPFLEET_TARGET_SIZE(br_x509_minimal_context)
ESPFLEET_TARGET_SIZE(br_x509_decoder_context)
// The firmware's own objects (app.cpp: new; x509_checks.cpp: malloc).
ESPFLEET_TARGET_SIZE(TasmotaApp)
ESPFLEET_TARGET_SIZE(TlsClient)
ESPFLEET_TARGET_SIZE(MqttClient)
ESPFLEET_TARGET_SIZE(WiFiClient)
ESPFLEET_TARGET_SIZE(CaEngine)
ESPFLEET_TARGET_SIZE(FingerprintEngine)
ESPFLEET_TARGET_SIZE(HeapWorkload)  // heap_workload.h, created by app.cpp when configured
