// shims/WiFiClientSecureBearSSL.cpp — BearSSL::WiFiClientSecure (WiFiClientSecureBearSSL.h): the
// handshake, the record pump over the WiFiClient underneath, the authentication engines, the
// error texts and the MFLN probe. Every BearSSL engine step goes through the thunk wrappers
// (StackThunk.h), which run it on the device's thunk block and charge its work.
#include "WiFiClientSecureBearSSL.h"

#include <new>

#include "Arduino.h"
#include "ESP8266WiFi.h"
#include "StackThunk.h"
#include "coredecls.h"
#include "platform.h"

namespace BearSSL {

namespace {

// BearSSL's record overheads (ssl_engine.c): what a buffer needs beyond its payload.
constexpr int kInOverhead = 325;
constexpr int kOutOverhead = 85;
constexpr int kOomError = -1000;
constexpr unsigned long kHandshakeTimeoutMs = 15000;  // the core's, until the handshake is done
constexpr unsigned long kDataTimeoutMs = 5000;        // … and after

// The core's ClientHello list: BearSSL's full client profile, strongest and cheapest first.
const uint16_t kDefaultSuites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
    BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
    BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
    BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
    BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
    BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
    BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_RSA_WITH_AES_128_CCM,
    BR_TLS_RSA_WITH_AES_256_CCM,
    BR_TLS_RSA_WITH_AES_128_CCM_8,
    BR_TLS_RSA_WITH_AES_256_CCM_8,
    BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
    BR_TLS_RSA_WITH_AES_128_CBC_SHA,
    BR_TLS_RSA_WITH_AES_256_CBC_SHA,
    BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
    BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
    BR_TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
    BR_TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
    BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA,
};
constexpr int kDefaultSuiteCount = int(sizeof kDefaultSuites / sizeof kDefaultSuites[0]);

// setCiphersLessSecure(): plain RSA key exchange with AES-CBC, no elliptic curves.
const uint16_t kLessSecureSuites[] = {BR_TLS_RSA_WITH_AES_256_CBC_SHA256, BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
                                      BR_TLS_RSA_WITH_AES_256_CBC_SHA, BR_TLS_RSA_WITH_AES_128_CBC_SHA};

// The hash functions the engine and the X.509 engine may need, with their BearSSL ids.
struct HashImpl {
  int id;
  const br_hash_class* impl;
};
const HashImpl kHashes[] = {{br_md5_ID, &br_md5_vtable},       {br_sha1_ID, &br_sha1_vtable},
                            {br_sha224_ID, &br_sha224_vtable}, {br_sha256_ID, &br_sha256_vtable},
                            {br_sha384_ID, &br_sha384_vtable}, {br_sha512_ID, &br_sha512_vtable}};

// The engine's algorithms for any suite of the list: every hash, every PRF, every record cipher.
void set_engine_algorithms(br_ssl_client_context* cc, const uint16_t* suites, int count) {
  br_ssl_engine_context* eng = &cc->eng;
  br_ssl_client_zero(cc);
  // The core frees the client key after the handshake: a renegotiation could not sign again.
  br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
  br_ssl_engine_set_versions(eng, BR_TLS10, BR_TLS12);
  br_ssl_engine_set_suites(eng, suites, size_t(count));
  br_ssl_client_set_default_rsapub(cc);
  br_ssl_engine_set_default_rsavrfy(eng);
  br_ssl_engine_set_default_ecdsa(eng);
  for (const HashImpl& h : kHashes) br_ssl_engine_set_hash(eng, h.id, h.impl);
  br_ssl_engine_set_prf10(eng, &br_tls10_prf);
  br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
  br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
  br_ssl_engine_set_default_aes_cbc(eng);
  br_ssl_engine_set_default_aes_gcm(eng);
  br_ssl_engine_set_default_aes_ccm(eng);
  br_ssl_engine_set_default_des_cbc(eng);
  br_ssl_engine_set_default_chapol(eng);
}

// ---- The engine for setInsecure / setFingerprint / allowSelfSignedCerts --------------------------
// Decodes the server's certificate for its key; with a fingerprint, the SHA-1 of the certificate's
// DER must match; for self-signed certificates, its issuer must be its subject.

// Hashes a certificate's issuer and subject names as its bytes stream by (BearSSL 0.6's decoder
// reports only the subject): Certificate { TBSCertificate { [0] version, serial, signature
// algorithm, issuer, validity, subject, ... } }, each name hashed as its whole DER element.
struct NameWatch {
  br_sha256_context issuer, subject;
  uint32_t skip;   // content bytes of the current element still to pass
  uint8_t hdr[6];  // the element header being read
  uint8_t hdr_n;
  uint8_t depth;   // 0: before the certificate, 1: inside it, 2: inside the TBSCertificate
  uint8_t index;   // which TBSCertificate field comes next (after the version)
  uint8_t target;  // the current element feeds: 0 nothing, 1 the issuer hash, 2 the subject hash
  bool done, broken;

