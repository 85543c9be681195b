// tests/sim/tls/test_mbedtls_cost.cpp — the NodeMCU devices' mbed TLS charged from the lx106 table
// (sim/tls/mbedtls_cost.cpp): the wrapped functions charge the running device's meter the table's
// instructions × CPI at the work clock, a boost to 160 MHz halves the time of the same cycles, an
// operation inside a charged one is not charged again, nothing is charged without a meter; and the
// compiled table is sim/tls/chip_costs_mbedtls.json's.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "chip_cost_table.h"
#include "cost_meter.h"
#include "cycle_clock.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecdh.h"
#include "mbedtls/sha256.h"
#include "mbedtls/ssl.h"
#include "mbedtls_cost.h"

using namespace espfleet;

namespace {

// A fixed generator for the key exchange (the device's is its CTR-DRBG, charged on its own).
int test_rng(void* state, unsigned char* out, size_t len) {
  auto* x = static_cast<uint32_t*>(state);
  for (size_t i = 0; i < len; ++i) out[i] = uint8_t((*x = *x * 1664525u + 1013904223u) >> 24);
  return 0;
}

// One ECDHE on P-256 as the client does it: its own key (d·G), then the shared secret (d·Q).
void ecdhe_p256() {
  uint32_t seed = 7;
  mbedtls_ecdh_context a, b;
  mbedtls_ecdh_init(&a);
  mbedtls_ecdh_init(&b);
  REQUIRE(mbedtls_ecp_group_load(&a.grp, MBEDTLS_ECP_DP_SECP256R1) == 0);
  REQUIRE(mbedtls_ecp_group_load(&b.grp, MBEDTLS_ECP_DP_SECP256R1) == 0);
  REQUIRE(mbedtls_ecdh_gen_public(&a.grp, &a.d, &a.Q, test_rng, &seed) == 0);
  {
    // The peer's key, made without a meter: not the device's work.
    CostMeter* m = current_cost_meter();
    set_cost_meter(nullptr);
    REQUIRE(mbedtls_ecdh_gen_public(&b.grp, &b.d, &b.Q, test_rng, &seed) == 0);
    set_cost_meter(m);
  }
  REQUIRE(mbedtls_ecdh_compute_shared(&a.grp, &a.z, &b.Q, &a.d, test_rng, &seed) == 0);
  mbedtls_ecdh_free(&a);
  mbedtls_ecdh_free(&b);
}

struct Metered {
  CycleClock clock{80};
  CostMeter meter{clock, kLx106Costs};
  Metered() { set_cost_meter(&meter); }
  ~Metered() { set_cost_meter(nullptr); }
  uint64_t cat(CostCat c) const { return meter.account()[size_t(c)]; }
};

// A nested call inside a wrapped one: the seed's entropy source hashes (its own SHA-256).
int hashing_entropy(void*, unsigned char* out, size_t len) {
  unsigned char h[32];
  const unsigned char msg[100] = {1};
  mbedtls_sha256_ret(msg, sizeof msg, h, 0);
  for (size_t i = 0; i < len; ++i) out[i] = h[i % 32];
  return 0;
}

}  // namespace

TEST_CASE("mbedtls cost: ECDHE charged at the table's instructions x CPI; the 160 MHz boost halves its time") {
  const double gen = mbedtls_cost::ecp_mul(256, true), shared = mbedtls_cost::ecp_mul(256, false);
  CHECK(gen == chip_mbedtls::kEcpP256MulG.instructions);
  CHECK(shared == chip_mbedtls::kEcpP256Mul.instructions);
  Metered m;
  ecdhe_p256();
  const uint64_t at80 = kLx106Costs.cycles_for(gen, 80) + kLx106Costs.cycles_for(shared, 80);
  CHECK(m.cat(CostCat::ecdhe) == at80);
  CHECK(m.clock.cycles() == at80);  // nothing else charged
  const VTime t80 = m.clock.now();
  CHECK((t80.seconds() * 1e6) == doctest::Approx(double(at80) / 80.0).epsilon(1e-6));

  // At the glue's 160 MHz: cycles at that clock's CPI, each taking 1/160 µs.
  m.clock.set_work_mhz(160);
  ecdhe_p256();
  m.clock.set_work_mhz(0);
  const uint64_t at160 = kLx106Costs.cycles_for(gen, 160) + kLx106Costs.cycles_for(shared, 160);
  CHECK(m.cat(CostCat::ecdhe) == at80 + at160);
  const double boosted_us = (m.clock.now().seconds() * 1e6) - (t80.seconds() * 1e6);
  CHECK(boosted_us == doctest::Approx(double(at160) / 160.0).epsilon(1e-6));
  // The same cycles at 160 MHz take half the time; the instructions a little more than half
  // (CPI 1.75 at 160 against 1.665 at 80: flash waits cost more cycles at the higher clock).
  CHECK(double(at160) / 160.0 == doctest::Approx(double(at160) / 80.0 / 2.0));
  CHECK(boosted_us / (t80.seconds() * 1e6) ==
        doctest::Approx(kLx106Costs.cpi160 / 160.0 / (kLx106Costs.cpi80 / 80.0)).epsilon(1e-4));
}

