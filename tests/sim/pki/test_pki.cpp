// tests/sim/pki/test_pki.cpp — the PKI checked with libcrypto directly: signatures against the CA
// key, the extensions (and their criticality) of CA, server and device certificates, the raw
// P-256 scalar regenerating the certificate's public key, file modes and overwrite refusal.
#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "input_file.h"
#include "output_file.h"
#include "pem.h"
#include "pki.h"

using namespace espfleet;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/espfleet-pki-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct X509Del {
  void operator()(X509* x) const { X509_free(x); }
};
using X509P = std::unique_ptr<X509, X509Del>;
struct PkeyDel {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyP = std::unique_ptr<EVP_PKEY, PkeyDel>;

X509P pem_cert(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509P x(PEM_read_bio_X509(b, nullptr, nullptr, nullptr));
  BIO_free(b);
  REQUIRE(x);
  return x;
}

X509P der_cert(const std::vector<uint8_t>& der) {
  const unsigned char* p = der.data();
  X509P x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(x);
  CHECK(p == der.data() + der.size());
  return x;
}

PkeyP pem_key(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyP k(PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr));
  BIO_free(b);
  REQUIRE(k);
  return k;
}

// -1 when absent, else 0/1.
int ext_critical(X509* x, int nid) {
  int idx = X509_get_ext_by_NID(x, nid, -1);
  if (idx < 0) return -1;
  return X509_EXTENSION_get_critical(X509_get_ext(x, idx));
}

bool is_ca(X509* x) {
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr));
  REQUIRE(bc != nullptr);
  bool ca = bc->ca != 0;
  BASIC_CONSTRAINTS_free(bc);
  return ca;
}

std::string subject_cn(X509* x) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
  return buf;
}

std::vector<uint8_t> serial_bytes(X509* x) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr);
  std::vector<uint8_t> out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  CHECK(!BN_is_negative(bn));
  BN_free(bn);
  return out;
}

std::string ski_hex(X509* x) {
  const ASN1_OCTET_STRING* s = X509_get0_subject_key_id(x);
  if (!s) return {};
  char* h = OPENSSL_buf2hexstr(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
  std::string r = h;
  OPENSSL_free(h);
  return r;
}

std::string aki_hex(X509* x) {
  const ASN1_OCTET_STRING* s = X509_get0_authority_key_id(x);
  if (!s) return {};
  char* h = OPENSSL_buf2hexstr(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
  std::string r = h;
  OPENSSL_free(h);
  return r;
}

// X509_verify_cert of `leaf` against `ca` for `purpose`; returns the X509_V_* result.
int verify_chain(X509* ca, X509* leaf, int purpose, time_t at = 0) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  if (at) X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
  int ok = X509_verify_cert(ctx);
  int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return err;
}

mode_t file_mode(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// Public key point of a P-256 key, uncompressed (65 bytes).
std::vector<uint8_t> encoded_pub(EVP_PKEY* k) {
  size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &len) == 1);
  std::vector<uint8_t> out(len);
  REQUIRE(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), len, &len) == 1);
  out.resize(len);
  return out;
}

// scalar·G on P-256, uncompressed.
std::vector<uint8_t> point_from_scalar(const std::array<uint8_t, 32>& scalar) {
  EC_GROUP* g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  REQUIRE(g != nullptr);
  BIGNUM* d = BN_bin2bn(scalar.data(), 32, nullptr);
  EC_POINT* p = EC_POINT_new(g);
  REQUIRE(EC_POINT_mul(g, p, d, nullptr, nullptr, nullptr) == 1);
  std::vector<uint8_t> out(65);
  size_t n = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), nullptr);
  out.resize(n);
  EC_POINT_free(p);
  BN_free(d);
  EC_GROUP_free(g);
  return out;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PkiError& e) {
    return e.what();
  }
  return "<no PkiError thrown>";
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("pki: key type names") {
  CHECK(parse_key_type("rsa2048") == KeyType::rsa2048);
  CHECK(parse_key_type("rsa4096") == KeyType::rsa4096);
  CHECK(parse_key_type("ec256") == KeyType::ec256);
  CHECK(key_type_name(KeyType::ec256) == "ec256");
  std::string msg = what_of([] { parse_key_type("rsa1024"); });
  CHECK(contains(msg, "rsa1024"));
  CHECK(contains(msg, "rsa2048, rsa4096 or ec256"));
  CHECK_THROWS_AS(parse_key_type(""), PkiError);
}

