// sim/bearssl_cost.cpp — wrappers around BearSSL's EC, RSA and ECDSA entry points that charge the
// current device the chip's instruction counts (sim/cost_model.h) and compute with the fast code.
#include "bearssl_cost.h"

#include <bearssl.h>

#include <cstdlib>

#include "cost_model.h"
#include "platform.h"

namespace espfleet {

namespace {

void charge(uint64_t instructions) {
  if (EspPlatform* p = esp_platform()) p->charge(uint32_t(cost::cycles(instructions, p->cpu_mhz())));
}

const br_ec_impl* fast_ec() { return &br_ec_all_m31; }

br_rsa_pkcs1_vrfy fast_rsa_vrfy() {
  static const br_rsa_pkcs1_vrfy f = br_rsa_i62_pkcs1_vrfy_get() ? br_rsa_i62_pkcs1_vrfy_get()
                                                                  : &br_rsa_i31_pkcs1_vrfy;
  return f;
}

// --- EC (ECDHE) ---
const unsigned char* ec_generator(int curve, size_t* len) { return fast_ec()->generator(curve, len); }
const unsigned char* ec_order(int curve, size_t* len) { return fast_ec()->order(curve, len); }
size_t ec_xoff(int curve, size_t* len) { return fast_ec()->xoff(curve, len); }
uint32_t ec_mul(unsigned char* G, size_t Glen, const unsigned char* x, size_t xlen, int curve) {
  charge(cost::kEcP256Mul);
  return fast_ec()->mul(G, Glen, x, xlen, curve);
}
size_t ec_mulgen(unsigned char* R, const unsigned char* x, size_t xlen, int curve) {
  charge(cost::kEcP256MulGen);
  return fast_ec()->mulgen(R, x, xlen, curve);
}
uint32_t ec_muladd(unsigned char* A, const unsigned char* B, size_t len, const unsigned char* x,
                   size_t xlen, const unsigned char* y, size_t ylen, int curve) {
  charge(cost::kEcMulAdd);
  return fast_ec()->muladd(A, B, len, x, xlen, y, ylen, curve);
}

// One wrapper per curve set the firmware asked for (the chip's m15 is P-256 only or "all").
struct EcWrapper {
  br_ec_impl impl;
  const br_ec_impl* original;
};
EcWrapper g_ec_wrappers[4];  // host-side, shared by all devices (stateless)
int g_ec_count = 0;

const br_ec_impl* wrap_ec(const br_ec_impl* orig) {
  if (!orig) return orig;
  for (int i = 0; i < g_ec_count; ++i)
    if (&g_ec_wrappers[i].impl == orig) return orig;        // already wrapped
  for (int i = 0; i < g_ec_count; ++i)
    if (g_ec_wrappers[i].original == orig) return &g_ec_wrappers[i].impl;
  if (g_ec_count == 4) return orig;
  EcWrapper& w = g_ec_wrappers[g_ec_count++];
  w.original = orig;
  w.impl = br_ec_impl{orig->supported_curves, ec_generator, ec_order, ec_xoff, ec_mul, ec_mulgen, ec_muladd};
  return &w.impl;
}

// --- RSA PKCS#1 verify (server key exchange signature, X.509 chain) ---
uint32_t rsa_vrfy(const unsigned char* x, size_t xlen, const unsigned char* oid, size_t hash_len,
                  const br_rsa_public_key* pk, unsigned char* hash_out) {
  // A public-exponent op costs ∝ modulus length² (2048-bit is the measured unit).
  double k = double(pk->nlen) / 256.0;
  charge(uint64_t(double(cost::kRsaPkcs1Verify) * k * k));
  return fast_rsa_vrfy()(x, xlen, oid, hash_len, pk, hash_out);
}

// --- ECDSA ---
uint32_t ecdsa_vrfy_asn1(const br_ec_impl*, const void* hash, size_t hash_len, const br_ec_public_key* pk,
                         const void* sig, size_t sig_len) {
  charge(cost::kEcdsaVerify);
  return br_ecdsa_i31_vrfy_asn1(fast_ec(), hash, hash_len, pk, sig, sig_len);
}
uint32_t ecdsa_vrfy_raw(const br_ec_impl*, const void* hash, size_t hash_len, const br_ec_public_key* pk,
                        const void* sig, size_t sig_len) {
  charge(cost::kEcdsaVerify);
  return br_ecdsa_i31_vrfy_raw(fast_ec(), hash, hash_len, pk, sig, sig_len);
}
size_t ecdsa_sign_asn1(const br_ec_impl*, const br_hash_class* hf, const void* hash,
                       const br_ec_private_key* sk, void* sig) {
  charge(cost::kEcdsaSign);
  return br_ecdsa_i31_sign_asn1(fast_ec(), hf, hash, sk, sig);
}
size_t ecdsa_sign_raw(const br_ec_impl*, const br_hash_class* hf, const void* hash,
                      const br_ec_private_key* sk, void* sig) {
  charge(cost::kEcdsaSign);
  return br_ecdsa_i31_sign_raw(fast_ec(), hf, hash, sk, sig);
}

br_ecdsa_vrfy wrap_vrfy(br_ecdsa_vrfy f) {
  if (!f || f == ecdsa_vrfy_asn1 || f == ecdsa_vrfy_raw) return f;
  if (f == br_ecdsa_i15_vrfy_raw || f == br_ecdsa_i31_vrfy_raw) return ecdsa_vrfy_raw;
  return ecdsa_vrfy_asn1;
}
br_ecdsa_sign wrap_sign(br_ecdsa_sign f) {
  if (!f || f == ecdsa_sign_asn1 || f == ecdsa_sign_raw) return f;
  if (f == br_ecdsa_i15_sign_raw || f == br_ecdsa_i31_sign_raw) return ecdsa_sign_raw;
  return ecdsa_sign_asn1;
}
br_rsa_pkcs1_vrfy wrap_rsa(br_rsa_pkcs1_vrfy f) { return f ? rsa_vrfy : f; }

// BearSSL keeps its single-EC client-certificate vtable private: learn its address once from a
// scratch context.
const br_ssl_client_certificate_class* single_ec_vtable() {
  static const br_ssl_client_certificate_class* vt = [] {
    auto* cc = static_cast<br_ssl_client_context*>(std::malloc(sizeof(br_ssl_client_context)));  // host memory
    br_ssl_client_zero(cc);
    static const br_ec_private_key sk{BR_EC_secp256r1, nullptr, 0};
    br_ssl_client_set_single_ec(cc, nullptr, 0, &sk, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, &br_ec_all_m31,
                                &br_ecdsa_i31_sign_asn1);
    const br_ssl_client_certificate_class* v = cc->client_auth.vtable;
    std::free(cc);
    return v;
  }();
  return vt;
}

}  // namespace

void install_cost_hooks(void* client_context) {
  auto* cc = static_cast<br_ssl_client_context*>(client_context);
  br_ssl_engine_context* eng = &cc->eng;
  eng->iec = wrap_ec(eng->iec);
  eng->irsavrfy = wrap_rsa(eng->irsavrfy);
  eng->iecdsa = wrap_vrfy(eng->iecdsa);
  if (eng->x509ctx && *eng->x509ctx == &br_x509_minimal_vtable) {
    auto* x = reinterpret_cast<br_x509_minimal_context*>(eng->x509ctx);
    x->irsa = wrap_rsa(x->irsa);
    x->iecdsa = wrap_vrfy(x->iecdsa);
    x->iec = wrap_ec(x->iec);
  }
  if (cc->client_auth_vtable == &cc->client_auth.vtable &&
      cc->client_auth.vtable == single_ec_vtable()) {
    auto& ec = cc->client_auth.single_ec;
    ec.iec = wrap_ec(ec.iec);
    ec.iecdsa = wrap_sign(ec.iecdsa);
  }
}

}  // namespace espfleet