  void start() {
    br_sha256_init(&issuer);
    br_sha256_init(&subject);
    skip = 0;
    hdr_n = depth = index = target = 0;
    done = broken = false;
  }
  void feed(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n && !done; ++i) byte(p[i]);
  }
  void hash(const void* p, size_t n) {
    if (target == 1) br_sha256_update(&issuer, p, n);
    if (target == 2) br_sha256_update(&subject, p, n);
  }
  void byte(uint8_t b) {
    if (skip) {
      hash(&b, 1);
      if (--skip == 0 && target == 2) done = true;
      return;
    }
    hdr[hdr_n++] = b;
    if (hdr_n < 2) return;
    uint32_t len = hdr[1];
    if (len & 0x80) {
      const uint8_t bytes = len & 0x7f;
      if (bytes == 0 || bytes > 3) {
        broken = done = true;
        return;
      }
      if (hdr_n < 2 + bytes) return;
      len = 0;
      for (uint8_t k = 0; k < bytes; ++k) len = len << 8 | hdr[2 + k];
    }
    const uint8_t header = hdr_n;
    hdr_n = 0;
    if (depth < 2) {  // the Certificate and TBSCertificate SEQUENCEs: go inside
      ++depth;
      return;
    }
    target = 0;
    if (index == 0 && hdr[0] == 0xA0) {  // the optional version: not a field we count
      skip = len;
      return;
    }
    if (index == 2) target = 1;
    if (index == 4) target = 2;
    ++index;
    hash(hdr, header);
    skip = len;
    if (!len && target == 2) done = true;
  }
};

struct PinningX509 {
  const br_x509_class* vtable;
  const uint8_t* fingerprint;  // null: any certificate
  bool self_signed_only;
  bool seen;  // the first (server) certificate is complete
  br_sha1_context cert_hash;
  NameWatch names;
  br_x509_decoder_context decoder;
};

void pin_no_dn(void*, const void*, size_t) {}
void pin_start_chain(const br_x509_class** ctx, const char*) {
  auto* x = reinterpret_cast<PinningX509*>(ctx);
  br_x509_decoder_init(&x->decoder, pin_no_dn, nullptr);
  br_sha1_init(&x->cert_hash);
  x->names.start();
  x->seen = false;
}
void pin_start_cert(const br_x509_class**, uint32_t) {}
void pin_append(const br_x509_class** ctx, const unsigned char* buf, size_t len) {
  auto* x = reinterpret_cast<PinningX509*>(ctx);
  if (x->seen) return;  // only the server's own certificate counts
  br_sha1_update(&x->cert_hash, buf, len);
  br_x509_decoder_push(&x->decoder, buf, len);
  if (x->self_signed_only) x->names.feed(buf, len);
}
void pin_end_cert(const br_x509_class** ctx) { reinterpret_cast<PinningX509*>(ctx)->seen = true; }
unsigned pin_end_chain(const br_x509_class** ctx) {
  auto* x = reinterpret_cast<PinningX509*>(ctx);
  if (!x->seen) return BR_ERR_X509_EMPTY_CHAIN;
  if (x->fingerprint) {
    uint8_t got[20];
    br_sha1_out(&x->cert_hash, got);
    if (memcmp(got, x->fingerprint, sizeof got)) return BR_ERR_X509_NOT_TRUSTED;
  }
  if (x->self_signed_only) {
    uint8_t s[32], i[32];
    br_sha256_out(&x->names.subject, s);
    br_sha256_out(&x->names.issuer, i);
    if (x->names.broken || !x->names.done || memcmp(s, i, sizeof s)) return BR_ERR_X509_NOT_TRUSTED;
  }
  return 0;
}
const br_x509_pkey* pin_get_pkey(const br_x509_class* const* ctx, unsigned* usages) {
  auto* x = reinterpret_cast<PinningX509*>(const_cast<br_x509_class**>(ctx));
  if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
  return br_x509_decoder_get_pkey(&x->decoder);
}
const br_x509_class kPinningVtable = {sizeof(PinningX509), pin_start_chain, pin_start_cert, pin_append,
                                      pin_end_cert,        pin_end_chain,   pin_get_pkey};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// The X.509 engine of one connect (allocated for the handshake, freed after it, as the core's).
const br_x509_class** WiFiClientSecure::Validator::engine() const {
  switch (kind) {
    case Kind::minimal:
      return &minimal->vtable;
    case Kind::known_key:
      return &known_key->vtable;
    case Kind::pinning:
    case Kind::none:
      break;
  }
  return &static_cast<PinningX509*>(pinning)->vtable;
}

namespace {
// Where the core uses new (a reset when the heap is full: or_abort) or new(std::nothrow) (nullptr):
// the same, on the device heap, with call sites named for the heap map and `espfleet profile`.
void* take(size_t n, const char* site, bool or_abort) {
  void* p = pvPortMalloc(n, site, 0);
  if (!p && or_abort)
    if (EspPlatform* pl = esp_platform()) pl->oom_abort(n);
  return p;
}
constexpr const char* kContextSite = "WiFiClientSecure.context";
constexpr const char* kInSite = "WiFiClientSecure.buffer_in";
constexpr const char* kOutSite = "WiFiClientSecure.buffer_out";
constexpr const char* kX509Site = "WiFiClientSecure.x509";
}  // namespace

WiFiClientSecure::WiFiClientSecure() {
  _timeout = kHandshakeTimeoutMs;
  setBufferSizes(16384, 512);  // the core's default: a full-size record in, a small one out
  stack_thunk_add_ref();
}

WiFiClientSecure::~WiFiClientSecure() {
  freeSSL();
  WiFiClient::stop(0);
  free(_ciphers);
  stack_thunk_del_ref();
}

