// shims/WiFiClient.cpp — WiFiClient over a TCP connection of the device's lwIP (simulated by
// sim/): the platform makes the connection, the client then talks to it directly.
#include "WiFiClient.h"

#include "Arduino.h"
#include "platform.h"

namespace {
constexpr uint32_t kFlushWaitMs = 300;  // ESP8266 core: flush waits up to 300 ms for the ACK
}

WiFiClient::WiFiClient() = default;

WiFiClient::~WiFiClient() { stop(0); }

int WiFiClient::connect(IPAddress ip, uint16_t port) {
  char host[16];
  snprintf(host, sizeof host, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  return WiFiClient::connect(host, port);  // this class's: a subclass's connect(name) may resolve and call back
}

int WiFiClient::connect(const char* host, uint16_t port) {
  EspPlatform* p = esp_platform();
  if (!p) return 0;
  if (_tcp) stop(0);
  _tcp = p->tcp_connect(host, port, uint32_t(_timeout));
  return _tcp ? 1 : 0;
}

size_t WiFiClient::write(uint8_t b) { return write(&b, 1); }

size_t WiFiClient::write(const uint8_t* buf, size_t size) {
  if (!_tcp || size == 0) return 0;
  return _tcp->write(buf, size);
}

// As the core's: nothing there yet gives the system a chance to run (optimistic_yield(100)), so a
// sketch's busy wait on available() does not starve the watchdog.
int WiFiClient::available() {
  if (!_tcp) return 0;
  const int n = _tcp->available();
  if (n == 0) optimistic_yield(100);
  return n;
}

int WiFiClient::read() {
  uint8_t b;
  return read(&b, 1) == 1 ? b : -1;
}

int WiFiClient::read(uint8_t* buf, size_t size) { return _tcp ? _tcp->read(buf, size) : -1; }

int WiFiClient::peek() { return _tcp ? _tcp->peek() : -1; }

bool WiFiClient::flush(unsigned int maxWaitMs) {
  if (!_tcp) return false;
  return _tcp->flush(maxWaitMs ? maxWaitMs : kFlushWaitMs);
}

bool WiFiClient::stop(unsigned int maxWaitMs) {
  if (!_tcp) return true;
  _tcp->close();
  _tcp = nullptr;
  return true;
}

uint8_t WiFiClient::connected() {
  if (!_tcp) return 0;
  // As on the core: still "connected" while unread data remains after the peer closed.
  return (_tcp->connected() || _tcp->available() > 0) ? 1 : 0;
}
