// core/tls_client.cpp — handshake and record pumping over BearSSL, engine calls via the thunk.
#include "tls_client.h"

#include <Arduino.h>
#include <StackThunk.h>
#include <sntp.h>

namespace {

const uint16_t kSuitesRsa[] = {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
const uint16_t kSuitesRsaKx[] = {BR_TLS_RSA_WITH_AES_128_GCM_SHA256};
const uint16_t kSuitesEcdsa[] = {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};

// Tasmota light's thunk sizes: RSA-only 4800, with ECDSA 6800; with a client cert 5300 / 6300;
// RSA key exchange (no ECDHE) 3600, the "LetsEncrypt or regular TLS" figure of Tasmota's SSL/TLS page.
uint32_t defaultThunk(bool ecdsa, bool clientCert, bool rsaKx) {
  if (rsaKx) return 3600;
  if (clientCert) return ecdsa ? 6300 : 5300;
  return ecdsa ? 6800 : 4800;
}

const uint32_t kDaysTo1970 = 719528;  // days from 0000-01-01 to 1970-01-01 (BearSSL's epoch)

}  // namespace

TlsClient::TlsClient(WiFiClient& tcp) : _tcp(tcp), _esp32(strncmp(ESP.getChipModel(), "ESP32", 5) == 0) {}

TlsClient::~TlsClient() { stop(0); }

void TlsClient::setTrustAnchors(const br_x509_trust_anchor* tas, size_t count) {
  _tas = tas;
  _taCount = count;
}

void TlsClient::setClientECCert(const br_x509_certificate* cert, const br_ec_private_key* sk) {
  _clientCert = cert;
  _clientKey = sk;
}

void TlsClient::setFingerprints(const uint8_t* fp1, const uint8_t* fp2, bool allowAny) {
  _fpMode = true;
  _fp1 = fp1;
  _fp2 = fp2;
  _fpAllowAny = allowAny;
}

bool TlsClient::ecdsaOffered() const { return _ecdsa && !_fpMode; }

uint32_t TlsClient::thunkSize() const {
  return _thunkSize ? _thunkSize : defaultThunk(ecdsaOffered(), _clientCert != nullptr, rsaKeyExchange());
}

// The wall clock as SNTP set it (0: not yet), for certificate validity.
uint32_t TlsClient::utcNow() const { return sntp_get_current_timestamp(); }

int TlsClient::connect(IPAddress ip, uint16_t port) {
  char host[16];
  snprintf(host, sizeof host, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  return connect(host, port);
}

void tls_set_engine_algorithms(br_ssl_engine_context* eng, bool ecdsa) {
  br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
  br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
  br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
  br_ssl_engine_set_aes_ctr(eng, &br_aes_small_ctr_vtable);
  br_ssl_engine_set_ghash(eng, &br_ghash_ctmul32);
  br_ssl_engine_set_ec(eng, &br_ec_p256_m15);
  br_ssl_engine_set_rsavrfy(eng, &br_rsa_i15_pkcs1_vrfy);
  if (ecdsa) br_ssl_engine_set_ecdsa(eng, &br_ecdsa_i15_vrfy_asn1);
}

bool TlsClient::allocContexts() {
  _sc = static_cast<br_ssl_client_context*>(malloc(sizeof(br_ssl_client_context)));
  _in = static_cast<unsigned char*>(malloc(bufIn()));
  _out = static_cast<unsigned char*>(malloc(bufOut()));
  return _sc && _in && _out;
}

void TlsClient::freeHandshake() {
  if (_thunkHeld) {
    stack_thunk_light_del_ref();
    _thunkHeld = false;
  }
  if (_x509 && _fpMode) x509_fingerprint_received(_x509, _recvFp);
  x509_engine_free(_x509);
  _x509 = nullptr;
}

void TlsClient::freeContexts() {
  freeHandshake();
  free(_sc);
  free(_in);
  free(_out);
  _sc = nullptr;
  _in = _out = nullptr;
}

int TlsClient::connect(const char* host, uint16_t port) {
  stop(0);
  _lastError = 0;
  _handshakeMs = 0;
  _handshakeDone = false;
  uint32_t start = millis();
  if (_esp32) _tcp.setTimeout(kEsp32ConnectTimeoutMs);  // Tasmota's ESP32 client gives TCP 3 s
  if (!_tcp.connect(host, port)) {
    _lastError = kTlsErrTcpConnect;
    return 0;
  }
  if (!allocContexts()) {
    _lastError = kTlsErrOom;
    freeContexts();
    _tcp.stop();
    return 0;
  }
  if (!stack_thunk_light_add_ref(thunkSize())) {
    _lastError = kTlsErrOom;
    freeContexts();
    _tcp.stop();
    return 0;
  }
  _thunkHeld = true;
  memset(_recvFp, 0, sizeof _recvFp);
  uint32_t now = utcNow();
  if (_fpMode)
    _x509 = x509_fingerprint_new(_fp1, _fp2, _fpAllowAny);
  else
    _x509 = x509_ca_new(_tas, _taCount, kDaysTo1970 + now / 86400, now % 86400);
  if (!_x509) {
    _lastError = kTlsErrOom;
    freeContexts();
    _tcp.stop();
    return 0;
  }

  br_ssl_client_zero(_sc);
  br_ssl_engine_context* eng = &_sc->eng;
  br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
  bool ecdsa = ecdsaOffered();
  if (ecdsa)
    br_ssl_engine_set_suites(eng, kSuitesEcdsa, sizeof kSuitesEcdsa / sizeof kSuitesEcdsa[0]);
  else if (rsaKeyExchange())
    br_ssl_engine_set_suites(eng, kSuitesRsaKx, 1);
  else
    br_ssl_engine_set_suites(eng, kSuitesRsa, 1);
  br_ssl_client_set_rsapub(_sc, &br_rsa_i15_public);  // RSA key exchange: encrypt the premaster
  tls_set_engine_algorithms(eng, ecdsa);
  br_ssl_engine_set_buffers_bidi(eng, _in, bufIn(), _out, bufOut());

  br_ssl_engine_set_x509(eng, _x509);

  if (_clientCert && _clientKey)
    br_ssl_client_set_single_ec(_sc, _clientCert, 1, _clientKey, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_RSA,
                                &br_ec_p256_m15, &br_ecdsa_i15_sign_asn1);

  uint8_t seed[32];
  for (size_t i = 0; i < sizeof seed; i += 4) {
    uint32_t r = esp_random();
    memcpy(seed + i, &r, 4);
  }
  br_ssl_engine_inject_entropy(eng, seed, sizeof seed);

  if (!thunk_br_ssl_client_reset(_sc, host, 0)) {
    _lastError = br_ssl_engine_last_error(eng);
    freeContexts();
    _tcp.stop();
    return 0;
  }
  int rc = 0;
  bool ok = runUntil(BR_SSL_SENDAPP, _handshakeTimeout, &rc);
  _handshakeMs = millis() - start;
  freeHandshake();
  if (!ok) {
    // No TLS error but no handshake either: the peer went away mid-handshake.
    _lastError = rc ? rc : kTlsErrClosedInHandshake;
    freeContexts();
    _tcp.stop();
    return 0;
  }
  _handshakeDone = true;
  _connected = true;
  return 1;
}

// Moves bytes between the engine and TCP once. Returns false when the engine is closed or the
// peer went away.
bool TlsClient::pumpOnce(bool allowWait) {
  br_ssl_engine_context* eng = &_sc->eng;
  unsigned state = br_ssl_engine_current_state(eng);
  if (state & BR_SSL_CLOSED) return false;
  if (state & BR_SSL_SENDREC) {
    size_t len;
    unsigned char* buf = thunk_br_ssl_engine_sendrec_buf(eng, &len);
    size_t w = _tcp.write(buf, len);
    if (w == 0) {
      takeInputAfterClose();
      return false;
    }
    thunk_br_ssl_engine_sendrec_ack(eng, w);
    _tcp.flush();  // each record waits for its ACK, as Tasmota's client does
    return true;
  }
  if (state & BR_SSL_RECVREC) {
    int avail = _tcp.available();
    if (avail > 0) {
      size_t len;
      unsigned char* buf = thunk_br_ssl_engine_recvrec_buf(eng, &len);
      int r = _tcp.read(buf, (size_t)avail < len ? (size_t)avail : len);
      if (r > 0) thunk_br_ssl_engine_recvrec_ack(eng, (size_t)r);
      return true;
    }
    if (!_tcp.connected()) return false;
    if (allowWait) delay(1);
  }
  return true;
}

// A write failed because the peer is gone. What it sent before closing is still readable: feed it
// to the engine, so that an alert explaining the close (a broker refusing the client certificate
// sends one and hangs up) becomes the engine's error instead of being lost with the connection.
void TlsClient::takeInputAfterClose() {
  br_ssl_engine_context* eng = &_sc->eng;
  for (int guard = 0; guard < 64; ++guard) {
    unsigned state = br_ssl_engine_current_state(eng);
    if ((state & BR_SSL_CLOSED) || !(state & BR_SSL_RECVREC)) return;
    int avail = _tcp.available();
    if (avail <= 0) return;
    size_t len;
    unsigned char* buf = thunk_br_ssl_engine_recvrec_buf(eng, &len);
    int r = _tcp.read(buf, (size_t)avail < len ? (size_t)avail : len);
    if (r <= 0) return;
    thunk_br_ssl_engine_recvrec_ack(eng, (size_t)r);
  }
}

// Pumps until the engine reaches `target`. False when it closed, failed, the peer went away or
// the time ran out; *err then holds the code (0 = the peer closed without a TLS error).
bool TlsClient::runUntil(unsigned target, uint32_t timeoutMs, int* err) {
  br_ssl_engine_context* eng = &_sc->eng;
  uint32_t start = millis();
  for (;;) {
    unsigned state = br_ssl_engine_current_state(eng);
    if (state & BR_SSL_CLOSED) {
      *err = br_ssl_engine_last_error(eng);
      return false;
    }
    if (!(state & BR_SSL_SENDREC) && (state & target)) return true;
    if (millis() - start > timeoutMs) {
      *err = kTlsErrTimeout;
      return false;
    }
    if (!pumpOnce(true)) {
      *err = br_ssl_engine_last_error(eng);
      return false;
    }
  }
}

size_t TlsClient::write(uint8_t b) { return write(&b, 1); }

size_t TlsClient::write(const uint8_t* buf, size_t size) {
  if (!_connected || !_sc) return 0;
  br_ssl_engine_context* eng = &_sc->eng;
  size_t sent = 0;
  while (sent < size) {
    int rc = 0;
    if (!runUntil(BR_SSL_SENDAPP, 5000, &rc)) {
      _lastError = rc;
      _connected = false;
      break;
    }
    size_t len;
    unsigned char* dst = thunk_br_ssl_engine_sendapp_buf(eng, &len);
    if (!dst || len == 0) break;
    size_t n = size - sent < len ? size - sent : len;
    memcpy(dst, buf + sent, n);
    thunk_br_ssl_engine_sendapp_ack(eng, n);
    thunk_br_ssl_engine_flush(eng, 0);
    sent += n;
    // Push the record out now (and wait for its ACK).
    while (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC)
      if (!pumpOnce(false)) {
        _connected = false;
        return sent;
      }
  }
  return sent;
}

int TlsClient::available() {
  if (!_sc || !_connected) return 0;
  br_ssl_engine_context* eng = &_sc->eng;
  for (int guard = 0; guard < 8; ++guard) {
    unsigned state = br_ssl_engine_current_state(eng);
    if (state & BR_SSL_RECVAPP) {
      size_t len;
      thunk_br_ssl_engine_recvapp_buf(eng, &len);
      return (int)len;
    }
    if (state & BR_SSL_CLOSED) {
      _lastError = br_ssl_engine_last_error(eng);
      _connected = false;
      return 0;
    }
    if ((state & BR_SSL_RECVREC) && _tcp.available() <= 0) return 0;
    if (!pumpOnce(false)) {
      _lastError = br_ssl_engine_last_error(eng);
      _connected = false;
      return 0;
    }
  }
  return 0;
}

int TlsClient::read() {
  uint8_t b;
  return read(&b, 1) == 1 ? b : -1;
}

int TlsClient::read(uint8_t* buf, size_t size) {
  int avail = available();
  if (avail <= 0) return -1;
  size_t len;
  unsigned char* src = thunk_br_ssl_engine_recvapp_buf(&_sc->eng, &len);
  size_t n = size < len ? size : len;
  memcpy(buf, src, n);
  thunk_br_ssl_engine_recvapp_ack(&_sc->eng, n);
  return (int)n;
}

int TlsClient::peek() {
  if (available() <= 0) return -1;
  size_t len;
  unsigned char* src = thunk_br_ssl_engine_recvapp_buf(&_sc->eng, &len);
  return src[0];
}

bool TlsClient::flush(unsigned int maxWaitMs) {
  if (!_connected) return false;
  return _tcp.flush(maxWaitMs);
}

bool TlsClient::stop(unsigned int maxWaitMs) {
  if (_sc && _connected) {
    br_ssl_engine_close(&_sc->eng);
    // Best effort close_notify; don't wait for the peer's.
    if (br_ssl_engine_current_state(&_sc->eng) & BR_SSL_SENDREC) pumpOnce(false);
  }
  _connected = false;
  if (_sc) freeContexts();
  _tcp.stop();
  return true;
}

uint8_t TlsClient::connected() {
  if (!_connected || !_sc) return 0;
  if (br_ssl_engine_current_state(&_sc->eng) & BR_SSL_CLOSED) {
    _lastError = br_ssl_engine_last_error(&_sc->eng);
    _connected = false;
    return 0;
  }
  if (!_tcp.connected() && available() <= 0) return 0;
  return 1;
}