void WiFiClientSecure::clearAuthentication() {
  _insecure = _useFingerprint = _selfSigned = false;
  _knownKey = nullptr;
  _ta = nullptr;
}

bool WiFiClientSecure::setFingerprint(const uint8_t fingerprint[20]) {
  clearAuthentication();
  _useFingerprint = true;
  memcpy_P(_fingerprint, fingerprint, 20);
  return true;
}

bool WiFiClientSecure::setFingerprint(const char* fpStr) {
  if (!fpStr) return false;
  uint8_t fp[20];
  size_t n = 0;
  const char* p = fpStr;
  while (*p) {
    while (*p == ' ' || *p == ':') ++p;
    if (!*p) break;
    const int hi = hex_value(p[0]), lo = p[1] ? hex_value(p[1]) : -1;
    if (hi < 0 || lo < 0 || n == sizeof fp) return false;  // not hex, half a byte, or too long
    fp[n++] = uint8_t(hi << 4 | lo);
    p += 2;
  }
  if (n != sizeof fp) return false;
  return setFingerprint(fp);
}

void WiFiClientSecure::setClientRSACert(const X509List* cert, const PrivateKey* sk) {
  _chain = cert;
  _sk = sk;
}

void WiFiClientSecure::setClientECCert(const X509List* cert, const PrivateKey* sk, unsigned allowed_usages,
                                       unsigned cert_issuer_key_type) {
  _chain = cert;
  _sk = sk;
  _allowedUsages = allowed_usages;
  _certIssuerKeyType = cert_issuer_key_type;
}

void WiFiClientSecure::setBufferSizes(int recv, int xmit) {
  recv = recv < 512 ? 512 : recv > 16384 ? 16384 : recv;
  xmit = xmit < 512 ? 512 : xmit > 16384 ? 16384 : xmit;
  _inSize = recv + kInOverhead;
  _outSize = xmit + kOutOverhead;
}

bool WiFiClientSecure::setCiphers(const uint16_t* cipherAry, int cipherCount) {
  free(_ciphers);
  _ciphers = nullptr;
  _cipherCount = 0;
  if (!cipherAry || cipherCount <= 0) return false;
  _ciphers = static_cast<uint16_t*>(malloc(size_t(cipherCount) * sizeof(uint16_t)));
  if (!_ciphers) return false;
  memcpy_P(_ciphers, cipherAry, size_t(cipherCount) * sizeof(uint16_t));
  _cipherCount = cipherCount;
  return true;
}

bool WiFiClientSecure::setCiphersLessSecure() {
  return setCiphers(kLessSecureSuites, int(sizeof kLessSecureSuites / sizeof kLessSecureSuites[0]));
}

bool WiFiClientSecure::setSSLVersion(uint32_t min, uint32_t max) {
  auto known = [](uint32_t v) { return v == BR_TLS10 || v == BR_TLS11 || v == BR_TLS12; };
  if (!known(min) || !known(max) || max < min) return false;
  _tlsMin = min;
  _tlsMax = max;
  return true;
}

// ---- Connect -----------------------------------------------------------------------------------

int WiFiClientSecure::connect(IPAddress ip, uint16_t port) {
  if (!WiFiClient::connect(ip, port)) return 0;
  return connectSSL(nullptr);
}

int WiFiClientSecure::connect(const char* name, uint16_t port) {
  IPAddress addr;
  if (!WiFi.hostByName(name, addr)) return 0;
  if (!WiFiClient::connect(addr, port)) return 0;
  return connectSSL(name);
}

void WiFiClientSecure::freeValidator() {
  if (_x509.kind == Validator::Kind::none) return;
  free(_x509.minimal);  // whichever of the union it is
  _x509 = Validator{};
  // Nothing reads the engine's X.509 pointer after the handshake (no renegotiation): clear it so
  // no later step follows it into freed memory.
  if (_eng) _eng->x509ctx = nullptr;
}

void WiFiClientSecure::freeSSL() {
  freeValidator();
  free(_sc);
  free(_in);
  free(_out);
  _sc = nullptr;
  _eng = nullptr;
  _in = _out = nullptr;
  _recvBuf = nullptr;
  _recvLen = 0;
  _appPending = false;
  _handshakeDone = false;
  _timeout = kHandshakeTimeoutMs;
}

