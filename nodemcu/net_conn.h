// nodemcu/net_conn.h — one TCP connection of the firmware's network modules (a net or tls socket,
// an MQTT client): plain, or TLS through mbed TLS as NodeMCU configures it. Opening it resolves the
// host, connects and, when secure, runs the handshake, all before it returns: on the chip the SDK
// task that runs lwIP's and mbed TLS's callbacks does nothing else meanwhile, and neither does the
// script (docs/nodemcu.md, "The event loop").
#pragma once
#include <stddef.h>
#include <stdint.h>

class EspTcp;
class TlsSession;

// Why opening failed.
enum class ConnError : uint8_t { none, dns, connect, tls };

// A secure connection's settings: whether the server is verified, against the CA certificates in
// `ca` (PEM, one or more, `ca_len` bytes: tls.cert.verify's), and the client's own certificate and
// key when it presents them (tls.cert.auth's; null: none).
struct TlsConfig {
  bool verify = false;
  const char* ca = nullptr;
  size_t ca_len = 0;
  const char* cert = nullptr;
  size_t cert_len = 0;
  const char* key = nullptr;
  size_t key_len = 0;
};

class NetConn {
 public:
  // lwIP's SYN retries on the chip give up after about 10 s.
  static constexpr uint32_t kConnectTimeoutMs = 10000;
  // A bound of our own on a TLS handshake (NodeMCU's glue has none but the server's and lwIP's).
  static constexpr uint32_t kHandshakeTimeoutMs = 15000;

  // tls: nullptr for a plain connection. On a TLS failure *tls_error is mbed TLS's code.
  ConnError open(const char* host, uint16_t port, const TlsConfig* tls, int* tls_error);
  bool is_open() const { return tcp_ != nullptr; }
  size_t write(const uint8_t* buf, size_t len);  // what the stack took (TLS: plaintext bytes)
  int available();                               // bytes readable now (TLS: plaintext)
  int read(uint8_t* buf, size_t len);            // never waits; 0: nothing now
  bool connected();                              // false once the peer closed or the link broke
  void close();                                  // no-op when not open
  uint32_t peer_ip() const { return ip_; }
  uint16_t peer_port() const { return port_; }

 private:
  EspTcp* tcp_ = nullptr;
  TlsSession* tls_ = nullptr;
  uint32_t ip_ = 0;
  uint16_t port_ = 0;
};