TEST_CASE("mbedtls cost: hashes by blocks compressed, records by plaintext blocks, nesting, no meter") {
  Metered m;
  // SHA-256 one-shot over 1000 bytes: 15 blocks + the final one (40 bytes left, room for the length).
  unsigned char h[32], data[1000] = {3};
  mbedtls_sha256_ret(data, sizeof data, h, 0);
  const double one_shot = 15 * chip_mbedtls::kSha256Block.instructions + chip_mbedtls::kSha256Finish.instructions;
  CHECK(m.cat(CostCat::hashing) == kLx106Costs.cycles_for(one_shot, 80));
  // Streamed: 100 + 100 bytes compress 1 then 2 blocks; the finish (8 bytes left) one.
  mbedtls_sha256_context c;
  mbedtls_sha256_init(&c);
  mbedtls_sha256_starts_ret(&c, 0);
  const uint64_t before = m.cat(CostCat::hashing);
  mbedtls_sha256_update_ret(&c, data, 100);
  CHECK(m.cat(CostCat::hashing) - before == kLx106Costs.cycles_for(chip_mbedtls::kSha256Block.instructions, 80));
  mbedtls_sha256_update_ret(&c, data, 100);
  mbedtls_sha256_finish_ret(&c, h);
  mbedtls_sha256_free(&c);
  CHECK(m.cat(CostCat::hashing) - before ==
        kLx106Costs.cycles_for(chip_mbedtls::kSha256Block.instructions, 80) +
            kLx106Costs.cycles_for(2 * chip_mbedtls::kSha256Block.instructions, 80) +
            kLx106Costs.cycles_for(chip_mbedtls::kSha256Finish.instructions, 80));

  // An AES-128-GCM record of 100 bytes: the key setup, then the fixed part + 7 blocks.
  mbedtls_cipher_context_t gcm;
  mbedtls_cipher_init(&gcm);
  REQUIRE(mbedtls_cipher_setup(&gcm, mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_GCM)) == 0);
  const unsigned char key[16] = {1}, iv[12] = {2}, ad[13] = {3};
  REQUIRE(mbedtls_cipher_setkey(&gcm, key, 128, MBEDTLS_ENCRYPT) == 0);
  CHECK(m.cat(CostCat::record_crypto) == kLx106Costs.cycles_for(chip_mbedtls::kGcm128Setkey.instructions, 80));
  unsigned char out[100 + 16];
  size_t olen = 0;
  REQUIRE(mbedtls_cipher_auth_encrypt_ext(&gcm, iv, 12, ad, 13, data, 100, out, sizeof out, &olen, 16) == 0);
  CHECK(olen == 116);
  CHECK(m.cat(CostCat::record_crypto) ==
        kLx106Costs.cycles_for(chip_mbedtls::kGcm128Setkey.instructions, 80) +
            kLx106Costs.cycles_for(
                chip_mbedtls::kGcm128SealFixed.instructions + 7 * chip_mbedtls::kGcm128SealBlock.instructions, 80));
  mbedtls_cipher_free(&gcm);

  // Seeding the generator: one charge; the hashing its entropy source does is inside it.
  const uint64_t hashing = m.cat(CostCat::hashing);
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ctr_drbg_init(&drbg);
  REQUIRE(mbedtls_ctr_drbg_seed(&drbg, hashing_entropy, nullptr, nullptr, 0) == 0);
  CHECK(m.cat(CostCat::hashing) == hashing);
  CHECK(m.cat(CostCat::engine) == kLx106Costs.cycles_for(chip_mbedtls::kCtrDrbgSeed.instructions, 80));
  unsigned char r[40];
  REQUIRE(mbedtls_ctr_drbg_random(&drbg, r, sizeof r) == 0);
  CHECK(m.cat(CostCat::engine) == kLx106Costs.cycles_for(chip_mbedtls::kCtrDrbgSeed.instructions, 80) +
                                      kLx106Costs.cycles_for(mbedtls_cost::drbg(40), 80));
  mbedtls_ctr_drbg_free(&drbg);

  // The TLS 1.2 PRF (master secret): charged through its SHA-256 calls, 13 blocks and 10 finishes;
  // the table's whole-PRF measurement is 4 % more (the HMAC code around them, not charged).
  const uint64_t hashed = m.cat(CostCat::hashing);
  unsigned char secret[32] = {7}, randoms[64] = {9}, master[48];
  REQUIRE(mbedtls_ssl_tls_prf(MBEDTLS_SSL_TLS_PRF_SHA256, secret, 32, "master secret", randoms, 64, master, 48) == 0);
  const double prf = double(m.cat(CostCat::hashing) - hashed) / kLx106Costs.cpi80;
  CHECK(prf ==
        doctest::Approx(13 * chip_mbedtls::kSha256Block.instructions + 10 * chip_mbedtls::kSha256Finish.instructions)
            .epsilon(1e-4));
  CHECK(prf < chip_mbedtls::kPrfSha256Master.instructions);
  CHECK(prf > 0.95 * chip_mbedtls::kPrfSha256Master.instructions);

  // No meter (no device's code running): mbed TLS runs, nothing is charged.
  set_cost_meter(nullptr);
  const uint64_t cycles = m.clock.cycles();
  mbedtls_sha256_ret(data, sizeof data, h, 0);
  CHECK(m.clock.cycles() == cycles);
}