bool WiFiClientSecure::installValidator() {
  if (_insecure || _useFingerprint || _selfSigned) {
    auto* x = static_cast<PinningX509*>(take(sizeof(PinningX509), kX509Site, true));
    memset(x, 0, sizeof *x);
    x->vtable = &kPinningVtable;
    x->fingerprint = _useFingerprint ? _fingerprint : nullptr;
    x->self_signed_only = _selfSigned;
    _x509.kind = Validator::Kind::pinning;
    _x509.pinning = x;
  } else if (_knownKey) {
    if (!_knownKey->isRSA() && !_knownKey->isEC()) return false;  // a key that did not parse
    auto* x = static_cast<br_x509_knownkey_context*>(take(sizeof(br_x509_knownkey_context), kX509Site, true));
    if (_knownKey->isRSA())
      br_x509_knownkey_init_rsa(x, _knownKey->getRSA(), _knownKeyUsages);
    else
      br_x509_knownkey_init_ec(x, _knownKey->getEC(), _knownKeyUsages);
    _x509.kind = Validator::Kind::known_key;
    _x509.known_key = x;
  } else {
    auto* x = static_cast<br_x509_minimal_context*>(take(sizeof(br_x509_minimal_context), kX509Site, true));
    br_x509_minimal_init(x, &br_sha256_vtable, _ta ? _ta->getTrustAnchors() : nullptr, _ta ? _ta->getCount() : 0);
    br_x509_minimal_set_rsa(x, br_ssl_engine_get_rsavrfy(_eng));
    br_x509_minimal_set_ecdsa(x, br_ssl_engine_get_ec(_eng), br_ssl_engine_get_ecdsa(_eng));
    for (const HashImpl& h : kHashes) br_x509_minimal_set_hash(x, h.id, h.impl);
    // BearSSL on the chip asks time() when no time is set; here that is the device's clock.
    const uint32_t now = uint32_t(_now ? _now : esp_device_time(nullptr));
    br_x509_minimal_set_time(x, now / 86400 + 719528, now % 86400);
    _x509.kind = Validator::Kind::minimal;
    _x509.minimal = x;
  }
  br_ssl_engine_set_x509(_eng, _x509.engine());
  return true;
}

void WiFiClientSecure::HelloWatch::feed(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n && !done; ++i) {
    const uint32_t at = off++;
    const uint8_t b = p[i];
    if ((at == 0 && b != 0x16) || (at == 5 && b != 0x02)) done = true;  // not a handshake / ServerHello
    if (at >= 6 && at <= 8) end = end << 8 | b;
    if (at == 8) end += 9;  // the ServerHello's last byte + 1, counted from the record's start
    if (at >= 9 && at >= end) done = true;
    if (at == 43) exts = 44u + b + 3u;  // after the session id, the suite and the compression
    if (exts && at == exts) ext_left = uint16_t(b << 8);
    if (exts && at == exts + 1) {
      ext_left |= b;
      next = at + 1;
    }
    if (next && at >= next && ext_left) {
      head[head_n++] = b;
      if (head_n == 4) {
        const uint16_t type = uint16_t(head[0] << 8 | head[1]), len = uint16_t(head[2] << 8 | head[3]);
        if (type == 0x0001) mfln = done = true;
        next = at + 1 + len;
        ext_left = uint16_t(ext_left > 4 + len ? ext_left - 4 - len : 0);
        head_n = 0;
      }
    }
    if (next && !ext_left) done = true;
  }
}

void WiFiClientSecure::report(int error, uint32_t ms) {
  if (EspPlatform* p = esp_platform()) p->tls_handshake_end(error, ms);
}

bool WiFiClientSecure::connectSSL(const char* hostName) {
  if (EspPlatform* p = esp_platform()) p->tls_handshake_begin();
  freeSSL();
  _oom = false;
  _hello = HelloWatch{};
  // As the core's make_shared: a context that does not fit resets the device (OOM); buffers that
  // do not fit fail the connect (-1000).
  _sc = static_cast<br_ssl_client_context*>(take(sizeof(br_ssl_client_context), kContextSite, true));
  _eng = &_sc->eng;
  _in = static_cast<unsigned char*>(take(size_t(_inSize), kInSite, false));
  _out = static_cast<unsigned char*>(take(size_t(_outSize), kOutSite, false));
  if (!_in || !_out) {
    freeSSL();
    _oom = true;
    report(kOomError, 0);
    return false;
  }
  set_engine_algorithms(_sc, _ciphers ? _ciphers : kDefaultSuites, _ciphers ? _cipherCount : kDefaultSuiteCount);
  if (!installValidator()) {
    freeSSL();
    return false;
  }
  br_ssl_engine_set_buffers_bidi(_eng, _in, size_t(_inSize), _out, size_t(_outSize));
  br_ssl_engine_set_versions(_eng, _tlsMin, _tlsMax);
  if (_sk && _sk->isRSA()) {
    br_ssl_client_set_single_rsa(_sc, _chain ? _chain->getX509Certs() : nullptr, _chain ? _chain->getCount() : 0,
                                 _sk->getRSA(), br_rsa_pkcs1_sign_get_default());
  } else if (_sk && _sk->isEC()) {
    br_ssl_client_set_single_ec(_sc, _chain ? _chain->getX509Certs() : nullptr, _chain ? _chain->getCount() : 0,
                                _sk->getEC(), _allowedUsages, _certIssuerKeyType, br_ec_get_default(),
                                br_ecdsa_sign_asn1_get_default());
  }
  if (_session) br_ssl_engine_set_session_parameters(_eng, _session->getSession());
  // The chip's BearSSL seeds its generator from the hardware RNG; here that is the device's.
  uint8_t seed[32];
  for (size_t i = 0; i < sizeof seed; i += 4) {
    const uint32_t r = esp_random();
    memcpy(seed + i, &r, 4);
  }
  br_ssl_engine_inject_entropy(_eng, seed, sizeof seed);
  if (!thunk_br_ssl_client_reset(_sc, hostName, _session ? 1 : 0)) {
    report(br_ssl_engine_last_error(_eng), 0);
    freeSSL();
    return false;
  }
  // The handshake: until the engine can take application data, or fails, or the peer goes.
  const uint32_t start = millis();
  while (!_handshakeDone && tcpAlive()) {
    if (runUntil(BR_SSL_SENDAPP) < 0) break;
    if (br_ssl_engine_current_state(_eng) & BR_SSL_SENDAPP) _handshakeDone = true;
    optimistic_yield(1000);
  }
  const int err = br_ssl_engine_last_error(_eng);
  report(_handshakeDone ? 0 : err ? err : BR_ERR_IO, millis() - start);  // no error: the peer went away
  freeValidator();
  // A failed handshake keeps the context and buffers (and the TCP connection) until the next
  // connect or stop(), as the core's does; getLastSSLError() reads the engine's error meanwhile.
  if (!_handshakeDone) return false;
  _timeout = kDataTimeoutMs;
  return true;
}

