// tests/sim/heap/test_target_sizes.cpp — the heap charges the chip's sizes (docs/heap.md, "Target
// sizes"): the generated table holds the cross-compiled sizes, and device code that allocates a
// listed type through malloc/calloc/new lowers getFreeHeap by the umm-rounded *target* size while
// its host object stays fully writable without harming the heap or its neighbours.
#include <doctest/doctest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <bearssl.h>

#include <cstring>
#include <map>
#include <string>

#include "alloc_scope.h"
#include "fleet.h"
#include "heap_umm.h"
#include "platform.h"
#include "target_sizes.h"
#include "x509_checks.h"
// Device-side API last: Arduino.h maps malloc/free to the device heap for the code below.
#include <Arduino.h>
#include <WiFiClient.h>

using namespace espfleet;

namespace {

std::map<std::string, uint64_t> g_seen;  // what the device program measured
void record(const char* what, uint64_t v) {
  HostSection host;
  g_seen[what] = v;
}

uint32_t rounded(size_t n) { return uint32_t(UmmHeap::blocks_for(n) * UmmHeap::kBlockBytes); }

bool heap_ok() {
  DeviceHeap* h = alloc_heap();  // the running device's heap (null inside a HostSection)
  HostSection host;              // check_integrity allocates on the host
  return h && h->model().check_integrity().empty();
}

void fill(void* p, size_t n, uint8_t v) { memset(p, v, n); }
bool all(const void* p, size_t n, uint8_t v) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i] != v) return false;
  return true;
}

WiFiClient* volatile g_client;

void charge_program() {
  // malloc(sizeof(br_ssl_client_context)), as core/tls_client.cpp does, between two neighbours.
  auto* before = static_cast<uint8_t*>(malloc(64));
  uint32_t f0 = ESP.getFreeHeap();
  void* sc = malloc(sizeof(br_ssl_client_context));
  uint32_t f1 = ESP.getFreeHeap();
  auto* after = static_cast<uint8_t*>(malloc(64));
  record("ssl_cost", f0 - f1);
  record("ssl_ok", sc != nullptr);
  fill(before, 64, 0x11);
  fill(after, 64, 0x22);
  fill(sc, sizeof(br_ssl_client_context), 0xA5);  // every host byte
  record("ssl_heap_ok", heap_ok());
  record("neighbours_ok", all(before, 64, 0x11) && all(after, 64, 0x22));
  record("ssl_intact", all(sc, sizeof(br_ssl_client_context), 0xA5));
  free(sc);
  record("ssl_restored", ESP.getFreeHeap() == f0 - rounded(64));  // `after` is still held

  // calloc of the decoder context (core/trust_anchor.cpp mallocs it): zeroed host bytes.
  uint32_t f2 = ESP.getFreeHeap();
  auto* dec = static_cast<uint8_t*>(calloc(1, sizeof(br_x509_decoder_context)));
  record("dec_cost", f2 - ESP.getFreeHeap());
  record("dec_zero", dec && all(dec, sizeof(br_x509_decoder_context), 0));
  free(dec);

  // The CA engine of core/x509_checks.cpp: a file-local type, charged its target size too.
  uint32_t f3 = ESP.getFreeHeap();
  const br_x509_class** ca = x509_ca_new(nullptr, 0, 0, 0);
  record("ca_cost", f3 - ESP.getFreeHeap());
  record("ca_heap_ok", heap_ok());
  x509_engine_free(ca);

  // new of a firmware object (core/app.cpp: new WiFiClient()).
  uint32_t f4 = ESP.getFreeHeap();
  g_client = new WiFiClient();  // escapes: the allocation cannot be elided
  record("wifi_cost", f4 - ESP.getFreeHeap());
  delete g_client;
  record("wifi_restored", ESP.getFreeHeap() == f4);

  // A buffer of a size no listed type has is charged as it is.
  uint32_t f5 = ESP.getFreeHeap();
  void* buf = malloc(1000);
  record("buf_cost", f5 - ESP.getFreeHeap());
  free(buf);
  free(before);
  free(after);
  record("done", 1);
  for (;;) delay(1000);
}

}  // namespace

TEST_CASE("the generated table holds the chip's sizes from the cross-compile") {
  // Measured with xtensa-lx106-elf-gcc against Debian's BearSSL 0.6 headers (docs/heap.md).
  const TargetSize* ssl = find_target_size("br_ssl_client_context");
  REQUIRE(ssl);
  CHECK(ssl->target == 3408);
  CHECK(ssl->host == sizeof(br_ssl_client_context));
  REQUIRE(find_target_size("br_x509_minimal_context"));
  CHECK(find_target_size("br_x509_minimal_context")->target == 3048);
  REQUIRE(find_target_size("br_x509_decoder_context"));
  CHECK(find_target_size("br_x509_decoder_context")->target == 1112);
  for (const char* t : {"TasmotaApp", "TlsClient", "MqttClient", "WiFiClient", "CaEngine", "FingerprintEngine"}) {
    CAPTURE(t);
    const TargetSize* r = find_target_size(t);
    REQUIRE(r);
    CHECK(r->target > 0);
    CHECK(r->target < r->host);  // 32-bit pointers on the chip
  }
  CHECK(find_target_size("WiFiClient")->host == sizeof(WiFiClient));
  CHECK(find_target_size("no_such_type") == nullptr);
  CHECK(target_size_of(sizeof(br_ssl_client_context)) == 3408);
  CHECK(target_size_of(1000) == 1000);
  CHECK(target_size_of(0) == 0);
  // One rule per host size: no two rows disagree (the generator fails the build otherwise).
  for (const TargetSize& a : target_size_table())
    for (const TargetSize& b : target_size_table())
      if (a.host == b.host) CHECK(a.target == b.target);
}

TEST_CASE("device allocations of listed types lower getFreeHeap by the chip's size, not the host's") {
  g_seen.clear();
  FleetOptions o;
  o.mode = RunMode::fast;
  o.duration = VTime::from_s(2);
  o.program = Program{"charge", &charge_program};
  o.device_log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  Fleet eng(o, 1, 49152);
  DeviceConfig cfg;
  cfg.heap_bytes = 49152;
  cfg.tls_enabled = false;
  eng.add_device(0, cfg, 1, {}, VTime{});
  eng.run();
  REQUIRE(g_seen["done"] == 1);
  CHECK(g_seen["ssl_ok"] == 1);
  CHECK(g_seen["ssl_cost"] == 3416);  // 3408 + 4 → 427 blocks; the host's 3720 would cost 3728
  CHECK(g_seen["ssl_cost"] != rounded(sizeof(br_ssl_client_context)));
  CHECK(g_seen["ssl_heap_ok"] == 1);
  CHECK(g_seen["neighbours_ok"] == 1);
  CHECK(g_seen["ssl_intact"] == 1);
  CHECK(g_seen["ssl_restored"] == 1);
  CHECK(g_seen["dec_cost"] == rounded(1112));
  CHECK(g_seen["dec_zero"] == 1);
  CHECK(g_seen["ca_cost"] == rounded(find_target_size("CaEngine")->target));
  CHECK(g_seen["ca_heap_ok"] == 1);
  CHECK(g_seen["wifi_cost"] == rounded(find_target_size("WiFiClient")->target));
  CHECK(g_seen["wifi_restored"] == 1);
  CHECK(g_seen["buf_cost"] == 1008);
}