TEST_CASE("mbedtls cost: RSA scales quadratically from the measured sizes; curves by size") {
  CHECK(mbedtls_cost::rsa_verify(256, false) == chip_mbedtls::kRsa2048Pkcs1Verify.instructions);
  CHECK(mbedtls_cost::rsa_verify(512, false) == chip_mbedtls::kRsa4096Pkcs1Verify.instructions);
  CHECK(mbedtls_cost::rsa_verify(384, false) ==
        doctest::Approx(chip_mbedtls::kRsa4096Pkcs1Verify.instructions * 0.5625));
  CHECK(mbedtls_cost::rsa_verify(256, true) == doctest::Approx(chip_mbedtls::kRsa2048PssVerify.instructions));
  CHECK(mbedtls_cost::ecdsa_verify(384) == chip_mbedtls::kEcdsaP384Verify.instructions);
  CHECK(mbedtls_cost::ecp_mul(384, false) == chip_mbedtls::kEcpP384Mul.instructions);
  // The measured figures themselves (docs/calibration.md section 6): RSA-4096 about 4 × RSA-2048,
  // an ECDSA verify about two scalar multiplications.
  CHECK(chip_mbedtls::kRsa4096Pkcs1Verify.instructions / chip_mbedtls::kRsa2048Pkcs1Verify.instructions ==
        doctest::Approx(4.0).epsilon(0.1));
  CHECK(chip_mbedtls::kEcdsaP256Verify.instructions / chip_mbedtls::kEcpP256Mul.instructions ==
        doctest::Approx(2.0).epsilon(0.1));
}

TEST_CASE("mbedtls cost: the compiled table is sim/tls/chip_costs_mbedtls.json's") {
  std::ifstream in(chip_mbedtls::kJsonPath);
  REQUIRE_MESSAGE(in.good(), "cannot open " << chip_mbedtls::kJsonPath);
  nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j.at("lib") == "mbedtls");
  CHECK(std::string(chip_mbedtls::kLib) == "mbedtls");
  CHECK(std::string(chip_mbedtls::kLibVersion).rfind("2.28.", 0) == 0);
  const auto& ops = j.at("ops");
  CHECK(ops.size() == chip_mbedtls::kCount);
  for (size_t i = 0; i < chip_mbedtls::kCount; ++i) {
    const auto& op = chip_mbedtls::kAll[i];
    REQUIRE_MESSAGE(ops.contains(op.name), op.name);
    CHECK_MESSAGE(op.instructions == ops.at(op.name).at("instructions").get<double>(), op.name);
    CHECK_MESSAGE(op.stack_bytes == ops.at(op.name).at("stack_bytes").get<uint32_t>(), op.name);
  }
}
