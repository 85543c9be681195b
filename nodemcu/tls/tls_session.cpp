// nodemcu/tls/tls_session.cpp — the NodeMCU devices' TLS client (tls_session.h): what NodeMCU's
// espconn_mbedtls.c does for a client connection — its mbedtls_msg (the ssl, config, generator
// and entropy contexts in one block) and mbedtls_session (the certificates, in another), set up as
// its mbedtls_msg_config does, the handshake run in steps at 160 MHz as its
// espconn_mbedtls_parse_internal does, the certificates freed once the handshake is over as its
// mbedtls_handshake_succ does — over lwIPSocket.c's socket layer (a receive ring of TCP_SND_BUF
// bytes the TCP connection's data goes through). Written from reading those files (nodemcu-firmware,
// release branch, app/mbedtls/app/) and mbed TLS 2.28's documentation; docs/nodemcu-tls.md.
#include "tls_session.h"

#include <string.h>

#include <algorithm>
#include <new>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/platform.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "platform.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>

namespace {

// lwIPSocket.c's receive ring: ringbuf_new(TCP_SND_BUF), TCP_SND_BUF = 2 × TCP_MSS (1460) in
// NodeMCU's lwipopts.h, one byte more for the ring's gap.
constexpr size_t kRingBytes = kTlsRingBytes;
// espconn_ssl_sent hands mbedtls_ssl_write at most MBEDTLS_SSL_PLAIN_ADD (= TCP_MSS) bytes.
constexpr size_t kPlainChunk = 1460;
// mbedtls_ctr_drbg_seed's personalisation string in mbedtls_msg_config.
constexpr char kPersonalisation[] = "client";

// NodeMCU's mbedtls_session: what the connection's certificates are parsed into, freed once the
// handshake is over (the client's own certificate and key: tls.cert.auth's, when it is on).
struct Credentials {
  mbedtls_x509_crt cacert, clicert;
  mbedtls_pk_context pkey;
};

// An object in a zeroed block of the device heap (os_zalloc), and its end.
template <class T, class... Args>
T* heap_new(int line, Args... args) {
  void* p = esp_platform()->heap_calloc(1, sizeof(T), kTlsSessionHeapSite, line);
  return p ? new (p) T(args...) : nullptr;
}
template <class T>
void heap_delete(T* p) {
  if (!p) return;
  p->~T();
  esp_platform()->heap_free(p, kTlsSessionHeapSite, 0);
}

class Session final : public TlsSession {
 public:
  explicit Session(EspTcp* tcp) : tcp_(tcp) {
    mbedtls_ssl_init(&ssl_);
    mbedtls_ssl_config_init(&conf_);
    mbedtls_ctr_drbg_init(&drbg_);
    mbedtls_entropy_init(&entropy_);
    // mbedtls_msg_new asks for 4096-byte records (user_config.h's SSL_MAX_FRAGMENT_LENGTH_CODE).
    mbedtls_ssl_conf_max_frag_len(&conf_, MBEDTLS_SSL_MAX_FRAG_LEN_4096);
  }
  ~Session() {
    free_credentials();
    mbedtls_entropy_free(&entropy_);
    mbedtls_ssl_free(&ssl_);
    mbedtls_ssl_config_free(&conf_);
    mbedtls_ctr_drbg_free(&drbg_);
    if (ring_) esp_platform()->heap_free(ring_, kTlsSessionHeapSite, 0);
  }

  // The blocks made before the handshake: mbedtls_msg_new's session, mbedtls_net_connect's ring.
  int allocate() {
    creds_ = heap_new<Credentials>(__LINE__);
    if (!creds_) return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    mbedtls_x509_crt_init(&creds_->cacert);
    mbedtls_x509_crt_init(&creds_->clicert);
    mbedtls_pk_init(&creds_->pkey);
    ring_ = static_cast<uint8_t*>(esp_platform()->heap_calloc(1, kRingBytes, kTlsSessionHeapSite, __LINE__));
    return ring_ ? 0 : MBEDTLS_ERR_SSL_ALLOC_FAILED;
  }

