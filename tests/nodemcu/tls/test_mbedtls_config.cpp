// tests/nodemcu/tls/test_mbedtls_config.cpp — the mbed TLS build NodeMCU's configuration makes
// (nodemcu/tls/mbedtls_nodemcu_config.h), as the library itself reports it: a client's setup
// allocates exactly two 4429-byte record buffers through the device-heap hook (and everything
// else through it too); TLS 1.2 only; only DHE-RSA, ECDHE-RSA and ECDHE-ECDSA suites, with AES,
// Camellia or ChaCha20-Poly1305; NodeMCU's five curves; the heap tags those blocks get; no
// generator without a device's entropy; the names the run's figures give mbed TLS's error codes.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "heap_tags.h"
#include "mbedtls/bignum.h"
#include "mbedtls/config.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/ssl.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/version.h"
#include "stub_platform.h"
#include "tls_errors.h"

using namespace espfleet;
using namespace espfleet::test;

namespace {

// Counts what mbed TLS asks of the heap hook, by call site and size.
struct CountingPlatform : StubPlatform {
  struct Call {
    std::string site;
    size_t bytes;
  };
  std::vector<Call> callocs;
  size_t frees = 0;
  uint32_t next = 1;
  void* heap_calloc(size_t n, size_t size, const char* file, int line) override {
    callocs.push_back({file ? file : "", n * size});
    return StubPlatform::heap_calloc(n, size, file, line);
  }
  void heap_free(void* p, const char* file, int line) override {
    ++frees;
    StubPlatform::heap_free(p, file, line);
  }
  uint32_t random32() override { return next = next * 1664525u + 1013904223u; }
};

}  // namespace

TEST_CASE("mbed TLS as NodeMCU builds it: two 4429-byte record buffers, allocated through the device's heap") {
  REQUIRE(std::string(MBEDTLS_VERSION_STRING).rfind("2.28.", 0) == 0);  // Debian bookworm's
  CountingPlatform p;
  Installed on(p);
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config_init(&conf);
  mbedtls_ssl_init(&ssl);
  REQUIRE(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT) == 0);
  const size_t before_setup = p.callocs.size();
  REQUIRE(mbedtls_ssl_setup(&ssl, &conf) == 0);
  size_t buffers = 0;
  for (size_t i = before_setup; i < p.callocs.size(); ++i) buffers += p.callocs[i].bytes == 13 + 16 + 48 + 256 + 4096;
  CHECK(buffers == 2);
  CHECK(p.callocs.size() > before_setup + 2);  // and the handshake's own structures
  for (const auto& c : p.callocs) CHECK(c.site == ESPFLEET_MBEDTLS_HEAP_SITE);
  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  CHECK(p.frees == p.callocs.size());
  // Their tags in a heap map: the buffers as the record buffers, the rest as TLS.
  CHECK(heap_tag_for(ESPFLEET_MBEDTLS_HEAP_SITE, 4429) == HeapTag::tls_buffers);
  CHECK(heap_tag_for(ESPFLEET_MBEDTLS_HEAP_SITE, 4428) == HeapTag::tls);
}

