// nodemcu/net_conn.cpp — the firmware's TCP connection, plain or TLS (net_conn.h), over the device
// platform's TCP (shims/platform.h).
#include "net_conn.h"

#include <Arduino.h>
#include <stdio.h>

#include "platform.h"
#include "tls_session.h"

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
    // No certificates to verify against: the endpoint is not verified (tls.cert.verify's docs).
    const bool verify = tls->verify && tls->ca && tls->ca_len;
    // espconn_mbedtls.c's console lines around the handshake.
    Serial.print("client handshake start.\n");
    TlsSession::ClientAuth auth{reinterpret_cast<const uint8_t*>(tls->cert), tls->cert_len,
                                reinterpret_cast<const uint8_t*>(tls->key), tls->key_len};
    tls_ =
        TlsSession::start(tcp, verify ? reinterpret_cast<const uint8_t*>(tls->ca) : nullptr, verify ? tls->ca_len : 0,
                          tls->cert && tls->key ? &auth : nullptr, kHandshakeTimeoutMs, tls_error);
    if (!tls_) {  // the session closed the connection
      char line[48];
      snprintf(line, sizeof line, "client handshake failed!\nReason:[-0x%2x]\n", unsigned(-*tls_error));
      Serial.print(line);
      return ConnError::tls;
    }
    Serial.print("client handshake ok!\n");
  }
  tcp_ = tcp;
  ip_ = ip;
  port_ = port;
  return ConnError::none;
}

size_t NetConn::write(const uint8_t* buf, size_t len) {
  if (!tcp_) return 0;
  if (!tls_) return tcp_->write(buf, len);
  // The session takes at most a record's plaintext a call, none while lwIP's send buffer is full.
  size_t done = 0;
  const uint32_t start = millis();
  while (done < len) {
    const int n = tls_->write(buf + done, len - done);
    if (n < 0) break;
    if (n == 0) {
      if (uint32_t(millis()) - start >= kConnectTimeoutMs) break;
      delay(1);
      continue;
    }
    done += size_t(n);
  }
  return done;
}
int NetConn::available() { return tls_ ? tls_->available() : tcp_ ? tcp_->available() : 0; }
int NetConn::read(uint8_t* buf, size_t len) { return tls_ ? tls_->read(buf, len) : tcp_ ? tcp_->read(buf, len) : 0; }
bool NetConn::connected() { return tls_ ? tls_->connected() : tcp_ && tcp_->connected(); }

void NetConn::close() {
  if (!tcp_) return;
  if (tls_)
    tls_->close();  // close_notify, and the connection with it
  else
    tcp_->close();
  tls_ = nullptr;
  tcp_ = nullptr;
}
