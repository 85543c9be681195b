// shims/WiFiClientSecureBearSSL.h — the ESP8266 core's BearSSL::WiFiClientSecure: TLS over a
// WiFiClient with the core's defaults, choices and memory, so a sketch written for the chip runs
// (and runs out of heap) here as it does there.
//
// What the core does, and so this client: the first secure client constructed takes the core's
// 6200-byte thunk stack (StackThunk.h; abort() when the heap cannot hold it), the last one
// destroyed frees it. A connect allocates the BearSSL client context and the I/O buffers — 16384 +
// 325 bytes in and 512 + 85 out unless setBufferSizes() said otherwise (each clamped to
// 512..16384, plus BearSSL's overhead) — and the X.509 engine the authentication mode needs, which
// is freed again when the handshake ends; a buffer that cannot be allocated fails the connect with
// getLastSSLError() = -1000. The ClientHello offers the core's full suite list (TLS 1.0-1.2);
// connect(host) checks the certificate's name against host, connect(IPAddress) checks no name. The
// handshake and every read wait up to the timeout (15 s until the handshake is done, then 5 s).
// Validation without setX509Time() uses the device's time() (configTime), as BearSSL does on the
// chip: an unset clock fails with "certificate expired or not yet valid" (54).
//
// Not copyable here (the core's copies share one connection).
#pragma once
#include <bearssl/bearssl.h>
#include <time.h>

#include "BearSSLHelpers.h"
#include "WString.h"
#include "WiFiClient.h"

namespace BearSSL {

class WiFiClientSecure : public WiFiClient {
 public:
  WiFiClientSecure();
  ~WiFiClientSecure() override;
  WiFiClientSecure(const WiFiClientSecure&) = delete;
  WiFiClientSecure& operator=(const WiFiClientSecure&) = delete;

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* name, uint16_t port) override;
  int connect(const String& host, uint16_t port) { return connect(host.c_str(), port); }
  uint8_t connected() override;
  size_t write(uint8_t b) override { return write(&b, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  size_t write_P(PGM_P buf, size_t size) { return write(reinterpret_cast<const uint8_t*>(buf), size); }
  int read(uint8_t* buf, size_t size) override;
  int read() override;
  int available() override;
  int peek() override;
  size_t peekBytes(uint8_t* buffer, size_t length);
  int availableForWrite();
  bool flush(unsigned int maxWaitMs) override;
  bool stop(unsigned int maxWaitMs) override;
  void flush() override { (void)flush(0); }
  void stop() override { (void)stop(0); }
  operator bool() override { return connected(); }
  using Print::write;

  // Authentication: each call replaces what an earlier one set.
  void setInsecure() {
    clearAuthentication();
    _insecure = true;
  }
  void setKnownKey(const PublicKey* pk, unsigned usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN) {
    clearAuthentication();
    _knownKey = pk;
    _knownKeyUsages = usages;
  }
  // SHA-1 of the server certificate's DER (the core's fingerprint, not Tasmota's key hash).
  bool setFingerprint(const uint8_t fingerprint[20]);
  // The same as text: 20 hex pairs, optionally separated by spaces or colons.
  bool setFingerprint(const char* fpStr);
  void allowSelfSignedCerts() {
    clearAuthentication();
    _selfSigned = true;
  }
  void setTrustAnchors(const X509List* ta) {
    clearAuthentication();
    _ta = ta;
  }
  void setX509Time(time_t now) { _now = now; }
  void setClientRSACert(const X509List* cert, const PrivateKey* sk);
  void setClientECCert(const X509List* cert, const PrivateKey* sk, unsigned allowed_usages,
                       unsigned cert_issuer_key_type);
  void setBufferSizes(int recv, int xmit);
  void setSession(Session* session) { _session = session; }
  bool setCiphers(const uint16_t* cipherAry, int cipherCount);
  bool setCiphersLessSecure();
  bool setSSLVersion(uint32_t min = BR_TLS10, uint32_t max = BR_TLS12);

  // After a connect: whether the server took the buffer size as its maximum fragment length.
  int getMFLNStatus();
  // The last connect's error (BearSSL's code, -1000 when memory ran out; 0 none), its text in dest.
  int getLastSSLError(char* dest = nullptr, size_t len = 0);

  // Whether the server at host:port honours the maximum fragment length len (512, 1024, 2048,
  // 4096): a ClientHello asking for it over plain TCP, and the ServerHello's answer.
  static bool probeMaxFragmentLength(IPAddress ip, uint16_t port, uint16_t len);
  static bool probeMaxFragmentLength(const char* hostname, uint16_t port, uint16_t len);
  static bool probeMaxFragmentLength(const String& host, uint16_t port, uint16_t len) {
    return probeMaxFragmentLength(host.c_str(), port, len);
  }

  // The buffers' sizes as allocated (payload + BearSSL's overhead).
  int inBufferSize() const { return _inSize; }
  int outBufferSize() const { return _outSize; }

 private:
  // The X.509 engine of the authentication mode in use, while a handshake is under way.
  struct Validator {
    enum class Kind : uint8_t { none, minimal, known_key, pinning } kind = Kind::none;
    union {
      br_x509_minimal_context* minimal = nullptr;
      br_x509_knownkey_context* known_key;
      void* pinning;  // the pinning engine (.cpp)
    };
    const br_x509_class** engine() const;
  };

  void clearAuthentication();
  bool connectSSL(const char* hostName);
  void freeSSL();
  bool tcpAlive();
  bool engineConnected();
  int pollRecvBuffer();
  int runUntil(unsigned target, bool blocking = true);
  bool installValidator();
  void freeValidator();
  static void report(int error, uint32_t ms);  // to the platform: the run's handshake figures

  br_ssl_client_context* _sc = nullptr;
  br_ssl_engine_context* _eng = nullptr;
  unsigned char* _in = nullptr;
  unsigned char* _out = nullptr;
  Validator _x509;
  int _inSize = 0, _outSize = 0;
  bool _handshakeDone = false;
  bool _oom = false;
  bool _appPending = false;  // application bytes acknowledged to the engine and not yet flushed
  time_t _now = 0;

  bool _insecure = false, _useFingerprint = false, _selfSigned = false;
  uint8_t _fingerprint[20] = {0};
  const PublicKey* _knownKey = nullptr;
  unsigned _knownKeyUsages = 0;
  const X509List* _ta = nullptr;

  const X509List* _chain = nullptr;
  const PrivateKey* _sk = nullptr;
  unsigned _allowedUsages = 0, _certIssuerKeyType = 0;
  Session* _session = nullptr;
  uint16_t* _ciphers = nullptr;  // a setCiphers() list (device heap), or the core's default
  int _cipherCount = 0;
  uint32_t _tlsMin = BR_TLS10, _tlsMax = BR_TLS12;

  // Reads the server's ServerHello as it streams in, for the max_fragment_length extension.
  struct HelloWatch {
    uint32_t off = 0, end = 0, exts = 0, next = 0;
    uint16_t ext_left = 0;
    uint8_t head[4] = {0};
    uint8_t head_n = 0;
    bool done = false, mfln = false;
    void feed(const uint8_t* p, size_t n);
  } _hello;

  unsigned char* _recvBuf = nullptr;  // application bytes the engine has ready (pollRecvBuffer)
  size_t _recvLen = 0;
};

}  // namespace BearSSL