TEST_CASE("pki: base64") {
  auto b = [](const char* s) { return base64(reinterpret_cast<const uint8_t*>(s), std::strlen(s)); };
  CHECK(b("") == "");
  CHECK(b("f") == "Zg==");
  CHECK(b("fo") == "Zm8=");
  CHECK(b("foo") == "Zm9v");
  CHECK(b("foobar") == "Zm9vYmFy");
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t n : {0u, 1u, 2u, 3u, 31u, 32u, 33u, 256u}) {
    std::vector<uint8_t> v(all.begin(), all.begin() + n);
    CHECK(base64_decode(base64(v)) == v);
  }
  CHECK_THROWS_AS(base64_decode("Zg="), PkiError);   // length
  CHECK_THROWS_AS(base64_decode("Z=g="), PkiError);  // padding inside
  CHECK_THROWS_AS(base64_decode("Zm9v!A=="), PkiError);
}

TEST_CASE("pki: certificates in PEM text, and the blocks refused") {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::ec256, "pem test CA", 30, 5);
  const std::string pem = ca.cert_pem();
  CHECK(pem_certificates(pem + "some words\n" + pem).size() == 2);
  CHECK(pem_certificates("no certificate here").empty());
  // An empty block is no certificate (tests/fuzz/corpus/pem/empty_block.pem, found by fuzz_pem).
  CHECK_THROWS_WITH(pem_certificates(pem + "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
                    doctest::Contains("certificate 2 is empty"));
  CHECK_THROWS_WITH(pem_certificates("-----BEGIN CERTIFICATE-----\nMIIB\n"), doctest::Contains("has no END line"));
  CHECK_THROWS_WITH(pem_certificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
                    doctest::Contains("is not one DER certificate"));
}