  // mbedtls_msg_config: the defaults, the record buffers, the generator, the CA (verification
  // required when there is one, none at all otherwise), the socket calls. No host name.
  int configure(const uint8_t* ca, size_t ca_len, const TlsSession::ClientAuth* auth) {
    int ret = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0) ret = mbedtls_ssl_setup(&ssl_, &conf_);
    if (ret == 0)
      ret =
          mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                reinterpret_cast<const unsigned char*>(kPersonalisation), sizeof kPersonalisation - 1);
    if (ret != 0) return ret;
    if (ca) {
      if ((ret = load_ca(ca, ca_len)) != 0) return ret;
      mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_REQUIRED);
      mbedtls_ssl_conf_ca_chain(&conf_, &creds_->cacert, nullptr);
      verify_ = true;
    } else {
      mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);
    }
    if (auth && auth->cert && auth->key) {  // tls.cert.auth: the client's own certificate and key
      ret = load_block(auth->cert, auth->cert_len,
                       [this](const uint8_t* b, size_t n) { return mbedtls_x509_crt_parse(&creds_->clicert, b, n); });
      if (ret == 0)
        ret = load_block(auth->key, auth->key_len, [this](const uint8_t* b, size_t n) {
          return mbedtls_pk_parse_key(&creds_->pkey, b, n, nullptr, 0);
        });
      if (ret == 0) ret = mbedtls_ssl_conf_own_cert(&conf_, &creds_->clicert, &creds_->pkey);
      if (ret != 0) return ret;
    }
    mbedtls_ssl_conf_rng(&conf_, mbedtls_ctr_drbg_random, &drbg_);
    mbedtls_ssl_set_bio(&ssl_, this, &Session::bio_send, &Session::bio_recv, nullptr);
    return 0;
  }

  // The handshake to its end or its failure, within timeout_ms of `start_ms`.
  int handshake(uint32_t start_ms, uint32_t timeout_ms) {
    for (;;) {
      const int ret = run_steps();
      if (ret == 0) break;
      if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) return ret;
      // The next segment (or, for a full send buffer, lwIP's sent callback): polled every
      // millisecond, as core/tls_client.cpp waits, where NodeMCU's glue runs from lwIP's events.
      do {
        if (uint32_t(millis()) - start_ms >= timeout_ms) return MBEDTLS_ERR_SSL_TIMEOUT;
        delay(1);
      } while (ret == MBEDTLS_ERR_SSL_WANT_READ && no_input());
    }
    // mbedtls_handshake_result: with a CA, the chain's verdict (already fatal under
    // MBEDTLS_SSL_VERIFY_REQUIRED; checked again, as NodeMCU does).
    if (verify_ && mbedtls_ssl_get_verify_result(&ssl_) != 0) return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
    // mbedtls_handshake_succ and mbedtls_session_free: the certificates go. NodeMCU frees the
    // whole session (2.16's kept the server's chain in it); 2.28's still points at it for the
    // negotiated record size, so here the chain goes and the small session struct stays.
    free_credentials();
    mbedtls_ssl_conf_ca_chain(&conf_, nullptr, nullptr);
    if (mbedtls_ssl_session* s = ssl_.session; s && s->peer_cert) {
      mbedtls_x509_crt_free(s->peer_cert);
      mbedtls_free(s->peer_cert);
      s->peer_cert = nullptr;
    }
    return 0;
  }

  int write(const uint8_t* buf, size_t len) override {
    if (error_) return error_;
    if (peer_closed_) return MBEDTLS_ERR_NET_CONN_RESET;
    if (len > kPlainChunk) len = kPlainChunk;
    const int ret = mbedtls_ssl_write(&ssl_, buf, len);
    if (ret >= 0) return ret;
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) return 0;
    error_ = ret;
    return ret;
  }

  int available() override {
    if (error_ || peer_closed_) return int(mbedtls_ssl_get_bytes_avail(&ssl_));
    if (mbedtls_ssl_get_bytes_avail(&ssl_) == 0) {
      unsigned char none;
      take_read_result(mbedtls_ssl_read(&ssl_, &none, 0));  // a record in, if the socket has one
    }
    return int(mbedtls_ssl_get_bytes_avail(&ssl_));
  }

  int read(uint8_t* buf, size_t len) override {
    if (len == 0) return 0;
    if ((error_ || peer_closed_) && mbedtls_ssl_get_bytes_avail(&ssl_) == 0) return 0;
    const int ret = mbedtls_ssl_read(&ssl_, buf, len);
    if (ret > 0) return ret;
    take_read_result(ret);
    return 0;
  }

  // Up while plaintext is left to read, and until the server closes or an error ends it.
  bool connected() override {
    if (mbedtls_ssl_get_bytes_avail(&ssl_)) return true;
    if (error_ || peer_closed_) return false;
    return ring_used() || tcp_->connected() || tcp_->available() > 0;
  }

  int last_error() override { return error_; }

  void close() override {
    if (!error_ && !peer_closed_) mbedtls_ssl_close_notify(&ssl_);
    EspTcp* tcp = tcp_;
    heap_delete(this);
    tcp->close();
  }

 private:
  // espconn_mbedtls_parse_internal's loop: handshake steps until one must wait for the server, or
  // the handshake is over or failed, with the CPU at 160 MHz and the soft watchdog off
  // (system_update_cpu_freq, system_soft_wdt_stop/restart), both put back after.
  int run_steps() {
    EspPlatform* p = esp_platform();
    const uint32_t before = p->cpu_boost(kTlsHandshakeMhz);
    p->wdt_enable_soft(false);
    int ret = 0;
    while (ssl_.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
      ret = mbedtls_ssl_handshake_step(&ssl_);
      // The step's compute is charged as it runs, at the boosted clock: the mbed TLS functions
      // that do it (scalar multiplications, signature checks, certificate parsing, hashes, record
      // sealing) are wrapped at link time and charge the lx106's measured instructions at the
      // chip's CPI for 160 MHz (sim/tls/mbedtls_cost.cpp, sim/tls/chip_costs_mbedtls.json); its
      // heap and TCP calls are charged by the platform. docs/nodemcu-tls.md.
      if (ret != 0) break;
    }
    p->wdt_enable_soft(true);
    p->cpu_boost(before);
    return ret;
  }

  // tls.cert.verify's CA, tls.cert.auth's certificate and key: mbedtls_msg_info_load reads each from
  // flash into a block of its length + 4 (zeroed: PEM text is parsed with its terminating NUL),
  // parses it and frees the block.
  template <class Parse>
  int load_block(const uint8_t* data, size_t len, Parse parse) {
    auto* block = static_cast<uint8_t*>(esp_platform()->heap_calloc(1, len + 4, kTlsSessionHeapSite, __LINE__));
    if (!block) return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    memcpy(block, data, len);
    const bool pem = memmem(block, len, "-----BEGIN", 10) != nullptr;
    const int ret = parse(block, pem ? len + 1 : len);
    esp_platform()->heap_free(block, kTlsSessionHeapSite, 0);
    return ret < 0 ? ret : 0;  // a positive count: some of several PEM certificates did not parse
  }
  int load_ca(const uint8_t* ca, size_t len) {
    return load_block(ca, len,
                      [this](const uint8_t* b, size_t n) { return mbedtls_x509_crt_parse(&creds_->cacert, b, n); });
  }

  void free_credentials() {
    if (!creds_) return;
    mbedtls_x509_crt_free(&creds_->cacert);
    mbedtls_x509_crt_free(&creds_->clicert);
    mbedtls_pk_free(&creds_->pkey);
    heap_delete(creds_);
    creds_ = nullptr;
  }

  void take_read_result(int ret) {
    if (ret >= 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return;
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF)
      peer_closed_ = true;
    else
      error_ = ret;
  }

  // ---- The socket layer: lwIPSocket.c's ring between the TCP connection and mbed TLS ----

  size_t ring_used() const { return (head_ + kRingBytes - tail_) % kRingBytes; }

  // What the connection has, into the ring as far as it has room (lwIP's recv callback copies
  // each pbuf in as it comes).
  void fill_ring() {
    for (;;) {
      const size_t room = kRingBytes - 1 - ring_used();
      if (room == 0) return;
      const size_t span = tail_ > head_ ? room : std::min(room, kRingBytes - head_);
      const int n = tcp_->read(ring_ + head_, span);
      if (n <= 0) return;
      head_ = (head_ + size_t(n)) % kRingBytes;
    }
  }

  static int bio_recv(void* ctx, unsigned char* buf, size_t len) {
    auto* s = static_cast<Session*>(ctx);
    s->fill_ring();
    size_t got = 0;
    while (got < len && s->ring_used()) {
      const size_t span = std::min(len - got, s->head_ > s->tail_ ? s->head_ - s->tail_ : kRingBytes - s->tail_);
      memcpy(buf + got, s->ring_ + s->tail_, span);
      s->tail_ = (s->tail_ + span) % kRingBytes;
      got += span;
    }
    if (got) return int(got);
    return s->tcp_->connected() ? MBEDTLS_ERR_SSL_WANT_READ : 0;  // 0: the server closed
  }

  static int bio_send(void* ctx, const unsigned char* buf, size_t len) {
    auto* s = static_cast<Session*>(ctx);
    const size_t n = s->tcp_->write(buf, len);
    if (n) return int(n);
    return s->tcp_->connected() ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_CONN_RESET;
  }

  // While the handshake waits: nothing has come and the connection is up.
  bool no_input() { return tcp_->available() == 0 && tcp_->connected(); }

  EspTcp* tcp_;
  mbedtls_ssl_context ssl_;
  mbedtls_ssl_config conf_;
  mbedtls_ctr_drbg_context drbg_;
  mbedtls_entropy_context entropy_;
  Credentials* creds_ = nullptr;
  uint8_t* ring_ = nullptr;
  size_t head_ = 0, tail_ = 0;  // the ring's write and read positions
  bool verify_ = false;
  bool peer_closed_ = false;
  int error_ = 0;
};

}  // namespace