// ---- The record pump ---------------------------------------------------------------------------

bool WiFiClientSecure::tcpAlive() { return WiFiClient::connected(); }

bool WiFiClientSecure::engineConnected() {
  return _handshakeDone && _eng && tcpAlive() && br_ssl_engine_current_state(_eng) != BR_SSL_CLOSED;
}

// Runs the engine until its state has `target` (0), or it fails, closes, times out or (not
// blocking) runs out of work (-1); the steps of BearSSL's own br_sslio loop.
int WiFiClientSecure::runUntil(unsigned target, bool blocking) {
  if (!_eng) return -1;
  const uint32_t start = millis();
  for (int idle = 0; blocking || idle < 2;) {
    optimistic_yield(100);
    if (millis() - start >= _timeout) return -1;
    const unsigned state = br_ssl_engine_current_state(_eng);
    if (state & BR_SSL_CLOSED) return -1;
    if (!WiFiClient::connected() && !WiFiClient::available()) return (state & target) ? 0 : -1;
    if (state & BR_SSL_SENDREC) {  // records to send come first
      size_t len;
      unsigned char* buf = thunk_br_ssl_engine_sendrec_buf(_eng, &len);
      const size_t sent = WiFiClient::write(buf, len);
      if (sent == 0) return -1;
      thunk_br_ssl_engine_sendrec_ack(_eng, sent);
      idle = 0;
      continue;
    }
    if (state & target) return 0;
    if (state & BR_SSL_RECVAPP) return -1;  // application data must be read before anything else
    if ((state & BR_SSL_RECVREC) && WiFiClient::available()) {
      size_t len;
      unsigned char* buf = thunk_br_ssl_engine_recvrec_buf(_eng, &len);
      const int got = WiFiClient::read(buf, len);
      if (got < 0) return -1;
      if (got > 0 && !_handshakeDone) _hello.feed(buf, size_t(got));  // still plaintext
      if (got > 0) thunk_br_ssl_engine_recvrec_ack(_eng, size_t(got));
      idle = 0;
      continue;
    }
    // Nothing moved: push out buffered application data, if there is any. (With nothing buffered
    // BearSSL's flush returns at once; not calling it keeps an idle poll a pure query.)
    if (_appPending) {
      thunk_br_ssl_engine_flush(_eng, 0);
      _appPending = false;
    }
    ++idle;
  }
  return -1;
}

int WiFiClientSecure::pollRecvBuffer() {
  if (_recvBuf) return int(_recvLen);
  if (!_eng || runUntil(BR_SSL_RECVAPP, false) < 0) return 0;
  const unsigned state = br_ssl_engine_current_state(_eng);
  if (state == BR_SSL_CLOSED) return 0;
  if (state & BR_SSL_RECVAPP) {
    _recvBuf = thunk_br_ssl_engine_recvapp_buf(_eng, &_recvLen);
    return int(_recvLen);
  }
  return 0;
}

uint8_t WiFiClientSecure::connected() {
  if (!engineConnected()) return 0;
  if (pollRecvBuffer() > 0) return 1;
  return engineConnected() ? 1 : 0;
}

int WiFiClientSecure::available() { return _handshakeDone ? pollRecvBuffer() : 0; }

int WiFiClientSecure::read(uint8_t* buf, size_t size) {
  if (!_eng || !_handshakeDone) return -1;
  const int avail = pollRecvBuffer();
  if (!avail) return engineConnected() ? 0 : -1;
  const size_t n = _recvLen < size ? _recvLen : size;
  memcpy(buf, _recvBuf, n);
  thunk_br_ssl_engine_recvapp_ack(_eng, n);
  _recvBuf = nullptr;
  _recvLen = 0;
  return int(n);
}

int WiFiClientSecure::read() {
  uint8_t c;
  return read(&c, 1) == 1 ? c : -1;
}

int WiFiClientSecure::peek() {
  if (!_eng || !_handshakeDone || pollRecvBuffer() == 0) return -1;
  return _recvBuf && _recvLen ? _recvBuf[0] : -1;
}

size_t WiFiClientSecure::peekBytes(uint8_t* buffer, size_t length) {
  if (!_eng || !_handshakeDone) return 0;
  const uint32_t start = millis();
  while (pollRecvBuffer() < int(length) && millis() - start < kDataTimeoutMs) yield();
  const size_t n = _recvLen < length ? _recvLen : length;
  if (n) memcpy(buffer, _recvBuf, n);
  return n;
}

int WiFiClientSecure::availableForWrite() {
  if (!engineConnected() || runUntil(BR_SSL_SENDAPP) < 0) return 0;
  if (!(br_ssl_engine_current_state(_eng) & BR_SSL_SENDAPP)) return 0;
  size_t len;
  (void)thunk_br_ssl_engine_sendapp_buf(_eng, &len);
  return int(len);
}