TEST_CASE("pki: CA, server and device certificates verify with libcrypto") {
  TempDir tmp;
  for (KeyType ca_type : {KeyType::rsa2048, KeyType::ec256}) {
    CAPTURE(key_type_name(ca_type));
    CertificateAuthority ca = CertificateAuthority::create(ca_type, "espfleet test CA", 30);
    CHECK(ca.key_type() == ca_type);
    CHECK(ca.common_name() == "espfleet test CA");

    // --- the CA itself
    X509P cax = pem_cert(ca.cert_pem());
    PkeyP ca_key = pem_key(ca.key_pem());
    CHECK(X509_verify(cax.get(), ca_key.get()) == 1);  // self-signed by its own key
    CHECK(X509_check_private_key(cax.get(), ca_key.get()) == 1);
    CHECK(X509_get_version(cax.get()) == X509_VERSION_3);
    CHECK(ext_critical(cax.get(), NID_basic_constraints) == 1);
    CHECK(is_ca(cax.get()));
    CHECK(ext_critical(cax.get(), NID_key_usage) == 1);
    CHECK(X509_get_key_usage(cax.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    CHECK(ext_critical(cax.get(), NID_subject_key_identifier) == 0);
    CHECK(!ski_hex(cax.get()).empty());
    CHECK(X509_check_ca(cax.get()) >= 1);
    CHECK(verify_chain(cax.get(), cax.get(), X509_PURPOSE_ANY) == X509_V_OK);

    // --- a server certificate
    IssuedCert srv =
        ca.issue_server("broker.test", {"DNS:localhost", "IP:127.0.0.1", "DNS:127.0.0.1", "::1"}, KeyType::rsa2048);
    X509P sx = pem_cert(srv.cert_pem);
    CHECK(X509_cmp(sx.get(), der_cert(srv.cert_der).get()) == 0);
    CHECK(X509_verify(sx.get(), ca_key.get()) == 1);
    CHECK(X509_check_private_key(sx.get(), pem_key(srv.key_pem).get()) == 1);
    CHECK(subject_cn(sx.get()) == "broker.test");
    CHECK(X509_check_host(sx.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(sx.get(), "127.0.0.1", 0, 0, nullptr) == 1);  // the DNS:127.0.0.1 entry
    CHECK(X509_check_ip_asc(sx.get(), "127.0.0.1", 0) == 1);
    CHECK(X509_check_ip_asc(sx.get(), "::1", 0) == 1);
    CHECK(X509_check_host(sx.get(), "example.org", 0, 0, nullptr) != 1);
    CHECK(X509_get_extended_key_usage(sx.get()) == XKU_SSL_SERVER);
    CHECK((X509_get_key_usage(sx.get()) & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)) ==
          (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
    CHECK(!is_ca(sx.get()));
    CHECK(aki_hex(sx.get()) == ski_hex(cax.get()));
    CHECK(verify_chain(cax.get(), sx.get(), X509_PURPOSE_SSL_SERVER) == X509_V_OK);

    // An expired server certificate through the window override.
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    IssuedCert old = ca.issue_server("expired.test", {"localhost"}, KeyType::ec256, 1,
                                     ValidityWindow{now - std::chrono::hours(24 * 10), now - std::chrono::hours(24)});
    X509P ox = pem_cert(old.cert_pem);
    CHECK(X509_verify(ox.get(), ca_key.get()) == 1);
    CHECK(X509_cmp_current_time(X509_get0_notAfter(ox.get())) < 0);
    CHECK(verify_chain(cax.get(), ox.get(), X509_PURPOSE_SSL_SERVER) == X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK(X509_get_key_usage(ox.get()) == KU_DIGITAL_SIGNATURE);  // EC: no keyEncipherment

    // --- two device certificates
    DeviceCert d1 = ca.issue_device("tasmota-001");
    DeviceCert d2 = ca.issue_device("tasmota-002");
    for (const DeviceCert* d : {&d1, &d2}) {
      X509P dx = der_cert(d->cert_der);
      CHECK(X509_cmp(dx.get(), pem_cert(d->cert_pem).get()) == 0);
      CHECK(X509_verify(dx.get(), ca_key.get()) == 1);
      CHECK(X509_verify(dx.get(), X509_get0_pubkey(cax.get())) == 1);
      CHECK(verify_chain(cax.get(), dx.get(), X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
      CHECK(verify_chain(cax.get(), dx.get(), X509_PURPOSE_SSL_SERVER) != X509_V_OK);  // clientAuth only

      // Seed 001's reduced extensions + clientAuth, and nothing else.
      CHECK(X509_get_ext_count(dx.get()) == 5);
      CHECK(ext_critical(dx.get(), NID_basic_constraints) == 1);
      CHECK(!is_ca(dx.get()));
      CHECK(ext_critical(dx.get(), NID_key_usage) == 1);
      CHECK(X509_get_key_usage(dx.get()) == KU_DIGITAL_SIGNATURE);
      CHECK(ext_critical(dx.get(), NID_subject_key_identifier) == 0);
      CHECK(ext_critical(dx.get(), NID_authority_key_identifier) == 0);
      CHECK(aki_hex(dx.get()) == ski_hex(cax.get()));
      CHECK(ext_critical(dx.get(), NID_ext_key_usage) == 0);
      CHECK(X509_get_extended_key_usage(dx.get()) == XKU_SSL_CLIENT);
      CHECK(ext_critical(dx.get(), NID_subject_alt_name) == -1);

      // A P-256 key; the raw scalar regenerates the certificate's public key.
      EVP_PKEY* pub = X509_get0_pubkey(dx.get());
      REQUIRE(pub != nullptr);
      CHECK(EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC);
      char group[32] = {0};
      size_t glen = 0;
      CHECK(EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) == 1);
      CHECK(std::string(group) == "prime256v1");
      CHECK(point_from_scalar(d->private_scalar) == encoded_pub(pub));
      // ... and is the scalar of the PEM key.
      PkeyP k = pem_key(d->key_pem);
      CHECK(X509_check_private_key(dx.get(), k.get()) == 1);
      BIGNUM* priv = nullptr;
      REQUIRE(EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1);
      std::array<uint8_t, 32> from_pem{};
      BN_bn2binpad(priv, from_pem.data(), 32);
      BN_clear_free(priv);
      CHECK(from_pem == d->private_scalar);

      // TLSKey1 / TLSKey2 as Tasmota takes them.
      auto k1 = base64_decode(d->tls_key1());
      CHECK(k1.size() == 32);
      CHECK(std::equal(k1.begin(), k1.end(), d->private_scalar.begin()));
      CHECK(base64_decode(d->tls_key2()) == d->cert_der);
      CHECK(d->tls_key1().size() == 44);

      // Serial: positive, 16 octets.
      CHECK(serial_bytes(dx.get()).size() == 16);
      MESSAGE(key_type_name(ca_type) << " CA: device cert DER " << d->cert_der.size() << " B, TLSKey2 "
                                     << d->tls_key2().size() << " chars");
    }
    CHECK(subject_cn(der_cert(d1.cert_der).get()) == "tasmota-001");
    CHECK(subject_cn(der_cert(d2.cert_der).get()) == "tasmota-002");
    CHECK(d1.private_scalar != d2.private_scalar);
    CHECK(serial_bytes(der_cert(d1.cert_der).get()) != serial_bytes(der_cert(d2.cert_der).get()));

    // The checks discriminate: another CA's key does not verify these certificates.
    CertificateAuthority other = CertificateAuthority::create(ca_type, "other CA", 30);
    CHECK(X509_verify(der_cert(d1.cert_der).get(), other.pkey()) != 1);
    CHECK(verify_chain(other.x509(), der_cert(d1.cert_der).get(), X509_PURPOSE_SSL_CLIENT) != X509_V_OK);
    CHECK(point_from_scalar(d2.private_scalar) != encoded_pub(X509_get0_pubkey(der_cert(d1.cert_der).get())));
  }
}

TEST_CASE("pki: save and load the CA, with clear errors") {
  TempDir tmp;
  fs::path dir = tmp.path / "ca";
  CertificateAuthority ca = CertificateAuthority::create(KeyType::ec256, "Saved CA", 365);
  ca.save(dir);
  CHECK(fs::exists(dir / "ca.crt"));
  CHECK(file_mode(dir / "ca.key") == 0600);
  CHECK((file_mode(dir / "ca.crt") & 0600) == 0600);
  CHECK((file_mode(dir / "ca.crt") & 0077) != 0077);

  std::string msg = what_of([&] { ca.save(dir); });
  CHECK(contains(msg, "refusing to overwrite"));
  CHECK(contains(msg, (dir / "ca.crt").string()));
  CHECK_NOTHROW(ca.save(dir, true));

  CertificateAuthority loaded = CertificateAuthority::load(dir / "ca.crt", dir / "ca.key");
  CHECK(loaded.cert_der() == ca.cert_der());
  CHECK(loaded.key_type() == KeyType::ec256);
  CHECK(loaded.common_name() == "Saved CA");
  // A loaded CA issues certificates the original verifies.
  DeviceCert d = loaded.issue_device("dev-from-loaded");
  CHECK(X509_verify(der_cert(d.cert_der).get(), ca.pkey()) == 1);

  // Missing file.
  msg = what_of([&] { CertificateAuthority::load(dir / "nope.crt", dir / "ca.key"); });
  CHECK(contains(msg, (dir / "nope.crt").string()));
  CHECK(contains(msg, "not found"));
  // Unparsable file.
  write_file_atomically(tmp.path / "garbage.crt", "hello\n");
  msg = what_of([&] { CertificateAuthority::load(tmp.path / "garbage.crt", dir / "ca.key"); });
  CHECK(contains(msg, (tmp.path / "garbage.crt").string()));
  write_file_atomically(tmp.path / "garbage.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                        0600);
  msg = what_of([&] { CertificateAuthority::load(dir / "ca.crt", tmp.path / "garbage.key"); });
  CHECK(contains(msg, (tmp.path / "garbage.key").string()));
  // A key that does not match.
  CertificateAuthority other = CertificateAuthority::create(KeyType::ec256, "Other", 365);
  other.save(tmp.path / "other");
  msg = what_of([&] { CertificateAuthority::load(dir / "ca.crt", tmp.path / "other" / "ca.key"); });
  CHECK(contains(msg, "does not match"));
  CHECK(contains(msg, (tmp.path / "other" / "ca.key").string()));
  // Not a CA: a device certificate with its own key.
  write_pem_files(d, tmp.path / "dev.crt", tmp.path / "dev.key");
  msg = what_of([&] { CertificateAuthority::load(tmp.path / "dev.crt", tmp.path / "dev.key"); });
  CHECK(contains(msg, "not a CA"));
}

TEST_CASE("pki: write_pem_files modes and overwrite refusal") {
  TempDir tmp;
  CertificateAuthority ca = CertificateAuthority::create(KeyType::ec256, "Files CA", 30);
  DeviceCert d = ca.issue_device("files-dev");
  fs::path crt = tmp.path / "sub" / "dev.crt";
  fs::path key = tmp.path / "sub" / "dev.key";
  write_pem_files(d, crt, key);
  CHECK(read_whole_file(crt) == d.cert_pem);
  CHECK(read_whole_file(key) == d.key_pem);
  CHECK(file_mode(key) == 0600);

  DeviceCert d2 = ca.issue_device("files-dev-2");
  std::string msg = what_of([&] { write_pem_files(d2, crt, tmp.path / "sub" / "fresh.key"); });
  CHECK(contains(msg, crt.string()));
  CHECK(contains(msg, "refusing to overwrite"));
  CHECK(!fs::exists(tmp.path / "sub" / "fresh.key"));  // nothing written when one path is taken
  CHECK(read_whole_file(crt) == d.cert_pem);

  ::chmod(key.c_str(), 0644);
  write_pem_files(d2, crt, key, true);
  CHECK(read_whole_file(crt) == d2.cert_pem);
  CHECK(read_whole_file(key) == d2.key_pem);
  CHECK(file_mode(key) == 0600);
  int leftovers = 0;
  for (auto& e : fs::directory_iterator(tmp.path / "sub"))
    if (contains(e.path().filename().string(), ".tmp.")) ++leftovers;
  CHECK(leftovers == 0);
}

TEST_CASE("pki: serial numbers from a seed, input validation") {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::ec256, "Seeded", 30, 42);
  ca.set_serial_seed(7);
  DeviceCert a = ca.issue_device("a");
  ca.set_serial_seed(7);
  DeviceCert b = ca.issue_device("b");
  CHECK(serial_bytes(der_cert(a.cert_der).get()) == serial_bytes(der_cert(b.cert_der).get()));
  ca.set_serial_seed(8);
  DeviceCert c = ca.issue_device("c");
  CHECK(serial_bytes(der_cert(a.cert_der).get()) != serial_bytes(der_cert(c.cert_der).get()));
  CertificateAuthority ca2 = CertificateAuthority::create(KeyType::ec256, "Seeded", 30, 42);
  CHECK(serial_bytes(ca.x509()) == serial_bytes(ca2.x509()));

  CHECK(contains(what_of([&] { ca.issue_device(""); }), "empty common name"));
  CHECK(contains(what_of([&] { ca.issue_device(std::string(65, 'x')); }), "longer than 64"));
  CHECK(contains(what_of([&] { ca.issue_server("s", {"IP:not-an-ip"}); }), "not-an-ip"));
  CHECK(contains(what_of([&] { ca.issue_server("s", {"DNS:bad name"}); }), "bad name"));
  CHECK(contains(what_of([&] { ca.issue_device("d", 0); }), "at least one day"));
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  CHECK(contains(what_of([&] {
                   ca.issue_device("d", 1, ValidityWindow{now, now - std::chrono::hours(1)});
                 }),
                 "ends before it starts"));
  IssuedCert big = ca.issue_server("rsa4096.test", {}, KeyType::rsa4096);
  X509P bx = pem_cert(big.cert_pem);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(bx.get())) == 4096);
  CHECK(X509_check_host(bx.get(), "rsa4096.test", 0, 0, nullptr) == 1);  // no SANs given: the name
  CHECK(X509_verify(bx.get(), ca.pkey()) == 1);

  auto sans = loopback_server_sans("127.0.0.5");
  CHECK(std::find(sans.begin(), sans.end(), "DNS:127.0.0.5") != sans.end());
  CHECK(std::find(sans.begin(), sans.end(), "IP:127.0.0.5") != sans.end());
  CHECK(std::find(sans.begin(), sans.end(), "DNS:localhost") != sans.end());
}

TEST_CASE("pki: issuing 1000 device certificates") {
  for (KeyType ca_type : {KeyType::rsa2048, KeyType::ec256}) {
    CertificateAuthority ca = CertificateAuthority::create(ca_type, "Fleet CA", 365);
    const int n = 1000;
    std::vector<DeviceCert> certs;
    certs.reserve(n);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) certs.push_back(ca.issue_device("dev-" + std::to_string(i)));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::set<std::vector<uint8_t>> serials;
    size_t bytes = 0;
    for (const auto& d : certs) {
      bytes += d.cert_der.size();
      serials.insert(serial_bytes(der_cert(d.cert_der).get()));
    }
    CHECK(X509_verify(der_cert(certs.back().cert_der).get(), ca.pkey()) == 1);
    CHECK(serials.size() == static_cast<size_t>(n));
    MESSAGE(key_type_name(ca_type) << " CA: " << n << " device certs in " << s * 1000 << " ms = "
                                   << static_cast<int>(n / s) << " certs/s, mean DER " << bytes / n << " B");
  }
}

TEST_CASE("pki: a reproducible device certificate is the same from the same CA and seeds, and valid") {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::rsa2048, "repro CA", kCaValidityDays, 5);
  const CertificateAuthority::Reproducible seeds{0x1234, 0x5678};
  DeviceCert a = ca.issue_device("dev-a", seeds);
  DeviceCert b = ca.issue_device("dev-a", seeds);
  CHECK(a.cert_der == b.cert_der);  // RSA signs deterministically: byte for byte
  CHECK(a.private_scalar == b.private_scalar);
  X509P ax = der_cert(a.cert_der);
  CHECK(X509_verify(ax.get(), ca.pkey()) == 1);
  CHECK(verify_chain(ca.x509(), ax.get(), X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  CHECK(point_from_scalar(a.private_scalar) == encoded_pub(X509_get0_pubkey(ax.get())));
  CHECK(subject_cn(ax.get()) == "dev-a");
  CHECK(ASN1_TIME_compare(X509_get0_notBefore(ax.get()), X509_get0_notBefore(ca.x509())) == 0);
  // Another key seed: another key; another serial seed: another serial, same key.
  DeviceCert c = ca.issue_device("dev-a", CertificateAuthority::Reproducible{0x1235, 0x5678});
  CHECK(c.private_scalar != a.private_scalar);
  DeviceCert d = ca.issue_device("dev-a", CertificateAuthority::Reproducible{0x1234, 0x5679});
  CHECK(d.private_scalar == a.private_scalar);
  CHECK(serial_bytes(der_cert(d.cert_der).get()) != serial_bytes(ax.get()));
  // The same CA loaded from its files (as every shard does with --pki) issues the same certificate.
  TempDir dir;
  ca.save(dir.path);
  CertificateAuthority loaded =
      CertificateAuthority::load(CertificateAuthority::cert_path(dir.path), CertificateAuthority::key_path(dir.path));
  CHECK(loaded.issue_device("dev-a", seeds).cert_der == a.cert_der);
}
