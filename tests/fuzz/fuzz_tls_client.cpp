// tests/fuzz/fuzz_tls_client.cpp — the firmware's TLS client (core/tls_client.cpp) as a server, or
// anything posing as one, drives it: the input is the byte stream the server sends, fed through
// BearSSL's engine by the client's own pump, in arrivals of the size the first byte says. The
// handshake runs in fingerprint mode learning any key (core/x509_checks.cpp decodes the chain and
// fingerprints the key) or, with the second byte's low bit, offering ECDSA too; a handshake that
// completes is read from and written to. Nothing may be read or written outside its buffers, no
// wait may go on forever, and a failure must come with an error code. The TCP client, the thunk
// stack (the calls go straight to BearSSL here), the clock and the heap are this file's.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <StackThunk.h>

#include "tls_client.h"

#undef malloc
#undef free
#undef calloc
#undef realloc

namespace {
uint64_t g_clock_ms = 0;
uint64_t g_yields = 0;
const uint8_t* g_data = nullptr;
size_t g_size = 0, g_chunk = 1, g_visible = 0, g_read = 0;
bool g_open = false;
uint32_t g_random = 1;

size_t available_now() {
  if (g_visible < g_size && g_yields > 0) {  // more arrives each time the client waits
    g_yields = 0;
    g_visible = g_visible + g_chunk < g_size ? g_visible + g_chunk : g_size;
  }
  return g_visible - g_read;
}
}  // namespace

#include "Esp.h"
EspClass ESP;  // the chip the firmware asks for (its record buffers): an ESP8266
const char* EspClass::getChipModel() { return "ESP8266"; }

extern "C" {
unsigned long millis(void) { return (unsigned long)++g_clock_ms; }
unsigned long micros(void) { return (unsigned long)(g_clock_ms * 1000); }
void yield(void) { g_yields++; }
void delay(unsigned long ms) { g_clock_ms += ms, g_yields++; }
uint32_t sntp_get_current_timestamp() { return 0; }  // the clock not set (fingerprint mode checks no dates)
void optimistic_yield(uint32_t) {}
void* pvPortMalloc(size_t size, const char*, int) { return std::malloc(size); }
void* pvPortCalloc(size_t count, size_t size, const char*, int) { return std::calloc(count, size); }
void* pvPortRealloc(void* p, size_t size, const char*, int) { return std::realloc(p, size); }
void vPortFree(void* p, const char*, int) { std::free(p); }

bool stack_thunk_light_add_ref(uint32_t) { return true; }
void stack_thunk_light_del_ref(void) {}
uint32_t stack_thunk_light_get_refcnt(void) { return 0; }
uint32_t stack_thunk_light_get_max_usage(void) { return 0; }
unsigned char* thunk_br_ssl_engine_recvapp_buf(const br_ssl_engine_context* cc, size_t* len) {
  return br_ssl_engine_recvapp_buf(cc, len);
}
void thunk_br_ssl_engine_recvapp_ack(br_ssl_engine_context* cc, size_t len) { br_ssl_engine_recvapp_ack(cc, len); }
unsigned char* thunk_br_ssl_engine_recvrec_buf(const br_ssl_engine_context* cc, size_t* len) {
  return br_ssl_engine_recvrec_buf(cc, len);
}
void thunk_br_ssl_engine_recvrec_ack(br_ssl_engine_context* cc, size_t len) { br_ssl_engine_recvrec_ack(cc, len); }
unsigned char* thunk_br_ssl_engine_sendapp_buf(const br_ssl_engine_context* cc, size_t* len) {
  return br_ssl_engine_sendapp_buf(cc, len);
}
void thunk_br_ssl_engine_sendapp_ack(br_ssl_engine_context* cc, size_t len) { br_ssl_engine_sendapp_ack(cc, len); }
unsigned char* thunk_br_ssl_engine_sendrec_buf(const br_ssl_engine_context* cc, size_t* len) {
  return br_ssl_engine_sendrec_buf(cc, len);
}
void thunk_br_ssl_engine_sendrec_ack(br_ssl_engine_context* cc, size_t len) { br_ssl_engine_sendrec_ack(cc, len); }
void thunk_br_ssl_engine_flush(br_ssl_engine_context* cc, int force) { br_ssl_engine_flush(cc, force); }
int thunk_br_ssl_client_reset(br_ssl_client_context* cc, const char* name, int resume) {
  return br_ssl_client_reset(cc, name, resume);
}
}

uint32_t esp_random(void) { return g_random = g_random * 1103515245u + 12345u; }  // the handshake's entropy

// The TCP connection under the TLS client: the peer sends the fuzz input and takes what it is sent.
WiFiClient::WiFiClient() {}
WiFiClient::~WiFiClient() {}
int WiFiClient::connect(IPAddress, uint16_t) { return g_open = true; }
int WiFiClient::connect(const char*, uint16_t) { return g_open = true; }
size_t WiFiClient::write(uint8_t) { return g_open ? 1 : 0; }
size_t WiFiClient::write(const uint8_t* buf, size_t n) {
  if (!g_open) return 0;
  volatile uint8_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum = uint8_t(sum + buf[i]);  // every byte claimed is readable
  return n;
}
int WiFiClient::available() { return g_open ? int(available_now()) : 0; }
int WiFiClient::read() { return available() > 0 ? g_data[g_read++] : -1; }
int WiFiClient::read(uint8_t* buf, size_t n) {
  size_t k = size_t(available());
  if (k > n) k = n;
  std::memcpy(buf, g_data + g_read, k);
  g_read += k;
  return int(k);
}
int WiFiClient::peek() { return available() > 0 ? g_data[g_read] : -1; }
bool WiFiClient::flush(unsigned int) { return g_open; }
bool WiFiClient::stop(unsigned int) {
  g_open = false;
  return true;
}
uint8_t WiFiClient::connected() { return g_open && g_read < g_size; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  g_chunk = size_t(data[0]) * 16 + 5;
  const bool ecdsa = data[1] & 1;
  g_data = data + 2;
  g_size = size - 2;
  g_visible = g_read = 0;
  g_open = false;
  g_clock_ms = g_yields = 0;
  g_random = 1;
  static const uint8_t kAnyKey[20] = {0};
  {
    WiFiClient tcp;
    TlsClient tls(tcp);
    tls.setFingerprints(kAnyKey, kAnyKey, true);
    tls.setEcdsa(ecdsa);
    tls.setHandshakeTimeout(10000);
    if (tls.connect("broker", 8883)) {
      const uint8_t ping[2] = {0xC0, 0x00};
      for (int pass = 0; pass < 256 && tls.connected(); ++pass) {
        uint8_t buf[256];
        while (tls.available() > 0) (void)tls.read(buf, sizeof buf);
        if (pass % 32 == 0) (void)tls.write(ping, sizeof ping);
        g_yields++;
      }
    } else if (tls.lastError() == 0) {
      std::abort();  // a failed connect says why
    }
    tls.stop();
  }
  if (g_clock_ms > 100000000) std::abort();  // some wait ran on and on
  return 0;
}