size_t WiFiClientSecure::write(const uint8_t* buf, size_t size) {
  if (!size || !engineConnected()) return 0;
  size_t sent = 0;
  while (size) {
    if (sent) optimistic_yield(1000);  // a long write in several records lets the system run
    if (runUntil(BR_SSL_SENDAPP) < 0 || !(br_ssl_engine_current_state(_eng) & BR_SSL_SENDAPP)) break;
    size_t room;
    unsigned char* dst = thunk_br_ssl_engine_sendapp_buf(_eng, &room);
    const size_t n = size < room ? size : room;
    memcpy_P(dst, buf, n);
    thunk_br_ssl_engine_sendapp_ack(_eng, n);
    _appPending = true;
    thunk_br_ssl_engine_flush(_eng, 0);  // each write leaves as its own record(s), as the core's
    _appPending = false;
    flush();
    buf += n;
    sent += n;
    size -= n;
  }
  return sent;
}

bool WiFiClientSecure::flush(unsigned int maxWaitMs) {
  (void)runUntil(BR_SSL_SENDAPP);
  return WiFiClient::flush(maxWaitMs);
}

bool WiFiClientSecure::stop(unsigned int maxWaitMs) {
  const bool ok = WiFiClient::stop(maxWaitMs);
  if (_handshakeDone && _session && _eng) br_ssl_engine_get_session_parameters(_eng, _session->getSession());
  freeSSL();
  return ok;
}

int WiFiClientSecure::getMFLNStatus() {
  // Whether the ServerHello echoed the maximum fragment length extension (HelloWatch; BearSSL 0.6
  // keeps no note of it, the core's fork of BearSSL does).
  return connected() && _hello.mfln;
}

// ---- Errors ------------------------------------------------------------------------------------

namespace {
struct ErrorText {
  int code;
  const char* text;
};
const ErrorText kErrorTexts[] = {
    {BR_ERR_BAD_PARAM, "Caller-provided parameter is incorrect."},
    {BR_ERR_BAD_STATE, "Operation requested by the caller cannot be applied with the current context state."},
    {BR_ERR_UNSUPPORTED_VERSION, "Incoming protocol or record version is unsupported."},
    {BR_ERR_BAD_VERSION, "Incoming record version does not match the expected version."},
    {BR_ERR_BAD_LENGTH, "Incoming record length is invalid."},
    {BR_ERR_TOO_LARGE,
     "Incoming record is too large to be processed, or buffer is too small for the handshake "
     "message to send."},
    {BR_ERR_BAD_MAC, "Decryption found an invalid padding, or the record MAC is not correct."},
    {BR_ERR_NO_RANDOM, "No initial entropy was provided, and none can be obtained from the OS."},
    {BR_ERR_UNKNOWN_TYPE, "Incoming record type is unknown."},
    {BR_ERR_UNEXPECTED, "Incoming record or message has wrong type with regards to the current engine state."},
    {BR_ERR_BAD_CCS, "ChangeCipherSpec message from the peer has invalid contents."},
    {BR_ERR_BAD_ALERT, "Alert message from the peer has invalid contents (odd length)."},
    {BR_ERR_BAD_HANDSHAKE, "Incoming handshake message decoding failed."},
    {BR_ERR_OVERSIZED_ID, "ServerHello contains a session ID which is larger than 32 bytes."},
    {BR_ERR_BAD_CIPHER_SUITE, "Server wants to use a cipher suite that we did not claim to support."},
    {BR_ERR_BAD_COMPRESSION, "Server wants to use a compression that we did not claim to support."},
    {BR_ERR_BAD_FRAGLEN, "Server's max fragment length does not match client's."},
    {BR_ERR_BAD_SECRENEG, "Secure renegotiation failed."},
    {BR_ERR_EXTRA_EXTENSION,
     "Server sent an extension type that we did not announce, or used the same extension "
     "type several times in a single ServerHello."},
    {BR_ERR_BAD_SNI, "Invalid Server Name Indication contents."},
    {BR_ERR_BAD_HELLO_DONE, "Invalid ServerHelloDone from the server (length is not 0)."},
    {BR_ERR_LIMIT_EXCEEDED, "Internal limit exceeded (e.g. server's public key is too large)."},
    {BR_ERR_BAD_FINISHED, "Finished message from peer does not match the expected value."},
    {BR_ERR_RESUME_MISMATCH, "Session resumption attempt with distinct version or cipher suite."},
    {BR_ERR_INVALID_ALGORITHM, "Unsupported or invalid algorithm (ECDHE curve, signature algorithm, hash function)."},
    {BR_ERR_BAD_SIGNATURE, "Invalid signature in ServerKeyExchange or CertificateVerify message."},
    {BR_ERR_WRONG_KEY_USAGE,
     "Peer's public key does not have the proper type or is not allowed for the requested "
     "operation."},
    {BR_ERR_NO_CLIENT_AUTH,
     "Client did not send a certificate upon request, or the client certificate could not "
     "be validated."},
    {BR_ERR_IO, "I/O error or premature close on transport stream."},
    {BR_ERR_X509_INVALID_VALUE, "Invalid value in an ASN.1 structure."},
    {BR_ERR_X509_TRUNCATED, "Truncated certificate or other ASN.1 object."},
    {BR_ERR_X509_EMPTY_CHAIN, "Empty certificate chain (no certificate at all)."},
    {BR_ERR_X509_INNER_TRUNC, "Decoding error: inner element extends beyond outer element size."},
    {BR_ERR_X509_BAD_TAG_CLASS, "Decoding error: unsupported tag class (application or private)."},
    {BR_ERR_X509_BAD_TAG_VALUE, "Decoding error: unsupported tag value."},
    {BR_ERR_X509_INDEFINITE_LENGTH, "Decoding error: indefinite length."},
    {BR_ERR_X509_EXTRA_ELEMENT, "Decoding error: extraneous element."},
    {BR_ERR_X509_UNEXPECTED, "Decoding error: unexpected element."},
    {BR_ERR_X509_NOT_CONSTRUCTED, "Decoding error: expected constructed element, but is primitive."},
    {BR_ERR_X509_NOT_PRIMITIVE, "Decoding error: expected primitive element, but is constructed."},
    {BR_ERR_X509_PARTIAL_BYTE, "Decoding error: BIT STRING length is not multiple of 8."},
    {BR_ERR_X509_BAD_BOOLEAN, "Decoding error: BOOLEAN value has invalid length."},
    {BR_ERR_X509_OVERFLOW, "Decoding error: value is off-limits."},
    {BR_ERR_X509_BAD_DN, "Invalid distinguished name."},
    {BR_ERR_X509_BAD_TIME, "Invalid date/time representation."},
    {BR_ERR_X509_UNSUPPORTED, "Certificate contains unsupported features that cannot be ignored."},
    {BR_ERR_X509_LIMIT_EXCEEDED, "Key or signature size exceeds internal limits."},
    {BR_ERR_X509_WRONG_KEY_TYPE, "Key type does not match that which was expected."},
    {BR_ERR_X509_BAD_SIGNATURE, "Signature is invalid."},
    {BR_ERR_X509_TIME_UNKNOWN, "Validation time is unknown."},
    {BR_ERR_X509_EXPIRED, "Certificate is expired or not yet valid."},
    {BR_ERR_X509_DN_MISMATCH, "Issuer/Subject DN mismatch in the chain."},
    {BR_ERR_X509_BAD_SERVER_NAME, "Expected server name was not found in the chain."},
    {BR_ERR_X509_CRITICAL_EXTENSION, "Unknown critical extension in certificate."},
    {BR_ERR_X509_NOT_CA, "Not a CA, or path length constraint violation."},
    {BR_ERR_X509_FORBIDDEN_KEY_USAGE, "Key Usage extension prohibits intended usage."},
    {BR_ERR_X509_WEAK_PUBLIC_KEY, "Public key found in certificate is too small."},
    {BR_ERR_X509_NOT_TRUSTED, "Chain could not be linked to a trust anchor."},
};
}  // namespace

