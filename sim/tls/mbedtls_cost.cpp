// sim/tls/mbedtls_cost.cpp — the link-time wrappers that charge the NodeMCU devices' mbed TLS work
// (mbedtls_cost.h): each __wrap_X runs mbed TLS's own X (__real_X) and charges the meter of the
// device whose code runs (current_cost_meter; none: nothing) the lx106's measured instructions for
// it (sim/tls/chip_costs_mbedtls.json) × the chip's CPI at the work clock (CycleClock::work_mhz: 160
// MHz in a NodeMCU handshake's steps). An operation called inside another charged one (the hashes of
// a PSS verify, the AES of a GCM key setup) is the outer one's: the table measured it so.
// docs/calibration.md section 6.
#include "mbedtls_cost.h"

#include <cstring>

#include "cost_meter.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/rsa.h"
#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"
#include "mbedtls/x509_crt.h"

namespace espfleet {
namespace mbedtls_cost {

namespace t = chip_mbedtls;

double ecp_mul(unsigned curve_bits, bool generator) {
  // secp256r1 and secp384r1 measured; the other offered curves (secp256k1, brainpool) at the
  // measured NIST curve of their size.
  if (curve_bits <= 256) return generator ? t::kEcpP256MulG.instructions : t::kEcpP256Mul.instructions;
  return generator ? t::kEcpP384MulG.instructions : t::kEcpP384Mul.instructions;
}

double ecdsa_verify(unsigned curve_bits) {
  return curve_bits <= 256 ? t::kEcdsaP256Verify.instructions : t::kEcdsaP384Verify.instructions;
}

double rsa_verify(size_t modulus_bytes, bool pss) {
  // Montgomery products of n limbs: quadratic in the modulus, from the nearest measured size.
  const bool big = modulus_bytes > 256;
  const double k = double(modulus_bytes) / (big ? 512.0 : 256.0);
  const double pkcs1 = (big ? t::kRsa4096Pkcs1Verify.instructions : t::kRsa2048Pkcs1Verify.instructions) * k * k;
  // PSS: the same public operation plus MGF1's hashing, which grows with the modulus linearly.
  const double mgf1 = t::kRsa2048PssVerify.instructions - t::kRsa2048Pkcs1Verify.instructions;
  return pss ? pkcs1 + mgf1 * double(modulus_bytes) / 256.0 : pkcs1;
}

double x509_der(size_t bytes, bool ec_key) {
  return double(bytes) * (ec_key ? t::kX509EcByte.instructions : t::kX509RsaByte.instructions);
}
double x509_pem(size_t bytes) { return double(bytes) * t::kX509PemByte.instructions; }

double record(int aead, bool seal, size_t plaintext) {
  const double blocks = double((plaintext + 15) / 16);
  switch (aead) {
    case 1:
      return seal ? t::kGcm256SealFixed.instructions + blocks * t::kGcm256SealBlock.instructions
                  : t::kGcm256OpenFixed.instructions + blocks * t::kGcm256OpenBlock.instructions;
    case 2:
      return seal ? t::kChachapolySealFixed.instructions + blocks * t::kChachapolySealBlock.instructions
                  : t::kChachapolyOpenFixed.instructions + blocks * t::kChachapolyOpenBlock.instructions;
    default:
      return seal ? t::kGcm128SealFixed.instructions + blocks * t::kGcm128SealBlock.instructions
                  : t::kGcm128OpenFixed.instructions + blocks * t::kGcm128OpenBlock.instructions;
  }
}

double setkey(int aead) {
  return aead == 1   ? t::kGcm256Setkey.instructions
         : aead == 2 ? t::kChachapolySetkey.instructions
                     : t::kGcm128Setkey.instructions;
}

double drbg(size_t bytes) {
  return t::kCtrDrbgFixed.instructions + double((bytes + 15) / 16) * t::kCtrDrbgBlock.instructions;
}
double drbg_seed() { return t::kCtrDrbgSeed.instructions; }

}  // namespace mbedtls_cost

namespace {

// The operation being charged on this thread, by the meter it charges: a wrapped call inside it is
// part of it. Keyed by meter, so that another device's code on this thread is never taken for it.
thread_local CostMeter* t_inside = nullptr;

class Charged {
 public:
  Charged() : meter_(current_cost_meter()), outer_(meter_ && t_inside != meter_) {
    if (outer_) t_inside = meter_;
  }
  ~Charged() {
    if (outer_) t_inside = nullptr;
  }
  Charged(const Charged&) = delete;
  Charged& operator=(const Charged&) = delete;
  bool outer() const { return outer_; }
  // Instructions at the chip's CPI for the clock the work runs at (the boost, if any).
  void charge(double instructions, CostCat cat) const {
    if (!outer_ || instructions <= 0) return;
    meter_->charge(meter_->costs().cycles_for(instructions, meter_->work_mhz()), cat);
  }

