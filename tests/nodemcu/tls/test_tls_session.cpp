// tests/nodemcu/tls/test_tls_session.cpp — the NodeMCU devices' TLS client (nodemcu/tls/tls_session.h)
// on a device of a one-device fleet (the SDK heap, as a NodeMCU device's) against an OpenSSL TLS
// server on loopback, in a thread: without verification and with a CA (PEM and DER); a wrong CA
// fails with mbed TLS's X.509 verification error; an expired certificate and a certificate for
// another name pass (no clock, no name check); a Certificate message over 4 KiB fails; a server
// that speaks only TLS 1.3 is refused; the timeout. What the server saw (TLS 1.2, a 4096-byte
// maximum fragment length asked for, no SNI), what the heap held, and that the same seed gives the
// same ClientHello.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chip_cost_table.h"
#include "cost_meter.h"
#include "device_test_support.h"
#include "heap_tags.h"
#include "loopback_peer.h"
#include "mbedtls/error.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509.h"
#include "mbedtls_cost.h"
#include "pem.h"
#include "pki.h"
#include "stub_platform.h"
#include "tls_session.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <ESP8266WiFi.h>

using namespace espfleet;
using namespace espfleet::test;

namespace {

struct Pki {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::rsa2048, "nodemcu tls test CA", 30, 21);
  CertificateAuthority other = CertificateAuthority::create(KeyType::rsa2048, "some other CA", 30, 22);
  IssuedCert server = ca.issue_server("localhost", loopback_server_sans(), KeyType::rsa2048, 30);
  IssuedCert ec_server = ca.issue_server("localhost", loopback_server_sans(), KeyType::ec256, 30);
  IssuedCert expired = ca.issue_server(
      "localhost", loopback_server_sans(), KeyType::rsa2048, 30,
      ValidityWindow{
          std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - std::chrono::days(60),
          std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - std::chrono::days(30)});
  IssuedCert elsewhere = ca.issue_server("elsewhere.invalid", {"DNS:elsewhere.invalid"}, KeyType::rsa2048, 30);
};
const Pki& pki() {
  static Pki p;
  return p;
}

// What the server saw of one connection.
struct Seen {
  bool handshook = false;
  int version = 0;
  int mfl = -1;  // SSL_SESSION_get_max_fragment_length: 4 is 4096 bytes
  bool sni = false;
  std::string cipher;
  std::string group;  // the ECDHE group the server chose
  std::vector<uint8_t> client_random;
};

// An OpenSSL server context for `cert`, with `extra` copies of the CA's certificate sent after it
// (a longer Certificate message), TLS 1.3 only when asked, its ECDHE groups limited when given.
SslCtxPtr server_context(const IssuedCert& cert, int extra = 0, bool tls13_only = false, const char* groups = nullptr) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  X509Ptr x = pem_to_x509(cert.cert_pem);
  PkeyPtr k = pem_to_private_key(cert.key_pem);
  REQUIRE(SSL_CTX_use_certificate(ctx.get(), x.get()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey(ctx.get(), k.get()) == 1);
  for (int i = 0; i < extra; ++i) REQUIRE(SSL_CTX_add_extra_chain_cert(ctx.get(), X509_dup(pki().ca.x509())) == 1);
  if (tls13_only) SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  if (groups) REQUIRE(SSL_CTX_set1_groups_list(ctx.get(), groups) == 1);
  return ctx;
}