int WiFiClientSecure::getLastSSLError(char* dest, size_t len) {
  int err = _sc ? br_ssl_engine_last_error(_eng) : 0;
  const char* recv_fatal = "";
  const char* send_fatal = "";
  const char* text = "OK";
  if (_oom) {
    err = kOomError;
    text = "Unable to allocate memory for SSL structures and buffers.";
  } else {
    if (err & BR_ERR_RECV_FATAL_ALERT) {
      recv_fatal = "SSL received fatal alert - ";
      err &= ~BR_ERR_RECV_FATAL_ALERT;
    }
    if (err & BR_ERR_SEND_FATAL_ALERT) {
      send_fatal = "SSL sent fatal alert - ";
      err &= ~BR_ERR_SEND_FATAL_ALERT;
    }
    if (err) {
      text = "Unknown error code.";
      for (const ErrorText& e : kErrorTexts)
        if (e.code == err) text = e.text;
    }
  }
  if (dest && len) snprintf(dest, len, "%s%s%s", recv_fatal, send_fatal, text);
  return err;
}

// ---- probeMaxFragmentLength ----------------------------------------------------------------------

bool WiFiClientSecure::probeMaxFragmentLength(const char* hostname, uint16_t port, uint16_t len) {
  IPAddress addr;
  if (!WiFi.hostByName(hostname, addr)) return false;
  return probeMaxFragmentLength(addr, port, len);
}