 private:
  CostMeter* meter_;
  bool outer_;
};

// The AEAD a cipher context holds, as mbedtls_cost::record names it; other ciphers (AES-CCM, the
// CBC suites, Camellia) are charged as the GCM of their key size.
int aead_of(const mbedtls_cipher_context_t* ctx) {
  if (!ctx->cipher_info) return 0;
  if (ctx->cipher_info->type == MBEDTLS_CIPHER_CHACHA20_POLY1305) return 2;
  return ctx->cipher_info->key_bitlen > 128 ? 1 : 0;
}

// Hash blocks compressed by an update of `len` bytes onto `total` bytes already taken.
uint64_t blocks_of(uint64_t total, size_t len, unsigned block) { return (total % block + len) / block; }
// Blocks a finish compresses: one, two when the length field does not fit after the data.
uint64_t finish_blocks(uint64_t total, unsigned block) { return total % block < block - block / 8 ? 1 : 2; }

}  // namespace

}  // namespace espfleet

using espfleet::aead_of;
using espfleet::blocks_of;
using espfleet::Charged;
using espfleet::CostCat;
using espfleet::finish_blocks;
namespace cost = espfleet::mbedtls_cost;
namespace t = espfleet::chip_mbedtls;

extern "C" {

int __real_mbedtls_ecp_mul_restartable(mbedtls_ecp_group*, mbedtls_ecp_point*, const mbedtls_mpi*,
                                       const mbedtls_ecp_point*, int (*)(void*, unsigned char*, size_t), void*,
                                       mbedtls_ecp_restart_ctx*);
int __wrap_mbedtls_ecp_mul_restartable(mbedtls_ecp_group* grp, mbedtls_ecp_point* R, const mbedtls_mpi* m,
                                       const mbedtls_ecp_point* P, int (*f_rng)(void*, unsigned char*, size_t),
                                       void* p_rng, mbedtls_ecp_restart_ctx* rs_ctx) {
  Charged c;
  const bool g = c.outer() && mbedtls_ecp_point_cmp(P, &grp->G) == 0;
  const int ret = __real_mbedtls_ecp_mul_restartable(grp, R, m, P, f_rng, p_rng, rs_ctx);
  c.charge(cost::ecp_mul(unsigned(grp->pbits), g), CostCat::ecdhe);
  return ret;
}

int __real_mbedtls_ecdsa_read_signature(mbedtls_ecdsa_context*, const unsigned char*, size_t, const unsigned char*,
                                        size_t);
int __wrap_mbedtls_ecdsa_read_signature(mbedtls_ecdsa_context* ctx, const unsigned char* hash, size_t hlen,
                                        const unsigned char* sig, size_t slen) {
  Charged c;
  const int ret = __real_mbedtls_ecdsa_read_signature(ctx, hash, hlen, sig, slen);
  c.charge(cost::ecdsa_verify(unsigned(ctx->grp.pbits)), CostCat::ecdsa_verify);
  return ret;
}

int __real_mbedtls_rsa_pkcs1_verify(mbedtls_rsa_context*, int (*)(void*, unsigned char*, size_t), void*, int,
                                    mbedtls_md_type_t, unsigned int, const unsigned char*, const unsigned char*);
int __wrap_mbedtls_rsa_pkcs1_verify(mbedtls_rsa_context* ctx, int (*f_rng)(void*, unsigned char*, size_t), void* p_rng,
                                    int mode, mbedtls_md_type_t md_alg, unsigned int hashlen, const unsigned char* hash,
                                    const unsigned char* sig) {
  Charged c;
  const int ret = __real_mbedtls_rsa_pkcs1_verify(ctx, f_rng, p_rng, mode, md_alg, hashlen, hash, sig);
  c.charge(cost::rsa_verify(ctx->len, ctx->padding == MBEDTLS_RSA_PKCS_V21), CostCat::rsa);
  return ret;
}

int __real_mbedtls_rsa_rsassa_pss_verify_ext(mbedtls_rsa_context*, int (*)(void*, unsigned char*, size_t), void*, int,
                                             mbedtls_md_type_t, unsigned int, const unsigned char*, mbedtls_md_type_t,
                                             int, const unsigned char*);
int __wrap_mbedtls_rsa_rsassa_pss_verify_ext(mbedtls_rsa_context* ctx, int (*f_rng)(void*, unsigned char*, size_t),
                                             void* p_rng, int mode, mbedtls_md_type_t md_alg, unsigned int hashlen,
                                             const unsigned char* hash, mbedtls_md_type_t mgf1_hash_id,
                                             int expected_salt_len, const unsigned char* sig) {
  Charged c;
  const int ret = __real_mbedtls_rsa_rsassa_pss_verify_ext(ctx, f_rng, p_rng, mode, md_alg, hashlen, hash, mgf1_hash_id,
                                                           expected_salt_len, sig);
  c.charge(cost::rsa_verify(ctx->len, true), CostCat::rsa);
  return ret;
}

int __real_mbedtls_x509_crt_parse_der(mbedtls_x509_crt*, const unsigned char*, size_t);
int __wrap_mbedtls_x509_crt_parse_der(mbedtls_x509_crt* chain, const unsigned char* buf, size_t buflen) {
  Charged c;
  const int ret = __real_mbedtls_x509_crt_parse_der(chain, buf, buflen);
  const mbedtls_x509_crt* last = chain;
  while (last && last->next) last = last->next;
  const bool ec = last && mbedtls_pk_get_type(&last->pk) == MBEDTLS_PK_ECKEY;
  c.charge(cost::x509_der(buflen, ec), CostCat::x509);
  return ret;
}

int __real_mbedtls_x509_crt_parse(mbedtls_x509_crt*, const unsigned char*, size_t);
int __wrap_mbedtls_x509_crt_parse(mbedtls_x509_crt* chain, const unsigned char* buf, size_t buflen) {
  Charged c;
  const bool pem = buflen && buf[buflen - 1] == '\0' && std::strstr(reinterpret_cast<const char*>(buf), "-----BEGIN");
  const int ret = __real_mbedtls_x509_crt_parse(chain, buf, buflen);
  const mbedtls_x509_crt* last = chain;
  while (last && last->next) last = last->next;
  const bool ec = last && mbedtls_pk_get_type(&last->pk) == MBEDTLS_PK_ECKEY;
  c.charge(pem ? cost::x509_pem(buflen) : cost::x509_der(buflen, ec), CostCat::x509);
  return ret;
}

// ---- hashes: the blocks each call compresses, from the context's own byte count ----

int __real_mbedtls_sha256_update_ret(mbedtls_sha256_context*, const unsigned char*, size_t);
int __real_mbedtls_sha256_finish_ret(mbedtls_sha256_context*, unsigned char*);
int __real_mbedtls_sha256_ret(const unsigned char*, size_t, unsigned char*, int);
int __real_mbedtls_sha512_update_ret(mbedtls_sha512_context*, const unsigned char*, size_t);
int __real_mbedtls_sha512_finish_ret(mbedtls_sha512_context*, unsigned char*);
int __real_mbedtls_sha512_ret(const unsigned char*, size_t, unsigned char*, int);
int __real_mbedtls_sha1_update_ret(mbedtls_sha1_context*, const unsigned char*, size_t);
int __real_mbedtls_sha1_finish_ret(mbedtls_sha1_context*, unsigned char*);
int __real_mbedtls_sha1_ret(const unsigned char*, size_t, unsigned char*);

}  // extern "C"

