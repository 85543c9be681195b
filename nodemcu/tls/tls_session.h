// nodemcu/tls/tls_session.h — a NodeMCU device's TLS 1.2 client connection over one connected TCP
// connection (EspTcp, shims/platform.h), made the way NodeMCU's espconn_mbedtls glue makes it
// (app/mbedtls/app/espconn_mbedtls.c, lwIPSocket.c), on mbed TLS configured as NodeMCU configures it
// (mbedtls_nodemcu_config.h). docs/nodemcu-tls.md.
//
//   TlsSession* s = TlsSession::start(tcp, ca, ca_len, 10000, &err);  // the whole handshake, now
//   s->write(p, n);  s->available();  s->read(buf, len);  s->connected();  s->close();
//
// - start() runs the handshake to its end before it returns: the device's code waits in it for
//   the server's bytes (the SDK's timers still fire meanwhile, as in any wait). The work of each
//   run of handshake steps is done at 160 MHz (EspPlatform::cpu_boost) with the soft watchdog off,
//   as NodeMCU's glue does around mbedtls_ssl_handshake. The platform hears of the handshake
//   (tls_handshake_begin, tls_handshake_end(error, ms)), so the run's figures count it.
// - ca: the CA certificate(s) the server's chain must lead to, as tls.cert.verify stores them (one
//   DER certificate, or PEM text with one or more); null: the server is not verified at all
//   (MBEDTLS_SSL_VERIFY_NONE, NodeMCU without tls.cert.verify). They are parsed for each
//   connection and freed once its handshake is over, as espconn_mbedtls loads them from flash.
//   Never checked: the certificates' dates (no clock) and the server's name (no
//   mbedtls_ssl_set_hostname, so no SNI either).
// - Everything — the contexts, the record buffers (two of 4429 bytes), the parsed certificates,
//   the socket layer's receive ring, this object — is on the device's heap, tagged tls (the two
//   buffers tls_buffers) in its heap map.
// - Errors are mbed TLS's codes (negative); tls_error_text names them. The ones a connection
//   meets: MBEDTLS_ERR_X509_CERT_VERIFY_FAILED (-0x2700), MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
//   (-0x7780, the server refused), MBEDTLS_ERR_SSL_INVALID_RECORD (-0x7200, a record over 4 KiB),
//   MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE (-0x7080, a handshake message over several records, e.g.
//   a Certificate message over 4 KiB), MBEDTLS_ERR_SSL_TIMEOUT (-0x6800), MBEDTLS_ERR_SSL_CONN_EOF
//   (-0x7280, the server closed), MBEDTLS_ERR_SSL_ALLOC_FAILED (-0x7F00), MBEDTLS_ERR_NET_CONN_RESET
//   (-0x0050, the connection went).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/config.h"  // and its last part, mbedtls_nodemcu_config.h

class EspTcp;

// The heap sites (HeapSite file names) of mbed TLS's own allocations and of the glue's; the heap
// maps them to tags (sim/heap/heap_tags.cpp).
inline constexpr const char* kMbedtlsHeapSite = ESPFLEET_MBEDTLS_HEAP_SITE;
inline constexpr const char* kTlsSessionHeapSite = "tls_session.cpp";
// lwIPSocket's receive ring between TCP and mbed TLS: two segments and one byte.
inline constexpr size_t kTlsRingBytes = 2 * 1460 + 1;
// The CPU clock NodeMCU's glue sets around the handshake's steps (system_update_cpu_freq(160)).
inline constexpr uint32_t kTlsHandshakeMhz = 160;

class TlsSession {
 public:
  // Runs the whole handshake over tcp now. ca/ca_len as above (null: no verification). On failure
  // returns nullptr with *err the mbed TLS error code, everything freed and tcp closed. timeout_ms
  // bounds the whole handshake (MBEDTLS_ERR_SSL_TIMEOUT). From here on the session owns tcp.
  static TlsSession* start(EspTcp* tcp, const uint8_t* ca, size_t ca_len, uint32_t timeout_ms, int* err);
  // The same, presenting the client's own certificate and key (tls.cert.auth: PEM or DER each),
  // parsed for the connection and freed once its handshake is over, as the CA is. The key's
  // signature in CertificateVerify is not charged (no lx106 measurement of it: docs/nodemcu-tls.md).
  struct ClientAuth {
    const uint8_t* cert = nullptr;
    size_t cert_len = 0;
    const uint8_t* key = nullptr;
    size_t key_len = 0;
  };
  static TlsSession* start(EspTcp* tcp, const uint8_t* ca, size_t ca_len, const ClientAuth* auth, uint32_t timeout_ms,
                           int* err);

  // Plaintext bytes taken (at most 1460 a call, NodeMCU's MBEDTLS_SSL_PLAIN_ADD), 0 when none
  // could be sent now (call again with the same bytes), or <0 (an error code: the connection is
  // over).
  virtual int write(const uint8_t* buf, size_t len) = 0;
  // Plaintext bytes readable now. Never blocks: reads what the socket has and decrypts a record.
  virtual int available() = 0;
  // Up to len plaintext bytes; never blocks: 0 = nothing now.
  virtual int read(uint8_t* buf, size_t len) = 0;
  // True while plaintext is left to read; else false once the server closed (close_notify or the
  // TCP close), an alert came, or an error.
  virtual bool connected() = 0;
  // The error that ended the connection (0: none, or the server's orderly close).
  virtual int last_error() = 0;
  // Sends close_notify, frees everything, closes the TCP connection; the object is gone.
  virtual void close() = 0;

 protected:
  ~TlsSession() = default;
};

// mbed TLS's description of an error code ("X509 - Certificate verification failed, e.g. CRL, CA
// or signature check failed"), written into buf; returns buf.
const char* tls_error_text(int code, char* buf, size_t len);
