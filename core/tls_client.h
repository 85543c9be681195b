// core/tls_client.h — the device's TLS 1.2 client on BearSSL, in the manner of Tasmota's light
// BearSSL client: one cipher family (AES-128-GCM, ECDHE on P-256), 1024/1024 buffers (so MFLN is
// requested), the chip's small-multiply implementations, a thunk stack for the handshake, and
// Tasmota's error codes. Wraps a plain TCP Client.
#pragma once
#include <WiFiClient.h>
#include <bearssl/bearssl.h>

#include "x509_checks.h"

// Firmware-level error codes (Tasmota's table); BearSSL's own codes are 1..62, 256+, 512+.
static const int kTlsErrOom = -1000;
static const int kTlsErrTcpConnect = -1002;
static const int kTlsErrTimeout = -1005;
// The peer closed the connection during the handshake without a TLS alert: BearSSL's
// BR_ERR_IO ("I/O error or premature close on underlying transport stream"), as Tasmota's
// error table lists it.
static const int kTlsErrClosedInHandshake = BR_ERR_IO;

// The firmware's algorithm choices on a BearSSL engine: SHA-256 and its TLS 1.2 PRF, AES-GCM
// records (small AES, ctmul32 GHASH), P-256 (m15), RSA i15 verification, and ECDSA i15
// verification when `ecdsa` (SetOption165).
void tls_set_engine_algorithms(br_ssl_engine_context* eng, bool ecdsa);

class TlsClient : public Client {
 public:
  explicit TlsClient(WiFiClient& tcp);  // the connection it runs over, as the core's secure client
  ~TlsClient() override;

  // Configuration (before connect). Pointers must outlive the connection.
  void setTrustAnchors(const br_x509_trust_anchor* tas, size_t count);
  void setClientECCert(const br_x509_certificate* cert, const br_ec_private_key* sk);
  void setEcdsa(bool enabled) { _ecdsa = enabled; }
  // Fingerprint mode (SetOption132 1): the slots are read at connect time and must outlive it;
  // allowAny accepts any key (learning, or a slot of all 0xFF). Fingerprint mode offers only the
  // RSA suite, as the firmware does. setCaValidation() goes back to CA mode.
  void setFingerprints(const uint8_t* fp1, const uint8_t* fp2, bool allowAny);
  void setCaValidation() { _fpMode = false; }
  // RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256), as older Tasmota builds used with
  // Let's Encrypt / plain TLS brokers; ignored when ECDSA or a client certificate is in use.
  void setRsaKeyExchange(bool enabled) { _rsaKx = enabled; }
  void setThunkSize(uint32_t bytes) { _thunkSize = bytes; }
  void setHandshakeTimeout(uint32_t ms) { _handshakeTimeout = ms; }

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* host, uint16_t port) override;
  size_t write(uint8_t b) override;
  size_t write(const uint8_t* buf, size_t size) override;
  int available() override;
  int read() override;
  int read(uint8_t* buf, size_t size) override;
  int peek() override;
  // As WiFiClient's: flush waits for the peer's ACK (up to maxWaitMs), stop closes.
  bool flush(unsigned int maxWaitMs);
  bool stop(unsigned int maxWaitMs);
  void flush() override { (void)flush(0); }
  void stop() override { (void)stop(0); }
  uint8_t connected() override;
  operator bool() override { return connected(); }
  using Print::write;

  int lastError() const { return _lastError; }
  // Whether the last connect's handshake completed: the engine reached the application-data
  // state. Only then is it a handshake (a peer that closes mid-handshake is an error).
  bool handshakeDone() const { return _handshakeDone; }
  uint32_t handshakeMs() const { return _handshakeMs; }
  uint32_t thunkSize() const;
  bool ecdsaOffered() const;  // SetOption165 and not in fingerprint mode
  bool rsaKeyExchange() const { return _rsaKx && !ecdsaOffered() && !_clientCert; }
  // The v2 fingerprint of the key the broker presented on the last connect attempt (fingerprint
  // mode only; all zero otherwise or when the key was not RSA).
  const uint8_t* receivedFingerprint() const { return _recvFp; }
  bool fingerprintMode() const { return _fpMode; }

  // Record buffers as Tasmota sizes them: 1024-byte payloads on the ESP8266, 2048 on an ESP32
  // (its MQTT_MAX_PACKET_SIZE, 1200, is under 2000), plus BearSSL's record overhead (325 in, 85 out).
  static const uint32_t kBufIn = 1024 + 325;
  static const uint32_t kBufOut = 1024 + 85;
  static const uint32_t kBufInEsp32 = 2048 + 325;
  static const uint32_t kBufOutEsp32 = 2048 + 85;
  static const uint32_t kEsp32ConnectTimeoutMs = 3000;  // the TCP connect on an ESP32 (5 s on the ESP8266)
  uint32_t bufIn() const { return _esp32 ? kBufInEsp32 : kBufIn; }
  bool onEsp32() const { return _esp32; }
  uint32_t bufOut() const { return _esp32 ? kBufOutEsp32 : kBufOut; }

 private:
  bool allocContexts();
  void freeContexts();
  void freeHandshake();
  bool runUntil(unsigned target, uint32_t timeoutMs, int* err);
  bool pumpOnce(bool allowWait);
  void takeInputAfterClose();
  uint32_t utcNow() const;

  WiFiClient& _tcp;
  br_ssl_client_context* _sc = nullptr;
  const br_x509_class** _x509 = nullptr;
  unsigned char* _in = nullptr;
  unsigned char* _out = nullptr;
  const br_x509_trust_anchor* _tas = nullptr;
  size_t _taCount = 0;
  const br_x509_certificate* _clientCert = nullptr;
  const br_ec_private_key* _clientKey = nullptr;
  bool _ecdsa = false;
  bool _fpMode = false;
  bool _rsaKx = false;
  bool _fpAllowAny = false;
  const uint8_t* _fp1 = nullptr;
  const uint8_t* _fp2 = nullptr;
  uint8_t _recvFp[kFingerprintLen] = {0};
  bool _thunkHeld = false;
  bool _connected = false;
  bool _handshakeDone = false;
  uint32_t _thunkSize = 0;
  uint32_t _handshakeTimeout = 10000;
  bool _esp32 = false;  // the chip is an ESP32 (Tasmota: #ifdef ESP32; here ESP.getChipModel())
  int _lastError = 0;
  uint32_t _handshakeMs = 0;
};
