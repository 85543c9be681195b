// tests/core/test_x509_checks.cpp — the firmware's fingerprint X.509 engine (core/x509_checks.h)
// driven the way BearSSL's handshake drives it, on a certificate made by the project's PKI.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "fingerprint.h"
#include "pki.h"
#include "x509_checks.h"

using namespace espfleet;

namespace {
// start_chain, one certificate announced as `announced` bytes and given as `bytes` in pieces of
// `piece` (as records bring them) and then `after`, end_chain.
unsigned run_chain(const br_x509_class** x, uint32_t announced, const std::vector<uint8_t>& bytes, size_t piece = 100,
                   const std::vector<uint8_t>& after = {}) {
  (*x)->start_chain(x, "broker");
  (*x)->start_cert(x, announced);
  for (size_t at = 0; at < bytes.size(); at += piece)
    (*x)->append(x, bytes.data() + at, std::min<size_t>(piece, bytes.size() - at));
  if (!after.empty()) (*x)->append(x, after.data(), after.size());
  (*x)->end_cert(x);
  return (*x)->end_chain(x);
}
}  // namespace

TEST_CASE("fingerprint engine: learns the leaf's key; bytes past the leaf's DER are not pushed on") {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::rsa2048, "x509 checks CA", 30, 5);
  IssuedCert server = ca.issue_server("broker", loopback_server_sans(), KeyType::rsa2048, 30);
  std::string error;
  const auto want = fingerprint_v2_of_cert_der(server.cert_der, &error);
  REQUIRE_MESSAGE(want.has_value(), error);
  static const uint8_t kNone[kFingerprintLen] = {0};
  const br_x509_class** x = x509_fingerprint_new(kNone, kNone, true);
  REQUIRE(x != nullptr);
  uint8_t got[kFingerprintLen];

  CHECK(run_chain(x, uint32_t(server.cert_der.size()), server.cert_der) == 0);
  x509_fingerprint_received(x, got);
  CHECK(std::memcmp(got, want->data(), kFingerprintLen) == 0);

  // fuzz_tls_client found it: a certificate announced longer than its DER, the rest garbage. Once
  // the decoder had finished (or failed), pushing on ran BearSSL's decoder past its program (a
  // wild read). Extra bytes are refused as BearSSL's decoder refuses them, in the same piece or after.
  const std::vector<uint8_t> junk(300, 0x30);
  std::vector<uint8_t> longer = server.cert_der;
  longer.insert(longer.end(), junk.begin(), junk.end());
  CHECK(run_chain(x, uint32_t(longer.size()), longer) == BR_ERR_X509_EXTRA_ELEMENT);
  CHECK(run_chain(x, uint32_t(longer.size()), server.cert_der, server.cert_der.size(), junk) ==
        BR_ERR_X509_EXTRA_ELEMENT);
  CHECK(run_chain(x, uint32_t(longer.size()), std::vector<uint8_t>(1, 0x01), 1, junk) != 0);  // failed, then more

  // Not a certificate at all: refused with the decoder's error, nothing learned.
  CHECK(run_chain(x, 400, std::vector<uint8_t>(400, 0x30)) != 0);
  x509_fingerprint_received(x, got);
  CHECK(std::all_of(got, got + kFingerprintLen, [](uint8_t b) { return b == 0; }));
  x509_engine_free(x);
}
