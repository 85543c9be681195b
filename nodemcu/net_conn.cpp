// nodemcu/net_conn.cpp — the firmware's TCP connection, plain or TLS (net_conn.h), over the device
// platform's TCP (shims/platform.h).
#include "net_conn.h"

#include <stdio.h>

#include "platform.h"

ConnError NetConn::open(const char* host, uint16_t port, const TlsConfig* tls, int* tls_error) {
  close();
  EspPlatform* p = esp_platform();
  uint32_t ip = 0;
  if (!p->host_by_name(host, &ip)) return ConnError::dns;
  char dotted[16];
  snprintf(dotted, sizeof dotted, "%u.%u.%u.%u", ip & 0xFF, (ip >> 8) & 0xFF, (ip >> 16) & 0xFF, ip >> 24);
  EspTcp* tcp = p->tcp_connect(dotted, port, kConnectTimeoutMs);
  if (!tcp) return ConnError::connect;
  if (tls) {
    // mbed TLS is not built in yet.
    *tls_error = -1;
    tcp->close();
    return ConnError::tls;
  }
  tcp_ = tcp;
  ip_ = ip;
  port_ = port;
  return ConnError::none;
}

size_t NetConn::write(const uint8_t* buf, size_t len) { return tcp_ ? tcp_->write(buf, len) : 0; }
int NetConn::available() { return tcp_ ? tcp_->available() : 0; }
int NetConn::read(uint8_t* buf, size_t len) { return tcp_ ? tcp_->read(buf, len) : 0; }
bool NetConn::connected() { return tcp_ && tcp_->connected(); }

void NetConn::close() {
  if (!tcp_) return;
  tcp_->close();
  tcp_ = nullptr;
}
