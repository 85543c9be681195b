// tests/sim/device/test_secure_client.cpp — BearSSL::WiFiClientSecure and its key holders
// (shims/WiFiClientSecureBearSSL.h, shims/BearSSLHelpers.h): PEM and DER parsing, good and bad;
// the fingerprint's text forms; the buffer sizes and their clamping; and, on a device against a
// TLS server on loopback (OpenSSL, in a thread), each way of authenticating the server — trust
// anchors, the certificate's SHA-1, insecure — with the errors the core reports when it fails
// (not trusted 62, no clock 54). probeMaxFragmentLength against a server that echoes the
// extension and one that does not.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "device_test_support.h"
#include "flash_image.h"
#include "loopback_peer.h"
#include "pem.h"
#include "pki.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <ESP8266WiFi.h>
#include <StackThunk.h>
#include <WiFiClientSecure.h>
#include <coredecls.h>

using namespace espfleet;
using namespace espfleet::test;

namespace {

// One CA, a server certificate for "localhost" and a device credential, for every case.
struct Pki {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::rsa2048, "secure client test CA", 30, 11);
  IssuedCert server = ca.issue_server("localhost", loopback_server_sans(), KeyType::rsa2048, 30);
  DeviceCert device = ca.issue_device("dev0", 30);
};
const Pki& pki() {
  static Pki p;
  return p;
}

std::string public_key_pem(const std::string& key_pem) {
  PkeyPtr k = pem_to_private_key(key_pem);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, k.get());
  char* data;
  long n = BIO_get_mem_data(bio, &data);
  std::string s(data, size_t(n));
  BIO_free(bio);
  return s;
}

std::string sha1_colon_hex(const std::vector<uint8_t>& der) {
  unsigned char md[20];
  SHA1(der.data(), der.size(), md);
  std::string s;
  char b[4];
  for (int i = 0; i < 20; ++i) {
    std::snprintf(b, sizeof b, i ? ":%02X" : "%02X", md[i]);
    s += b;
  }
  return s;
}

}  // namespace

TEST_CASE("X509List: PEM and DER certificates, and what is not one") {
  const Pki& p = pki();
  BearSSL::X509List one(p.ca.cert_pem().c_str());
  REQUIRE(one.getCount() == 1);
  CHECK(one.getTrustAnchors()[0].flags == BR_X509_TA_CA);  // the CA says it is one
  CHECK(one.getX509Certs()[0].data_len > 500);

  BearSSL::X509List two;
  CHECK(two.append((p.ca.cert_pem() + p.server.cert_pem).c_str()));
  REQUIRE(two.getCount() == 2);
  CHECK(two.getTrustAnchors()[1].flags == 0);  // a server certificate anchors only itself
  CHECK(two.getTrustAnchors()[1].pkey.key_type == BR_KEYTYPE_RSA);

  BearSSL::X509List der(p.server.cert_der.data(), p.server.cert_der.size());
  CHECK(der.getCount() == 1);
  CHECK(der.getX509Certs()[0].data_len == p.server.cert_der.size());

  BearSSL::X509List bad;
  CHECK_FALSE(bad.append(static_cast<const char*>(nullptr)));
  CHECK_FALSE(bad.append(""));
  CHECK_FALSE(bad.append("not a certificate at all"));
  CHECK_FALSE(bad.append(p.device.key_pem.c_str()));  // a key is not a certificate
  std::string cut = p.server.cert_pem.substr(0, p.server.cert_pem.size() / 2);
  CHECK_FALSE(bad.append(cut.c_str()));  // no END line
  std::string corrupt = p.server.cert_pem;
  corrupt[corrupt.size() / 2] = '!';
  CHECK_FALSE(bad.append(corrupt.c_str()));  // not base64
  const uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x01, 0x02};
  CHECK_FALSE(bad.append(junk, sizeof junk));
  CHECK(bad.getCount() == 0);

  // All or nothing: a bundle whose second certificate is damaged adds neither.
  BearSSL::X509List all;
  CHECK_FALSE(all.append((p.ca.cert_pem() + corrupt).c_str()));
  CHECK(all.getCount() == 0);
}