TEST_CASE("mbed TLS as NodeMCU builds it: TLS 1.2 only, its key exchanges, ciphers and curves") {
  mbedtls_ssl_config conf;
  mbedtls_ssl_config_init(&conf);
  REQUIRE(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT) == 0);
  CHECK(conf.min_major_ver == MBEDTLS_SSL_MAJOR_VERSION_3);
  CHECK(conf.min_minor_ver == MBEDTLS_SSL_MINOR_VERSION_3);  // TLS 1.2
  CHECK(conf.max_minor_ver == MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_config_free(&conf);

  std::set<mbedtls_key_exchange_type_t> kex;
  std::set<mbedtls_cipher_type_t> ciphers;
  size_t n = 0;
  for (const int* id = mbedtls_ssl_list_ciphersuites(); *id; ++id, ++n) {
    const mbedtls_ssl_ciphersuite_t* cs = mbedtls_ssl_ciphersuite_from_id(*id);
    REQUIRE(cs);
    INFO(cs->name);
    CHECK((cs->key_exchange == MBEDTLS_KEY_EXCHANGE_DHE_RSA || cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_RSA ||
           cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA));
    const std::string name = cs->name;
    CHECK((name.find("-AES-") != std::string::npos || name.find("-CAMELLIA-") != std::string::npos ||
           name.find("-CHACHA20-POLY1305-") != std::string::npos));
    CHECK(cs->max_minor_ver >= MBEDTLS_SSL_MINOR_VERSION_3);
    kex.insert(cs->key_exchange);
    ciphers.insert(cs->cipher);
  }
  CHECK(n > 20);
  CHECK(kex.size() == 3);
  CHECK(ciphers.count(MBEDTLS_CIPHER_AES_128_GCM) == 1);
  CHECK(ciphers.count(MBEDTLS_CIPHER_AES_256_CBC) == 1);
  CHECK(ciphers.count(MBEDTLS_CIPHER_AES_128_CCM) == 1);
  CHECK(ciphers.count(MBEDTLS_CIPHER_CAMELLIA_128_GCM) == 1);
  CHECK(ciphers.count(MBEDTLS_CIPHER_CHACHA20_POLY1305) == 1);

  std::vector<std::string> curves;
  for (const mbedtls_ecp_curve_info* c = mbedtls_ecp_curve_list(); c->grp_id != MBEDTLS_ECP_DP_NONE; ++c)
    curves.push_back(c->name);
  CHECK(curves ==
        std::vector<std::string>{"secp384r1", "brainpoolP384r1", "secp256r1", "secp256k1", "brainpoolP256r1"});
}

TEST_CASE("mbed TLS as NodeMCU builds it: the entropy is the device's, and there is none without one") {
  auto seeded = [](int* ret) {
    mbedtls_entropy_context e;
    mbedtls_ctr_drbg_context g;
    mbedtls_entropy_init(&e);
    mbedtls_ctr_drbg_init(&g);
    *ret = mbedtls_ctr_drbg_seed(&g, mbedtls_entropy_func, &e, nullptr, 0);
    unsigned char out[16] = {};
    if (*ret == 0) mbedtls_ctr_drbg_random(&g, out, sizeof out);
    mbedtls_ctr_drbg_free(&g);
    mbedtls_entropy_free(&e);
    return std::vector<unsigned char>(out, out + sizeof out);
  };
  int ret = 0;
  seeded(&ret);  // no device installed: no hardware source
  CHECK(ret == MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED);
  CountingPlatform a, b;
  std::vector<unsigned char> x, y, z;
  {
    Installed on(a);
    x = seeded(&ret);
    REQUIRE(ret == 0);
  }
  {
    Installed on(b);
    y = seeded(&ret);
  }
  CHECK(x == y);  // the same generator, the same bytes
  b.next = 99;
  {
    Installed on(b);
    z = seeded(&ret);
  }
  CHECK(x != z);
}

TEST_CASE("TLS error names: mbed TLS's codes, as a NodeMCU device reports them") {
  CHECK(tls_error_name(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) == "X509_CERT_VERIFY_FAILED");
  CHECK(tls_error_name(MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE) == "SSL_FEATURE_UNAVAILABLE");
  CHECK(tls_error_name(MBEDTLS_ERR_SSL_TIMEOUT) == "SSL_TIMEOUT");
  // Others by mbed TLS's own description.
  CHECK(tls_error_name(MBEDTLS_ERR_MPI_DIVISION_BY_ZERO) ==
        "MBEDTLS_-0x000C (BIGNUM - The input argument for division is zero, which is not allowed)");
  CHECK(tls_error_name(-1000) == "OUT_OF_MEMORY");  // the firmware's own codes keep their names
}
