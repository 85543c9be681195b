// shims/WiFiClient.cpp — WiFiClient over the platform's TCP (the device's lwIP, simulated by sim/).
#include "WiFiClient.h"
#include "platform.h"

namespace {
constexpr uint32_t kFlushWaitMs = 300;  // ESP8266 core: flush waits up to 300 ms for the ACK
}

WiFiClient::WiFiClient() = default;

WiFiClient::~WiFiClient() { stop(0); }

int WiFiClient::connect(IPAddress ip, uint16_t port) {
  char host[16];
  snprintf(host, sizeof host, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  return connect(host, port);
}

int WiFiClient::connect(const char* host, uint16_t port) {
  EspPlatform* p = esp_platform();
  if (!p) return 0;
  if (_handle >= 0) stop(0);
  int h = p->tcp_connect(host, port, uint32_t(_timeout));
  if (h < 0) return 0;
  _handle = h;
  return 1;
}

size_t WiFiClient::write(uint8_t b) { return write(&b, 1); }

size_t WiFiClient::write(const uint8_t* buf, size_t size) {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0 || size == 0) return 0;
  return p->tcp_write(_handle, buf, size);
}

int WiFiClient::available() {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0) return 0;
  return p->tcp_available(_handle);
}

int WiFiClient::read() {
  uint8_t b;
  return read(&b, 1) == 1 ? b : -1;
}

int WiFiClient::read(uint8_t* buf, size_t size) {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0) return -1;
  return p->tcp_read(_handle, buf, size);
}

int WiFiClient::peek() {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0) return -1;
  return p->tcp_peek(_handle);
}

bool WiFiClient::flush(unsigned int maxWaitMs) {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0) return false;
  return p->tcp_flush(_handle, maxWaitMs ? maxWaitMs : kFlushWaitMs);
}

bool WiFiClient::stop(unsigned int maxWaitMs) {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0) return true;
  p->tcp_close(_handle);
  _handle = -1;
  return true;
}

uint8_t WiFiClient::connected() {
  EspPlatform* p = esp_platform();
  if (!p || _handle < 0) return 0;
  // As on the core: still "connected" while unread data remains after the peer closed.
  return (p->tcp_connected(_handle) || p->tcp_available(_handle) > 0) ? 1 : 0;
}