TlsSession* TlsSession::start(EspTcp* tcp, const uint8_t* ca, size_t ca_len, uint32_t timeout_ms, int* err) {
  return start(tcp, ca, ca_len, nullptr, timeout_ms, err);
}

TlsSession* TlsSession::start(EspTcp* tcp, const uint8_t* ca, size_t ca_len, const ClientAuth* auth,
                              uint32_t timeout_ms, int* err) {
  EspPlatform* p = esp_platform();
  p->tls_handshake_begin();
  const uint32_t start_ms = uint32_t(millis());
  Session* s = heap_new<Session>(__LINE__, tcp);
  int ret = s ? s->allocate() : MBEDTLS_ERR_SSL_ALLOC_FAILED;
  if (ret == 0) ret = s->configure(ca, ca_len, auth);
  if (ret == 0) ret = s->handshake(start_ms, timeout_ms);
  const uint32_t ms = uint32_t(millis()) - start_ms;
  p->tls_handshake_end(ret, ms);
  if (ret == 0) {
    if (err) *err = 0;
    return s;
  }
  heap_delete(s);
  tcp->close();
  if (err) *err = ret;
  return nullptr;
}

const char* tls_error_text(int code, char* buf, size_t len) {
  mbedtls_strerror(code, buf, len);
  return buf;
}