namespace {

// One hash's measured costs: its block size, per block compressed, its finish (one padding block).
struct Hash {
  unsigned block;
  double per_block, finish;
  double blocks(uint64_t n) const { return double(n) * per_block; }
  double final(uint64_t total) const { return finish + blocks(finish_blocks(total, block) - 1); }
};
const Hash kSha256{64, t::kSha256Block.instructions, t::kSha256Finish.instructions};
const Hash kSha512{128, t::kSha512Block.instructions, t::kSha512Finish.instructions};
const Hash kSha1{64, t::kSha1Block.instructions, t::kSha1Finish.instructions};

template <class Ctx, class Real>
int hash_update(const Hash& h, Real real, Ctx* ctx, const unsigned char* input, size_t ilen) {
  Charged c;
  const uint64_t blocks = blocks_of(ctx->total[0], ilen, h.block);
  const int ret = real(ctx, input, ilen);
  c.charge(h.blocks(blocks), CostCat::hashing);
  return ret;
}
template <class Ctx, class Real>
int hash_finish(const Hash& h, Real real, Ctx* ctx, unsigned char* output) {
  Charged c;
  const double cost = h.final(ctx->total[0]);
  const int ret = real(ctx, output);
  c.charge(cost, CostCat::hashing);
  return ret;
}
template <class Real, class... Args>
int hash_once(const Hash& h, Real real, const unsigned char* input, size_t ilen, Args... args) {
  Charged c;
  const int ret = real(input, ilen, args...);
  c.charge(h.blocks(ilen / h.block) + h.final(ilen), CostCat::hashing);
  return ret;
}

}  // namespace