TEST_CASE("PrivateKey and PublicKey: EC and RSA, PEM and DER, and bad input") {
  const Pki& p = pki();
  BearSSL::PrivateKey ec(p.device.key_pem.c_str());  // PKCS#8
  REQUIRE(ec.isEC());
  CHECK(ec.getEC()->curve == BR_EC_secp256r1);
  CHECK(ec.getEC()->xlen == 32);
  CHECK(std::memcmp(ec.getEC()->x, p.device.private_scalar.data(), 32) == 0);
  CHECK_FALSE(ec.isRSA());

  BearSSL::PrivateKey rsa(p.server.key_pem.c_str());
  REQUIRE(rsa.isRSA());
  CHECK(rsa.getRSA()->n_bitlen == 2048);

  BearSSL::PublicKey ecpub(public_key_pem(p.device.key_pem).c_str());
  REQUIRE(ecpub.isEC());
  CHECK(ecpub.getEC()->qlen == 65);
  CHECK(ecpub.getEC()->q[0] == 0x04);
  BearSSL::PublicKey rsapub(public_key_pem(p.server.key_pem).c_str());
  REQUIRE(rsapub.isRSA());
  CHECK(rsapub.getRSA()->nlen == 256);

  BearSSL::PrivateKey bad;
  CHECK_FALSE(bad.parse(static_cast<const char*>(nullptr)));
  CHECK_FALSE(bad.parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
  CHECK_FALSE(bad.parse(p.server.cert_pem.c_str()));  // a certificate is not a key
  const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
  CHECK_FALSE(bad.parse(junk, sizeof junk));
  CHECK_FALSE(bad.isEC());
  CHECK_FALSE(bad.isRSA());
  CHECK(bad.getEC() == nullptr);

  BearSSL::PublicKey badpub;
  CHECK_FALSE(badpub.parse("garbage"));
  CHECK_FALSE(badpub.parse(junk, sizeof junk));
  CHECK_FALSE(badpub.parse(p.server.cert_der.data(), p.server.cert_der.size()));  // a certificate
  CHECK(badpub.getRSA() == nullptr);
}

TEST_CASE("WiFiClientSecure: fingerprint text forms and buffer sizes") {
  BearSSL::WiFiClientSecure c;  // no device: the thunk's reference is counted on the host
  CHECK(stack_thunk_get_refcnt() >= 1);
  const char* hex = "a1b2c3d4e5f60718293a4b5c6d7e8f9001122334";
  CHECK(c.setFingerprint(hex));
  CHECK(c.setFingerprint("A1 B2 C3 D4 E5 F6 07 18 29 3A 4B 5C 6D 7E 8F 90 01 12 23 34"));
  CHECK(c.setFingerprint("A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:01:12:23:34"));
  CHECK(c.setFingerprint(" a1:b2 c3d4e5f60718293a4b5c6d7e8f9001122334 "));
  CHECK_FALSE(c.setFingerprint("A1 B2 C3 D4 E5 F6 07 18 29 3A 4B 5C 6D 7E 8F 90 01 12 23"));  // 19 bytes
  CHECK_FALSE(c.setFingerprint("a1b2c3d4e5f60718293a4b5c6d7e8f900112233445"));                // 21 bytes
  CHECK_FALSE(c.setFingerprint("a1b2c3d4e5f60718293a4b5c6d7e8f900112233"));                   // half a byte
  CHECK_FALSE(c.setFingerprint("g1b2c3d4e5f60718293a4b5c6d7e8f9001122334"));                  // not hex
  CHECK_FALSE(c.setFingerprint(static_cast<const char*>(nullptr)));
  // An `openssl x509 -fingerprint -sha256` string is 32 bytes: not the core's SHA-1 form.
  CHECK_FALSE(c.setFingerprint(
      "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"));

  CHECK(c.inBufferSize() == 16384 + 325);  // the core's default: 16709 + 597 bytes
  CHECK(c.outBufferSize() == 512 + 85);
  c.setBufferSizes(1024, 1024);
  CHECK(c.inBufferSize() == 1349);
  CHECK(c.outBufferSize() == 1109);
  c.setBufferSizes(100, 100000);  // clamped to 512 .. 16384
  CHECK(c.inBufferSize() == 512 + 325);
  CHECK(c.outBufferSize() == 16384 + 85);
  c.setBufferSizes(-5, 0);
  CHECK(c.inBufferSize() == 512 + 325);
  CHECK(c.outBufferSize() == 512 + 85);

  CHECK(c.setSSLVersion(BR_TLS12, BR_TLS12));
  CHECK_FALSE(c.setSSLVersion(BR_TLS12, BR_TLS10));
  CHECK_FALSE(c.setSSLVersion(0x0300, BR_TLS12));  // SSL 3.0
  char text[96];
  CHECK(c.getLastSSLError(text, sizeof text) == 0);
  CHECK(std::string(text) == "OK");
}

// ---- On a device, against a TLS server on loopback -------------------------------------------------

namespace {

// A TLS server (OpenSSL) that echoes what it reads; accepts connections until it is destroyed.
struct TlsEcho {
  int listen_fd = -1;
  uint16_t port = 0;
  std::thread t;
  SSL_CTX* ctx = nullptr;
  explicit TlsEcho(const IssuedCert& cert) {
    ctx = SSL_CTX_new(TLS_server_method());
    X509Ptr x = pem_to_x509(cert.cert_pem);
    PkeyPtr k = pem_to_private_key(cert.key_pem);
    REQUIRE(SSL_CTX_use_certificate(ctx, x.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx, k.get()) == 1);
    listen_fd = listen_loopback(&port, 4);
    t = std::thread([this] {
      for (;;) {
        int c = ::accept(listen_fd, nullptr, nullptr);
        if (c < 0) return;
        SSL* s = SSL_new(ctx);
        SSL_set_fd(s, c);
        if (SSL_accept(s) == 1) {
          char b[256];
          int n;
          while ((n = SSL_read(s, b, sizeof b)) > 0)
            if (SSL_write(s, b, n) != n) break;
        }
        SSL_free(s);
        ::close(c);
      }
    });
  }
  ~TlsEcho() {
    ::shutdown(listen_fd, SHUT_RDWR);
    ::close(listen_fd);
    t.join();
    SSL_CTX_free(ctx);
  }
};

enum class Auth { anchors, fingerprint, wrong_fingerprint, insecure, anchors_no_clock };
std::atomic<uint16_t> g_port{0};
std::atomic<Auth> g_auth{Auth::anchors};
std::string g_ca_pem, g_fingerprint;  // set before the device runs

void tls_program() {
  WiFi.begin("lab", "secret");
  while (WiFi.status() != WL_CONNECTED) delay(100);
  const Auth auth = g_auth.load();
  if (auth != Auth::anchors_no_clock) {
    configTime(0, 0, "pool.ntp.org");
    while (esp_device_time(nullptr) < 1000000000) delay(20);  // a sketch's time() is linked to it
  }
  BearSSL::X509List ca(g_ca_pem.c_str());
  BearSSL::WiFiClientSecure c;
  record("thunk refs", stack_thunk_get_refcnt());
  switch (auth) {
    case Auth::anchors:
    case Auth::anchors_no_clock:
      c.setTrustAnchors(&ca);
      break;
    case Auth::fingerprint:
      record("fingerprint taken", c.setFingerprint(g_fingerprint.c_str()));
      break;
    case Auth::wrong_fingerprint:
      c.setFingerprint("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
      break;
    case Auth::insecure:
      c.setInsecure();
      break;
  }
  c.setBufferSizes(1024, 1024);
  const uint32_t before = ESP.getFreeHeap();
  const int ok = c.connect("localhost", g_port.load());
  record("connected", uint64_t(ok));
  record("ssl error", uint64_t(int64_t(c.getLastSSLError())));
  if (ok) {
    record("heap in use while connected", before - ESP.getFreeHeap());
    c.write(reinterpret_cast<const uint8_t*>("ping"), 4);
    uint8_t got[4];
    size_t n = 0;
    const uint32_t start = millis();
    while (n < 4 && millis() - start < 3000) {
      const int r = c.read(got + n, 4 - n);
      if (r > 0) n += size_t(r);
      delay(1);
    }
    record("echoed", n == 4 && std::memcmp(got, "ping", 4) == 0);
    c.stop();
  }
  record("heap back after stop", ESP.getFreeHeap() == before);
  for (;;) delay(1000);
}

struct Result {
  uint64_t connected, error, refs, echoed = 0, in_use = 0, heap_back;
};

Result connect_with(Auth auth) {
  const Pki& p = pki();
  TlsEcho server(p.server);
  g_port = server.port;
  g_auth = auth;
  g_ca_pem = p.ca.cert_pem();
  g_fingerprint = sha1_colon_hex(p.server.cert_der);
  records().clear();
  Fleet fleet(fast_options(&tls_program, 20), 1, 49152);
  FlashInputs fi;
  fi.utc_at_boot = uint32_t(std::time(nullptr));  // what SNTP answers
  Device& d = fleet.add_device(0, plain_device(80), 5, build_flash_image(plain_device(80), fi), VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  Result r{find("connected", chip),           find("ssl error", chip), find("thunk refs", chip), 0, 0,
           find("heap back after stop", chip)};
  if (r.connected) {
    r.echoed = find("echoed", chip);
    r.in_use = find("heap in use while connected", chip);
  }
  return r;
}

}  // namespace

TEST_CASE("WiFiClientSecure on a device: trust anchors, fingerprint, insecure, and their failures") {
  Result a = connect_with(Auth::anchors);
  CHECK(a.refs == 1);  // the core's one thunk block, taken at construction
  CHECK(a.connected == 1);
  CHECK(a.error == 0);
  CHECK(a.echoed == 1);
  // The context, 1349 + 1109 bytes of buffers (and their headers) stay while connected.
  CHECK(a.in_use > 1349 + 1109);
  CHECK(a.in_use < 1349 + 1109 + 6000);
  CHECK(a.heap_back == 1);  // stop() gives it all back

  Result f = connect_with(Auth::fingerprint);
  CHECK(f.connected == 1);
  CHECK(f.echoed == 1);

  Result w = connect_with(Auth::wrong_fingerprint);
  CHECK(w.connected == 0);
  CHECK(w.error == uint64_t(int64_t(BR_ERR_X509_NOT_TRUSTED)));  // 62

  Result i = connect_with(Auth::insecure);
  CHECK(i.connected == 1);
  CHECK(i.echoed == 1);

  // No configTime and no setX509Time: BearSSL checks validity against a clock near 1970.
  Result t = connect_with(Auth::anchors_no_clock);
  CHECK(t.connected == 0);
  CHECK(t.error == uint64_t(int64_t(BR_ERR_X509_EXPIRED)));  // 54
}

// ---- probeMaxFragmentLength --------------------------------------------------------------------

namespace {

// Answers one ClientHello with a ServerHello that does (echo) or does not carry the
// max_fragment_length extension, noting the length code the hello asked for.
struct HelloPeer {
  int listen_fd = -1;
  uint16_t port = 0;
  std::thread t;
  std::atomic<int> asked{-1};
  explicit HelloPeer(bool echo) {
    listen_fd = listen_loopback(&port);
    t = std::thread([this, echo] {
      int c = ::accept(listen_fd, nullptr, nullptr);
      if (c < 0) return;
      std::vector<uint8_t> in;
      uint8_t b[512];
      ssize_t n;
      while ((in.size() < 5 || in.size() < 5u + (in[3] << 8 | in[4])) && (n = ::read(c, b, sizeof b)) > 0)
        in.insert(in.end(), b, b + n);
      // The hello's extensions are its tail: find max_fragment_length (type 1, length 1).
      for (size_t i = 5 + 4 + 2 + 32; i + 5 <= in.size(); ++i)
        if (in[i] == 0 && in[i + 1] == 1 && in[i + 2] == 0 && in[i + 3] == 1) asked = in[i + 4];
      std::vector<uint8_t> hello = {0x03, 0x03};
      for (int k = 0; k < 32; ++k) hello.push_back(uint8_t(k));
      hello.insert(hello.end(), {0x00, 0xc0, 0x2f, 0x00});  // no session id, a suite, no compression
      if (echo) hello.insert(hello.end(), {0x00, 0x05, 0x00, 0x01, 0x00, 0x01, uint8_t(asked.load())});
      std::vector<uint8_t> out = {0x16, 0x03, 0x03, 0, 0, 0x02, 0, 0, 0};
      out[3] = uint8_t((hello.size() + 4) >> 8);
      out[4] = uint8_t(hello.size() + 4);
      out[7] = uint8_t(hello.size() >> 8);
      out[8] = uint8_t(hello.size());
      out.insert(out.end(), hello.begin(), hello.end());
      if (::write(c, out.data(), out.size()) != ssize_t(out.size())) {}
      while (::read(c, b, sizeof b) > 0) {  // the client's goodbye alerts, then its close
      }
      ::close(c);
    });
  }
  ~HelloPeer() {
    ::shutdown(listen_fd, SHUT_RDWR);
    ::close(listen_fd);
    t.join();
  }
};

std::atomic<uint16_t> g_len{1024};
void probe_program() {
  WiFi.begin("lab", "secret");
  while (WiFi.status() != WL_CONNECTED) delay(100);
  record("probe", BearSSL::WiFiClientSecure::probeMaxFragmentLength(IPAddress(127, 0, 0, 1), g_port, g_len));
  for (;;) delay(1000);
}

struct Probe {
  uint64_t said;
  int asked;
};
Probe probe(bool echo, uint16_t len) {
  HelloPeer peer(echo);
  g_port = peer.port;
  g_len = len;
  records().clear();
  Fleet fleet(fast_options(&probe_program, 10), 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  Probe p{find("probe", uint32_t(d.identity().chip_id)), peer.asked.load()};
  return p;
}

}  // namespace

TEST_CASE("probeMaxFragmentLength: a server that echoes the extension, and one that ignores it") {
  Probe yes = probe(true, 1024);
  CHECK(yes.said == 1);
  CHECK(yes.asked == 2);  // 2^10
  Probe no = probe(false, 1024);
  CHECK(no.said == 0);
  CHECK(no.asked == 2);
  Probe small = probe(true, 512);
  CHECK(small.said == 1);
  CHECK(small.asked == 1);
  Probe odd = probe(true, 1000);  // not a TLS fragment length: refused before any connection
  CHECK(odd.said == 0);
  CHECK(odd.asked == -1);
}

namespace {
// Leaves less than the thunk block's 6200 bytes free, then makes a secure client.
void thunk_oom_program() {
  while (ESP.getMaxFreeBlockSize() > 4000) (void)malloc(2000);
  record("before the client", ESP.getFreeHeap());
  BearSSL::WiFiClientSecure c;  // the core aborts: "Unable to allocate BearSSL stack"
  record("after the client", 1);
  for (;;) delay(1000);
}
}  // namespace

TEST_CASE("WiFiClientSecure: no room for the thunk block aborts the device, as the core does") {
  records().clear();
  Fleet fleet(fast_options(&thunk_oom_program, 1), 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  const std::vector<std::string> crashes = crash_reasons(d);
  REQUIRE(!crashes.empty());
  CHECK(crashes[0] == "Abort called (Unable to allocate BearSSL stack)");
  CHECK(d.life().crashes()[0].reason == ResetReason::sw_exception);
  bool after = false;
  for (const Record& r : records()) after |= r.what == "after the client";
  CHECK_FALSE(after);
}