// Serves one TLS connection on fd (from a loopback listener, or one end of a socket pair): the
// handshake, what it showed, then an echo of what the client sends until it closes.
Seen serve(SSL_CTX* ctx, int fd, std::mutex* m = nullptr, std::vector<Seen>* seen = nullptr) {
  SSL* s = SSL_new(ctx);
  SSL_set_fd(s, fd);
  Seen w;
  if (SSL_accept(s) == 1) {
    w.handshook = true;
    w.version = SSL_version(s);
    w.mfl = SSL_SESSION_get_max_fragment_length(SSL_get_session(s));
    w.sni = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) != nullptr;
    w.cipher = SSL_get_cipher_name(s);
    if (const int nid = SSL_get_negotiated_group(s); nid > 0) w.group = OBJ_nid2sn(nid);
    w.client_random.resize(32);
    SSL_get_client_random(s, w.client_random.data(), 32);
  }
  if (seen) {
    std::lock_guard<std::mutex> l(*m);
    seen->push_back(w);  // before the echo: the client reads its echo after this is written
  }
  if (w.handshook) {
    char b[256];
    int n;
    while ((n = SSL_read(s, b, sizeof b)) > 0)
      if (SSL_write(s, b, n) != n) break;
  }
  SSL_free(s);
  ::close(fd);
  return w;
}

// A loopback TLS server: every connection served as above, in a thread of its own.
struct TlsServer {
  SslCtxPtr ctx;
  int listen_fd = -1;
  uint16_t port = 0;
  std::thread t;
  std::mutex m;
  std::vector<Seen> seen;
  TlsServer(const IssuedCert& cert, int extra = 0, bool tls13_only = false, const char* groups = nullptr)
      : ctx(server_context(cert, extra, tls13_only, groups)) {
    // A client that gives up mid-handshake closes while the server still writes: no SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    listen_fd = listen_loopback(&port, 4);
    t = std::thread([this] {
      for (int c; (c = ::accept(listen_fd, nullptr, nullptr)) >= 0;) serve(ctx.get(), c, &m, &seen);
    });
  }
  ~TlsServer() {
    ::shutdown(listen_fd, SHUT_RDWR);
    ::close(listen_fd);
    t.join();
  }
  Seen first() {
    std::lock_guard<std::mutex> l(m);
    return seen.empty() ? Seen{} : seen[0];
  }
};

// The device's side, set before the fleet runs.
uint16_t g_port = 0;
std::vector<uint8_t> g_ca;  // empty: no verification
uint32_t g_timeout_ms = 10000;
uint32_t g_mhz = 80;  // the device's own clock

void tls_program() {
  WiFi.begin("lab", "secret");
  while (WiFi.status() != WL_CONNECTED) delay(100);
  EspPlatform* p = esp_platform();
  EspTcp* tcp = p->tcp_connect("127.0.0.1", g_port, 3000);
  record("tcp", tcp != nullptr);
  if (!tcp) {
    for (;;) delay(1000);
  }
  const uint32_t before = p->heap_free_bytes(), lowest_before = p->heap_min_free();
  int err = 1;
  const uint64_t start_us = micros64();
  TlsSession* s = TlsSession::start(tcp, g_ca.empty() ? nullptr : g_ca.data(), g_ca.size(), g_timeout_ms, &err);
  record("handshake us", micros64() - start_us);
  record("error", uint64_t(int64_t(err)));
  record("connected", s != nullptr);
  // The lowest free heap since boot: this program allocates nothing else, so it is the handshake's.
  record("lowest free was before", lowest_before == before);
  record("peak use", before - p->heap_min_free());
  if (s) {
    record("in use while connected", before - p->heap_free_bytes());
    const char ping[] = "ping over mbed TLS";
    record("written", uint64_t(s->write(reinterpret_cast<const uint8_t*>(ping), sizeof ping)));
    uint8_t got[sizeof ping] = {};
    size_t n = 0;
    const uint32_t start = millis();
    while (n < sizeof ping && millis() - start < 3000) {
      if (s->available() > 0) {
        const int r = s->read(got + n, sizeof ping - n);
        if (r > 0) n += size_t(r);
      }
      delay(1);
    }
    record("echoed", n == sizeof ping && std::memcmp(got, ping, n) == 0);
    record("still connected", s->connected());
    s->close();
  }
  record("heap back", p->heap_free_bytes() == before);
  for (;;) delay(1000);
}