extern "C" {

int __wrap_mbedtls_sha256_update_ret(mbedtls_sha256_context* ctx, const unsigned char* input, size_t ilen) {
  return hash_update(kSha256, __real_mbedtls_sha256_update_ret, ctx, input, ilen);
}
int __wrap_mbedtls_sha256_finish_ret(mbedtls_sha256_context* ctx, unsigned char* output) {
  return hash_finish(kSha256, __real_mbedtls_sha256_finish_ret, ctx, output);
}
int __wrap_mbedtls_sha256_ret(const unsigned char* input, size_t ilen, unsigned char* output, int is224) {
  return hash_once(kSha256, __real_mbedtls_sha256_ret, input, ilen, output, is224);
}
int __wrap_mbedtls_sha512_update_ret(mbedtls_sha512_context* ctx, const unsigned char* input, size_t ilen) {
  return hash_update(kSha512, __real_mbedtls_sha512_update_ret, ctx, input, ilen);
}
int __wrap_mbedtls_sha512_finish_ret(mbedtls_sha512_context* ctx, unsigned char* output) {
  return hash_finish(kSha512, __real_mbedtls_sha512_finish_ret, ctx, output);
}
int __wrap_mbedtls_sha512_ret(const unsigned char* input, size_t ilen, unsigned char* output, int is384) {
  return hash_once(kSha512, __real_mbedtls_sha512_ret, input, ilen, output, is384);
}
int __wrap_mbedtls_sha1_update_ret(mbedtls_sha1_context* ctx, const unsigned char* input, size_t ilen) {
  return hash_update(kSha1, __real_mbedtls_sha1_update_ret, ctx, input, ilen);
}
int __wrap_mbedtls_sha1_finish_ret(mbedtls_sha1_context* ctx, unsigned char* output) {
  return hash_finish(kSha1, __real_mbedtls_sha1_finish_ret, ctx, output);
}
int __wrap_mbedtls_sha1_ret(const unsigned char* input, size_t ilen, unsigned char* output) {
  return hash_once(kSha1, __real_mbedtls_sha1_ret, input, ilen, output);
}

// ---- records and their keys ----

int __real_mbedtls_cipher_auth_encrypt_ext(mbedtls_cipher_context_t*, const unsigned char*, size_t,
                                           const unsigned char*, size_t, const unsigned char*, size_t, unsigned char*,
                                           size_t, size_t*, size_t);
int __wrap_mbedtls_cipher_auth_encrypt_ext(mbedtls_cipher_context_t* ctx, const unsigned char* iv, size_t iv_len,
                                           const unsigned char* ad, size_t ad_len, const unsigned char* input,
                                           size_t ilen, unsigned char* output, size_t output_len, size_t* olen,
                                           size_t tag_len) {
  Charged c;
  const int ret = __real_mbedtls_cipher_auth_encrypt_ext(ctx, iv, iv_len, ad, ad_len, input, ilen, output, output_len,
                                                         olen, tag_len);
  c.charge(cost::record(aead_of(ctx), true, ilen), CostCat::record_crypto);
  return ret;
}

int __real_mbedtls_cipher_auth_decrypt_ext(mbedtls_cipher_context_t*, const unsigned char*, size_t,
                                           const unsigned char*, size_t, const unsigned char*, size_t, unsigned char*,
                                           size_t, size_t*, size_t);
int __wrap_mbedtls_cipher_auth_decrypt_ext(mbedtls_cipher_context_t* ctx, const unsigned char* iv, size_t iv_len,
                                           const unsigned char* ad, size_t ad_len, const unsigned char* input,
                                           size_t ilen, unsigned char* output, size_t output_len, size_t* olen,
                                           size_t tag_len) {
  Charged c;
  const int ret = __real_mbedtls_cipher_auth_decrypt_ext(ctx, iv, iv_len, ad, ad_len, input, ilen, output, output_len,
                                                         olen, tag_len);
  c.charge(cost::record(aead_of(ctx), false, ilen > tag_len ? ilen - tag_len : 0), CostCat::record_crypto);
  return ret;
}

int __real_mbedtls_cipher_setkey(mbedtls_cipher_context_t*, const unsigned char*, int, const mbedtls_operation_t);
int __wrap_mbedtls_cipher_setkey(mbedtls_cipher_context_t* ctx, const unsigned char* key, int key_bitlen,
                                 const mbedtls_operation_t operation) {
  Charged c;
  const int ret = __real_mbedtls_cipher_setkey(ctx, key, key_bitlen, operation);
  c.charge(cost::setkey(aead_of(ctx)), CostCat::record_crypto);
  return ret;
}

// ---- the generator (the glue's f_rng, and its seeding) ----

int __real_mbedtls_ctr_drbg_random(void*, unsigned char*, size_t);
int __wrap_mbedtls_ctr_drbg_random(void* p_rng, unsigned char* output, size_t output_len) {
  Charged c;
  const int ret = __real_mbedtls_ctr_drbg_random(p_rng, output, output_len);
  c.charge(cost::drbg(output_len), CostCat::engine);
  return ret;
}

int __real_mbedtls_ctr_drbg_seed(mbedtls_ctr_drbg_context*, int (*)(void*, unsigned char*, size_t), void*,
                                 const unsigned char*, size_t);
int __wrap_mbedtls_ctr_drbg_seed(mbedtls_ctr_drbg_context* ctx, int (*f_entropy)(void*, unsigned char*, size_t),
                                 void* p_entropy, const unsigned char* custom, size_t len) {
  Charged c;
  const int ret = __real_mbedtls_ctr_drbg_seed(ctx, f_entropy, p_entropy, custom, len);
  c.charge(cost::drbg_seed(), CostCat::engine);
  return ret;
}

}  // extern "C"