namespace {

// Appends a big-endian value of `bytes` bytes.
uint8_t* put(uint8_t* p, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *p++ = uint8_t(v >> (8 * i));
  return p;
}

// Reads exactly n bytes (the client's timeout); false when the peer sent fewer.
bool read_exact(WiFiClient& c, uint8_t* buf, size_t n) { return c.readBytes(buf, n) == n; }

// A polite goodbye after the probe: user_canceled, then close_notify (both warnings).
bool say_goodbye(WiFiClient& c, bool verdict) {
  static const uint8_t kAlerts[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 90, 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
  if (c.connected()) c.write(kAlerts, sizeof kAlerts);
  return verdict;
}

}  // namespace

bool WiFiClientSecure::probeMaxFragmentLength(IPAddress ip, uint16_t port, uint16_t len) {
  uint8_t code;
  switch (len) {
    case 512:
      code = 1;
      break;
    case 1024:
      code = 2;
      break;
    case 2048:
      code = 3;
      break;
    case 4096:
      code = 4;
      break;
    default:
      return false;
  }
  // A TLS 1.2 ClientHello offering the default suites, the usual signature algorithms, curves and
  // point format, and the max_fragment_length extension.
  static const uint8_t kSigAlgs[] = {0x04, 0x03, 0x03, 0x03, 0x05, 0x03, 0x06, 0x03, 0x02, 0x03,
                                     0x04, 0x01, 0x03, 0x01, 0x05, 0x01, 0x06, 0x01, 0x02, 0x01};
  static const uint8_t kGroups[] = {0x00, 0x17, 0x00, 0x18, 0x00, 0x19, 0x00, 0x1d};
  const size_t ext_len = (4 + 2 + sizeof kSigAlgs) + (4 + 2 + sizeof kGroups) + (4 + 2) + (4 + 1);
  const size_t body_len = 2 + 32 + 1 + (2 + 2 * kDefaultSuiteCount) + 2 + 2 + ext_len;
  const size_t total = 5 + 4 + body_len;
  uint8_t* hello = new (std::nothrow) uint8_t[total];
  if (!hello) return false;
  uint8_t* p = hello;
  p = put(p, 0x16, 1);  // handshake record, TLS 1.2
  p = put(p, 0x0303, 2);
  p = put(p, uint32_t(4 + body_len), 2);
  p = put(p, 0x01, 1);  // ClientHello
  p = put(p, uint32_t(body_len), 3);
  p = put(p, 0x0303, 2);
  for (int i = 0; i < 32; ++i) *p++ = uint8_t(i + 1);  // the random: any bytes will do for a probe
  p = put(p, 0, 1);                                    // no session id
  p = put(p, uint32_t(2 * kDefaultSuiteCount), 2);
  for (uint16_t s : kDefaultSuites) p = put(p, s, 2);
  p = put(p, 0x0100, 2);  // one compression method: none
  p = put(p, uint32_t(ext_len), 2);
  p = put(p, 0x000d, 2);  // signature_algorithms
  p = put(p, uint32_t(2 + sizeof kSigAlgs), 2);
  p = put(p, uint32_t(sizeof kSigAlgs), 2);
  memcpy(p, kSigAlgs, sizeof kSigAlgs);
  p += sizeof kSigAlgs;
  p = put(p, 0x000a, 2);  // supported_groups
  p = put(p, uint32_t(2 + sizeof kGroups), 2);
  p = put(p, uint32_t(sizeof kGroups), 2);
  memcpy(p, kGroups, sizeof kGroups);
  p += sizeof kGroups;
  p = put(p, 0x000b, 2);  // ec_point_formats: uncompressed
  p = put(p, 2, 2);
  p = put(p, 0x0100, 2);
  p = put(p, 0x0001, 2);  // max_fragment_length
  p = put(p, 1, 2);
  p = put(p, code, 1);

  WiFiClient probe;
  probe.connect(ip, port);
  if (!probe.connected()) {
    delete[] hello;
    return false;
  }
  const size_t wrote = probe.write(hello, total);
  delete[] hello;
  if (wrote != total || !probe.connected()) return false;

  // The ServerHello: record header, handshake header, version, random, session id, suite,
  // compression, then the extensions, one of which must be max_fragment_length.
  uint8_t head[5], hs[4], skip[32], word[2], one;
  if (!read_exact(probe, head, 5) || head[0] != 0x16 || head[1] != 0x03 || head[2] != 0x03)
    return say_goodbye(probe, false);
  size_t record = size_t(head[3]) << 8 | head[4];
  if (record < 4 + 2 + 32 + 1 + 2 + 1 || !read_exact(probe, hs, 4) || hs[0] != 0x02) return say_goodbye(probe, false);
  size_t left = size_t(hs[1]) << 16 | size_t(hs[2]) << 8 | hs[3];
  if (left != record - 4) return say_goodbye(probe, false);
  if (!read_exact(probe, word, 2) || word[0] != 0x03 || word[1] != 0x03 || !read_exact(probe, skip, 32) ||
      !read_exact(probe, &one, 1) || one > 32 || (one && !read_exact(probe, skip, one)))
    return say_goodbye(probe, false);
  left -= 2 + 32 + 1 + one;
  if (left < 3 || !read_exact(probe, word, 2) || !read_exact(probe, &one, 1) || one != 0)
    return say_goodbye(probe, false);  // a suite, and no compression
  left -= 3;
  if (left < 2 || !read_exact(probe, word, 2)) return say_goodbye(probe, false);  // no extensions at all
  size_t exts = size_t(word[0]) << 8 | word[1];
  left -= 2;
  if (exts > left) return say_goodbye(probe, false);
  while (exts >= 4) {
    uint8_t eh[4];
    if (!read_exact(probe, eh, 4)) return say_goodbye(probe, false);
    const uint16_t type = uint16_t(eh[0] << 8 | eh[1]);
    size_t elen = size_t(eh[2]) << 8 | eh[3];
    exts -= 4;
    if (elen > exts) return say_goodbye(probe, false);
    exts -= elen;
    if (type == 0x0001) {
      uint8_t echoed = 0;
      const bool ok = elen == 1 && read_exact(probe, &echoed, 1) && echoed == code;
      return say_goodbye(probe, ok);
    }
    while (elen) {
      const size_t n = elen < sizeof skip ? elen : sizeof skip;
      if (!read_exact(probe, skip, n)) return say_goodbye(probe, false);
      elen -= n;
    }
  }
  return say_goodbye(probe, false);
}

}  // namespace BearSSL