struct Result {
  int64_t error = 0;
  bool connected = false, echoed = false, heap_back = false, lowest_before = false;
  uint64_t peak = 0, in_use = 0;
  Seen seen;
  std::vector<uint32_t> handshake_ms;
  int tls_error = 0;
  uint64_t host_handshake_ns = 0, host_ns = 0;
  uint64_t handshake_us = 0;  // the device's virtual time in TlsSession::start
  CostAccount charged{};      // the device's cycles by kind of work, the whole run
};

Result connect(TlsServer& server, const std::vector<uint8_t>& ca, uint64_t seed = 5, uint32_t timeout_ms = 10000) {
  g_port = server.port;
  g_ca = ca;
  g_timeout_ms = timeout_ms;
  records().clear();
  FleetOptions o = fast_options(&tls_program, 20);
  o.program.heap = HeapKind::sdk;  // a NodeMCU device's heap
  Fleet fleet(o, 1, 49152);
  Device& d = fleet.add_device(0, plain_device(g_mhz), seed, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  REQUIRE(find("tcp", chip) == 1);
  Result r;
  r.error = int64_t(find("error", chip));
  r.connected = find("connected", chip) == 1;
  r.lowest_before = find("lowest free was before", chip) == 1;
  r.peak = find("peak use", chip);
  r.heap_back = find("heap back", chip) == 1;
  if (r.connected) {
    r.in_use = find("in use while connected", chip);
    r.echoed = find("echoed", chip) == 1;
    CHECK(find("still connected", chip) == 1);
  }
  r.seen = server.first();
  r.handshake_ms = d.console().handshake_ms;
  r.tls_error = d.console().tls_error;
  r.host_handshake_ns = d.host_use().handshake_ns;
  r.host_ns = d.host_use().ns;
  r.handshake_us = find("handshake us", chip);
  r.charged = d.costs().account();
  return r;
}

std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace

TEST_CASE("TlsSession: a handshake without verification, what the server saw, the heap it took") {
  TlsServer server(pki().server);
  Result r = connect(server, {});
  CHECK(r.error == 0);
  REQUIRE(r.connected);
  CHECK(r.echoed);
  CHECK(r.heap_back);  // close() gives everything back
  // TLS 1.2, a 4096-byte maximum fragment length asked for, no server name sent.
  CHECK(r.seen.handshook);
  CHECK(r.seen.version == TLS1_2_VERSION);
  CHECK(r.seen.mfl == TLSEXT_max_fragment_length_4096);
  CHECK_FALSE(r.seen.sni);
  CHECK(r.seen.cipher.rfind("ECDHE-RSA-", 0) == 0);
  // The platform heard of it: one handshake in the run's figures.
  CHECK(r.handshake_ms.size() == 1);
  CHECK(r.tls_error == 0);
  CHECK(r.host_handshake_ns > 0);  // the host's time in it, counted as handshake time
  CHECK(r.host_handshake_ns < r.host_ns);
  // The heap: at least the two 4429-byte record buffers and the 2921-byte ring while connected,
  // more at the handshake's peak (the server's certificate, the key exchange).
  CHECK(r.lowest_before);
  CHECK(r.in_use >= 2 * 4429 + 2921);
  CHECK(r.peak > r.in_use);
  MESSAGE("handshake heap: peak ", r.peak, " B above the free heap before it, ", r.in_use, " B while connected");
}

TEST_CASE("TlsSession: verification against a CA, PEM or DER, and an ECDSA server") {
  TlsServer server(pki().server);
  Result pem = connect(server, bytes(pki().ca.cert_pem()));
  CHECK(pem.error == 0);
  CHECK(pem.connected);
  CHECK(pem.echoed);
  CHECK(pem.heap_back);

  TlsServer again(pki().server);
  Result der = connect(again, pki().ca.cert_der());
  CHECK(der.error == 0);
  CHECK(der.echoed);

  TlsServer ec(pki().ec_server);
  Result e = connect(ec, bytes(pki().ca.cert_pem()));
  CHECK(e.error == 0);
  CHECK(e.echoed);
  CHECK(e.seen.cipher.rfind("ECDHE-ECDSA-", 0) == 0);
}

TEST_CASE("TlsSession: a wrong CA fails with the X.509 verification error; no clock, no name check") {
  TlsServer server(pki().server);
  Result wrong = connect(server, bytes(pki().other.cert_pem()));
  CHECK(wrong.error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
  CHECK_FALSE(wrong.connected);
  CHECK(wrong.heap_back);  // everything freed
  CHECK(wrong.tls_error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
  CHECK(wrong.handshake_ms.empty());

  // Expired a month ago, from the trusted CA: accepted (MBEDTLS_HAVE_TIME_DATE is off).
  TlsServer old(pki().expired);
  Result expired = connect(old, bytes(pki().ca.cert_pem()));
  CHECK(expired.error == 0);
  CHECK(expired.echoed);

  // A certificate for another name, from the trusted CA: accepted (no host name is ever set).
  TlsServer other(pki().elsewhere);
  Result name = connect(other, bytes(pki().ca.cert_pem()));
  CHECK(name.error == 0);
  CHECK(name.echoed);
}

TEST_CASE("TlsSession: a Certificate message over 4 KiB, a TLS 1.3-only server, the timeout") {
  // The server's certificate and six copies of the CA's: a Certificate message (4-byte header,
  // 3-byte list length, 3 bytes before each certificate) over 4 KiB, in several 4 KiB records.
  auto message = [](int extra) {
    return 4 + 3 + 3 + pki().server.cert_der.size() + size_t(extra) * (3 + pki().ca.cert_der().size());
  };
  REQUIRE(message(6) > 4096 + 500);
  REQUIRE(message(1) < 4096);
  TlsServer big(pki().server, 6);
  Result b = connect(big, {});
  CHECK(b.error == MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE);  // no handshake-message reassembly
  CHECK_FALSE(b.connected);
  CHECK(b.heap_back);
  // A shorter chain passes the same way.
  TlsServer two(pki().server, 1);
  CHECK(connect(two, {}).error == 0);

  TlsServer tls13(pki().server, 0, true);
  Result v = connect(tls13, {});
  CHECK(v.error == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);  // the server's protocol_version alert
  CHECK_FALSE(v.seen.handshook);

  TlsServer server(pki().server);
  Result t = connect(server, {}, 5, 0);  // no time at all: over at the first wait for the server
  CHECK(t.error == MBEDTLS_ERR_SSL_TIMEOUT);
  CHECK(t.heap_back);
}

TEST_CASE("TlsSession: the same seed, the same ClientHello; another seed, another") {
  std::vector<uint8_t> a, b, c;
  {
    TlsServer s(pki().server);
    Result r = connect(s, {}, 5);
    REQUIRE(r.connected);
    a = r.seen.client_random;
  }
  {
    TlsServer s(pki().server);
    b = connect(s, {}, 5).seen.client_random;
  }
  {
    TlsServer s(pki().server);
    c = connect(s, {}, 6).seen.client_random;
  }
  REQUIRE(a.size() == 32);
  CHECK(a == b);
  CHECK(a != c);
}

namespace {

// One end of a socket pair as the device's TCP connection: reads never block.
struct PairTcp final : EspTcp {
  int fd;
  bool closed = false;
  explicit PairTcp(int f) : fd(f) { ::fcntl(fd, F_SETFL, O_NONBLOCK); }
  size_t write(const uint8_t* buf, size_t len) override {
    const ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
    return n > 0 ? size_t(n) : 0;
  }
  int available() override {
    uint8_t b[4096];
    const ssize_t n = ::recv(fd, b, sizeof b, MSG_PEEK);
    return n > 0 ? int(n) : 0;
  }
  int read(uint8_t* buf, size_t len) override {
    const ssize_t n = ::recv(fd, buf, len, 0);
    return n > 0 ? int(n) : 0;
  }
  int peek() override { return -1; }
  bool flush(uint32_t) override { return true; }
  bool connected() override {
    uint8_t b;
    const ssize_t n = ::recv(fd, &b, 1, MSG_PEEK);
    return !closed && (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)));
  }
  void close() override {
    closed = true;
    ::close(fd);
  }
};

// A platform that watches the glue: its heap blocks, its CPU boosts and watchdog switches, in order.
struct WatchingPlatform : StubPlatform {
  std::map<void*, std::string> live;  // block → site
  std::vector<std::string> events;    // "boost 160", "boost 0", "wdt off", "wdt on", "calloc SITE"
  std::vector<size_t> boosted_callocs;
  uint32_t boost = 0, next = 7;
  void* heap_calloc(size_t n, size_t size, const char* file, int line) override {
    void* p = StubPlatform::heap_calloc(n, size, file, line);
    live[p] = file;
    if (boost) boosted_callocs.push_back(n * size);
    return p;
  }
  void heap_free(void* p, const char* file, int line) override {
    live.erase(p);
    StubPlatform::heap_free(p, file, line);
  }
  uint32_t cpu_boost(uint32_t mhz) override {
    events.push_back("boost " + std::to_string(mhz));
    const uint32_t was = boost;
    boost = mhz;
    return was;
  }
  void wdt_enable_soft(bool on) override { events.push_back(on ? "wdt on" : "wdt off"); }
  void delay_ms(uint32_t ms) override {
    StubPlatform::delay_ms(ms);
    ::usleep(200);  // the server, in its thread, gets on
  }
  uint32_t random32() override { return next = next * 1664525u + 1013904223u; }
};

}  // namespace

TEST_CASE("TlsSession over a socket pair: 160 MHz and no soft watchdog around the steps, every block freed") {
  SslCtxPtr ctx = server_context(pki().server);
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  PairTcp tcp(fds[0]);
  struct Server {  // joined however the case ends: the device's end shut first if still open
    std::thread t;
    PairTcp& device;
    ~Server() {
      if (!device.closed) ::shutdown(device.fd, SHUT_RDWR);
      t.join();
      if (!device.closed) ::close(device.fd);
    }
  } server{std::thread([&ctx, fd = fds[1]] { serve(ctx.get(), fd); }), tcp};
  WatchingPlatform p;
  {
    Installed on(p);
    const std::string ca = pki().ca.cert_pem();
    int err = 1;
    TlsSession* s = TlsSession::start(&tcp, reinterpret_cast<const uint8_t*>(ca.data()), ca.size(), 10000, &err);
    CHECK(err == 0);
    REQUIRE(s);
    // Each run of steps: boost to 160 MHz, soft watchdog off, … on, the setting handed back.
    REQUIRE(p.events.size() >= 8);  // the handshake waits for the server twice at least
    for (size_t i = 0; i + 3 < p.events.size(); i += 4) {
      CHECK(p.events[i] == "boost 160");
      CHECK(p.events[i + 1] == "wdt off");
      CHECK(p.events[i + 2] == "wdt on");
      CHECK(p.events[i + 3] == "boost 0");
    }
    CHECK(p.events.size() % 4 == 0);
    CHECK(p.boost == 0);
    CHECK_FALSE(p.boosted_callocs.empty());  // the steps' own work (the server's certificate, the keys)
    // Connected: the CA and the server's chain are gone; the buffers, contexts and ring stay.
    for (const auto& [block, site] : p.live) CHECK((site == kMbedtlsHeapSite || site == kTlsSessionHeapSite));
    CHECK(heap_tag_for(kTlsSessionHeapSite, 4429) == HeapTag::tls);  // the glue's blocks: tls, whatever their size
    const uint8_t hello[] = "hello";
    CHECK(s->write(hello, sizeof hello) == int(sizeof hello));
    uint8_t got[sizeof hello] = {};
    int n = 0;
    for (int i = 0; i < 5000 && n < int(sizeof hello); ++i) {
      if (s->available() > 0) n += s->read(got + n, sizeof hello - size_t(n));
      p.delay_ms(1);
    }
    CHECK(n == int(sizeof hello));
    CHECK(std::memcmp(got, hello, sizeof hello) == 0);
    s->close();
    CHECK(tcp.closed);
    CHECK(p.live.empty());  // everything the session took, given back
  }
}

TEST_CASE("tls_error_text: mbed TLS's own descriptions") {
  char buf[120];
  CHECK(std::string(tls_error_text(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, buf, sizeof buf)).find("X509") == 0);
  CHECK(std::string(tls_error_text(MBEDTLS_ERR_SSL_TIMEOUT, buf, sizeof buf)).find("timed out") != std::string::npos);
}

// The handshake's compute, from the lx106's measured table (sim/tls/chip_costs_mbedtls.json) at the
// chip's CPI for 160 MHz, the clock the glue runs the steps at: what the table says each operation
// the handshake did costs, and the device's virtual time in it. docs/nodemcu-tls.md has the figures.
TEST_CASE("TlsSession: mbed TLS's compute is charged from the lx106 table, at the glue's 160 MHz") {
  auto at = [](double instructions, uint32_t mhz) { return kLx106Costs.cycles_for(instructions, mhz); };
  auto curve_bits = [](const std::string& group) { return group == "secp384r1" ? 384u : 256u; };
  g_mhz = 80;
  TlsServer server(pki().server);
  Result r = connect(server, {});
  REQUIRE(r.connected);
  REQUIRE(r.seen.cipher.rfind("ECDHE-RSA-", 0) == 0);
  REQUIRE((r.seen.group == "secp384r1" || r.seen.group == "prime256v1"));
  const unsigned bits = curve_bits(r.seen.group);
  // ECDHE: the own key d·G and the shared secret d·Q; the ServerKeyExchange's RSA-2048 signature.
  const uint64_t ecdhe = at(mbedtls_cost::ecp_mul(bits, true), 160) + at(mbedtls_cost::ecp_mul(bits, false), 160);
  const uint64_t rsa = at(mbedtls_cost::rsa_verify(256, false), 160);
  CHECK(r.charged[size_t(CostCat::ecdhe)] == ecdhe);
  CHECK(r.charged[size_t(CostCat::rsa)] == rsa);
  CHECK(r.charged[size_t(CostCat::ecdsa_verify)] == 0);
  CHECK(r.charged[size_t(CostCat::hashing)] > 0);
  CHECK(r.charged[size_t(CostCat::x509)] >= at(mbedtls_cost::x509_der(pki().server.cert_der.size(), false), 160));
  // Records: both directions' keys and Finished messages in the handshake, then the echo at 80 MHz.
  const int aead = r.seen.cipher.find("CHACHA20") != std::string::npos ? 2
                   : r.seen.cipher.find("AES256") != std::string::npos ? 1
                                                                       : 0;
  CHECK(r.charged[size_t(CostCat::record_crypto)] >=
        2 * at(mbedtls_cost::setkey(aead), 160) + at(mbedtls_cost::record(aead, true, 16), 160) +
            at(mbedtls_cost::record(aead, false, 16), 160) + at(mbedtls_cost::record(aead, true, 19), 80) +
            at(mbedtls_cost::record(aead, false, 19), 80));
  // The device's time in the handshake: the big operations take (cycles at 160 MHz) / 160 µs of it,
  // the rest (hashing, parsing, the network, the glue's polls) little. At the device's own 80 MHz the
  // same work would take instructions × CPI(80) / 80: about twice as long.
  const double compute_us = double(ecdhe + rsa) / 160.0;
  const double unboosted_us =
      double(at(mbedtls_cost::ecp_mul(bits, true), 80) + at(mbedtls_cost::ecp_mul(bits, false), 80) +
             at(mbedtls_cost::rsa_verify(256, false), 80)) /
      80.0;
  CHECK(double(r.handshake_us) >= compute_us);
  CHECK(double(r.handshake_us) < compute_us + 200'000);
  CHECK(double(r.handshake_us) < unboosted_us * 0.6);
  MESSAGE("ECDHE-RSA-2048 (", r.seen.cipher, ", ", r.seen.group, "), no verification, 80 MHz device: handshake ",
          r.handshake_us / 1000, " ms of which ECDHE + RSA ", uint64_t(compute_us / 1000), " ms; unboosted ",
          uint64_t(unboosted_us / 1000), " ms");

  // With the CA: the chain's RSA-2048 signature too, and the CA's PEM parsed (before the handshake,
  // at the device's own clock).
  TlsServer verified(pki().server);
  Result v = connect(verified, bytes(pki().ca.cert_pem()));
  REQUIRE(v.connected);
  CHECK(v.charged[size_t(CostCat::rsa)] == 2 * rsa);
  CHECK(v.charged[size_t(CostCat::x509)] >= at(mbedtls_cost::x509_pem(pki().ca.cert_pem().size() + 1), 80));
  MESSAGE("ECDHE-RSA-2048, CA in PEM: handshake ", v.handshake_us / 1000, " ms");

  // ECDHE-ECDSA: the ServerKeyExchange's P-256 signature instead of the RSA one; the chain's
  // signature (the RSA CA's) stays.
  TlsServer ec(pki().ec_server);
  Result e = connect(ec, bytes(pki().ca.cert_pem()));
  REQUIRE(e.connected);
  REQUIRE(e.seen.cipher.rfind("ECDHE-ECDSA-", 0) == 0);
  CHECK(e.charged[size_t(CostCat::ecdsa_verify)] == at(mbedtls_cost::ecdsa_verify(256), 160));
  CHECK(e.charged[size_t(CostCat::rsa)] == rsa);
  CHECK(e.charged[size_t(CostCat::ecdhe)] == at(mbedtls_cost::ecp_mul(curve_bits(e.seen.group), true), 160) +
                                                 at(mbedtls_cost::ecp_mul(curve_bits(e.seen.group), false), 160));
  MESSAGE("ECDHE-ECDSA-P256 (", e.seen.cipher, ", ", e.seen.group, "), CA in PEM: handshake ", e.handshake_us / 1000,
          " ms");

  // OpenSSL follows the client's order of groups (secp384r1 first, as NodeMCU's); a server that
  // offers only P-256 gets the cheaper ECDHE.
  for (const IssuedCert* cert : {&pki().server, &pki().ec_server}) {
    TlsServer p256(*cert, 0, false, "P-256");
    Result q = connect(p256, bytes(pki().ca.cert_pem()));
    REQUIRE(q.connected);
    CHECK(q.seen.group == "prime256v1");
    CHECK(q.charged[size_t(CostCat::ecdhe)] ==
          at(mbedtls_cost::ecp_mul(256, true), 160) + at(mbedtls_cost::ecp_mul(256, false), 160));
    MESSAGE(q.seen.cipher, " over P-256, CA in PEM: handshake ", q.handshake_us / 1000, " ms");
  }

  // A 160 MHz device: the same cycles (the steps ran at 160 MHz on the 80 MHz one too), the same time.
  g_mhz = 160;
  TlsServer fast(pki().server);
  Result f = connect(fast, {});
  g_mhz = 80;
  REQUIRE(f.connected);
  CHECK(f.charged[size_t(CostCat::ecdhe)] == r.charged[size_t(CostCat::ecdhe)]);
  CHECK(f.charged[size_t(CostCat::rsa)] == r.charged[size_t(CostCat::rsa)]);
  CHECK(double(f.handshake_us) == doctest::Approx(double(r.handshake_us)).epsilon(0.02));
}
