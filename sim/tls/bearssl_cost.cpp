// sim/tls/bearssl_cost.cpp — compute fast, charge faithfully (docs/calibration.md). At each
// thunked engine call the engine's implementations are swapped for thin wrappers that charge the
// running device's cost meter the chip's instructions for the operation (chip_cost_table.h, from
// chip_costs.json) and run BearSSL's fastest host code, whose results are identical:
//   EC mul/mulgen/muladd, RSA PKCS#1 verify and public op, ECDSA sign/verify   per call
//   the handshake hash (SHA-256/224, SHA-1 classes in the engine's multihash)
//                                    per 64-byte block compressed + per final; plus the engine's
//                                    own T0 handshake work per byte hashed
//   TLS 1.2 SHA-256 PRF              per call, by what it derives (master secret, keys, Finished)
//   AES-128-GCM records              per record + per 16-byte block; key setup per direction
//   X.509                            per certificate byte (minimal engine or bare decoder), and
//                                    the RSA/ECDSA checks inside it per call
// The engine-call dispatch itself is charged by the platform (engine_call per call). Each charge is
// the running device's chip's own count (chip_cost_table.h).
// Nothing here reads a host clock: a charge is a function of the operation alone.
#include "bearssl_cost.h"

#include <bearssl.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "cost_meter.h"
#include "cost_model.h"

namespace espfleet {

namespace {
thread_local CostMeter* t_meter = nullptr;
}  // namespace

CostMeter* current_cost_meter() { return t_meter; }
void set_cost_meter(CostMeter* m) { t_meter = m; }

namespace {

// The running device's chip's table (the ESP8266's when no device runs: nothing is charged then).
const ChipCostTable& costs() { return t_meter ? t_meter->costs() : kLx106Costs; }
// Whole-operation costs (instructions, integer) and per-unit totals (fractional), in the chip's
// cycles at its clock.
void charge(uint64_t instructions, CostCat cat) {
  if (CostMeter* m = t_meter) m->charge(m->costs().cycles(instructions, m->mhz()), cat);
}
void charge(uint64_t ChipCostTable::*op, CostCat cat) { charge(costs().*op, cat); }
void charge_units(double instructions, CostCat cat) {
  if (CostMeter* m = t_meter) m->charge(m->costs().cycles_for(instructions, m->mhz()), cat);
}

// --- the host's fast implementations ------------------------------------------------------------
const br_ec_impl* fast_ec() { return &br_ec_all_m31; }
br_rsa_pkcs1_vrfy fast_rsa_vrfy() {
  static const br_rsa_pkcs1_vrfy f = br_rsa_i62_pkcs1_vrfy_get() ? br_rsa_i62_pkcs1_vrfy_get() : &br_rsa_i31_pkcs1_vrfy;
  return f;
}
br_rsa_public fast_rsa_public() {
  static const br_rsa_public f = br_rsa_i62_public_get() ? br_rsa_i62_public_get() : &br_rsa_i31_public;
  return f;
}
const br_block_ctr_class* fast_aes_ctr() {
  static const br_block_ctr_class* c =
      br_aes_x86ni_ctr_get_vtable() ? br_aes_x86ni_ctr_get_vtable() : &br_aes_ct64_ctr_vtable;
  return c;
}
br_ghash fast_ghash() {
  static const br_ghash g = br_ghash_pclmul_get() ? br_ghash_pclmul_get() : &br_ghash_ctmul64;
  return g;
}

// --- EC (ECDHE) ------------------------------------------------------------------------------------
const unsigned char* ec_generator(int curve, size_t* len) { return fast_ec()->generator(curve, len); }
const unsigned char* ec_order(int curve, size_t* len) { return fast_ec()->order(curve, len); }
size_t ec_xoff(int curve, size_t* len) { return fast_ec()->xoff(curve, len); }
uint32_t ec_mul(unsigned char* G, size_t Glen, const unsigned char* x, size_t xlen, int curve) {
  charge(&ChipCostTable::ec_p256_mul, CostCat::ecdhe);
  return fast_ec()->mul(G, Glen, x, xlen, curve);
}
size_t ec_mulgen(unsigned char* R, const unsigned char* x, size_t xlen, int curve) {
  charge(&ChipCostTable::ec_p256_mulgen, CostCat::ecdhe);
  return fast_ec()->mulgen(R, x, xlen, curve);
}
uint32_t ec_muladd(unsigned char* A, const unsigned char* B, size_t len, const unsigned char* x, size_t xlen,
                   const unsigned char* y, size_t ylen, int curve) {
  charge(&ChipCostTable::ec_muladd, CostCat::ecdsa_verify);
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
    if (&g_ec_wrappers[i].impl == orig) return orig;  // already wrapped
  for (int i = 0; i < g_ec_count; ++i)
    if (g_ec_wrappers[i].original == orig) return &g_ec_wrappers[i].impl;
  if (g_ec_count == 4) return orig;
  EcWrapper& w = g_ec_wrappers[g_ec_count++];
  w.original = orig;
  w.impl = br_ec_impl{orig->supported_curves, ec_generator, ec_order, ec_xoff, ec_mul, ec_mulgen, ec_muladd};
  return &w.impl;
}

// --- RSA PKCS#1 verify (server key exchange signature, X.509 chain) ---------------------------------
uint32_t rsa_vrfy(const unsigned char* x, size_t xlen, const unsigned char* oid, size_t hash_len,
                  const br_rsa_public_key* pk, unsigned char* hash_out) {
  // A public-exponent op costs ∝ modulus length² (2048-bit is the measured unit).
  size_t nlen = pk->nlen;
  for (const unsigned char* n = pk->n; nlen > 0 && *n == 0; ++n) --nlen;
  double k = double(nlen) / 256.0;
  charge(uint64_t(double(costs().rsa_pkcs1_verify) * k * k), CostCat::rsa);
  return fast_rsa_vrfy()(x, xlen, oid, hash_len, pk, hash_out);
}

// --- RSA public-key encryption (RSA key exchange: the premaster secret) ---------------------------
uint32_t rsa_public(unsigned char* x, size_t xlen, const br_rsa_public_key* pk) {
  size_t nlen = pk->nlen;
  for (const unsigned char* n = pk->n; nlen > 0 && *n == 0; ++n) --nlen;
  double k = double(nlen) / 256.0;
  charge(uint64_t(double(costs().rsa2048_public) * k * k), CostCat::rsa);
  return fast_rsa_public()(x, xlen, pk);
}

// --- hash classes in the engine's multihash -------------------------------------------------------
// Multihash always calls through its impl pointers (set_state, update, state, out), so a wrapper
// class sees every compression. One wrapper per measured hash; others stay uncharged.
struct HashCosts {
  const br_hash_class* original;
  double ChipCostTable::*block;  // per 64-byte block compressed
  double ChipCostTable::*out;    // final (one padding block)
  bool engine;                   // the handshake hash proper: also charges the engine's work per byte
};
const HashCosts kHashCosts[] = {
    {&br_sha256_vtable, &ChipCostTable::sha256_block, &ChipCostTable::sha256_out, true},
    {&br_sha224_vtable, &ChipCostTable::sha256_block, &ChipCostTable::sha256_out, false},  // same compression
    {&br_sha1_vtable, &ChipCostTable::sha1_block, &ChipCostTable::sha1_out, false},
};
constexpr int kHashKinds = sizeof kHashCosts / sizeof kHashCosts[0];

template <int K>
void hash_update(const br_hash_class** ctx, const void* data, size_t len) {
  const HashCosts& h = kHashCosts[K];
  unsigned char state[64];
  uint64_t count = h.original->state(ctx, state);
  size_t blocks = (size_t(count & 63) + len) / 64;
  charge_units(double(blocks) * (costs().*h.block), CostCat::hashing);
  if (h.engine) charge_units(double(len) * costs().engine_hs_byte, CostCat::engine);
  h.original->update(ctx, data, len);
}
template <int K>
void hash_out(const br_hash_class* const* ctx, void* dst) {
  const HashCosts& h = kHashCosts[K];
  unsigned char state[64];
  uint64_t count = h.original->state(ctx, state);
  charge_units(costs().*h.out + ((count & 63) >= 56 ? costs().*h.block : 0.0),
               CostCat::hashing);  // length needs a second block
  h.original->out(ctx, dst);
}
template <int K>
br_hash_class make_hash_wrapper() {
  br_hash_class c = *kHashCosts[K].original;
  c.update = hash_update<K>;
  c.out = hash_out<K>;
  return c;
}
const br_hash_class g_hash_wrappers[kHashKinds] = {make_hash_wrapper<0>(), make_hash_wrapper<1>(),
                                                   make_hash_wrapper<2>()};

const br_hash_class* wrap_hash(const br_hash_class* h) {
  for (int i = 0; i < kHashKinds; ++i)
    if (h == kHashCosts[i].original) return &g_hash_wrappers[i];
  return h;
}
const br_hash_class* unwrap_hash(const br_hash_class* h) {
  for (int i = 0; i < kHashKinds; ++i)
    if (h == &g_hash_wrappers[i]) return kHashCosts[i].original;
  return h;
}

// --- ECDSA ------------------------------------------------------------------------------------------
uint32_t ecdsa_vrfy_asn1(const br_ec_impl*, const void* hash, size_t hash_len, const br_ec_public_key* pk,
                         const void* sig, size_t sig_len) {
  charge(&ChipCostTable::ecdsa_verify, CostCat::ecdsa_verify);
  return br_ecdsa_i31_vrfy_asn1(fast_ec(), hash, hash_len, pk, sig, sig_len);
}
uint32_t ecdsa_vrfy_raw(const br_ec_impl*, const void* hash, size_t hash_len, const br_ec_public_key* pk,
                        const void* sig, size_t sig_len) {
  charge(&ChipCostTable::ecdsa_verify, CostCat::ecdsa_verify);
  return br_ecdsa_i31_vrfy_raw(fast_ec(), hash, hash_len, pk, sig, sig_len);
}
// The signer's RFC 6979 nonce hashing is inside the measured sign cost: give it the plain class.
size_t ecdsa_sign_asn1(const br_ec_impl*, const br_hash_class* hf, const void* hash, const br_ec_private_key* sk,
                       void* sig) {
  charge(&ChipCostTable::ecdsa_sign, CostCat::ecdsa_sign);
  return br_ecdsa_i31_sign_asn1(fast_ec(), unwrap_hash(hf), hash, sk, sig);
}
size_t ecdsa_sign_raw(const br_ec_impl*, const br_hash_class* hf, const void* hash, const br_ec_private_key* sk,
                      void* sig) {
  charge(&ChipCostTable::ecdsa_sign, CostCat::ecdsa_sign);
  return br_ecdsa_i31_sign_raw(fast_ec(), unwrap_hash(hf), hash, sk, sig);
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

// --- TLS 1.2 PRF (SHA-256) -------------------------------------------------------------------------
double prf_cost(const char* label, size_t len) {
  double c;
  if (label && (std::strcmp(label, "master secret") == 0 || std::strcmp(label, "extended master secret") == 0))
    c = costs().prf_master;
  else if (label && std::strcmp(label, "key expansion") == 0)
    c = costs().prf_keys;
  else
    c = len <= 32 ? costs().prf_finished : costs().prf_keys;  // Finished: 12 bytes
  return c;
}
void prf_sha256(void* dst, size_t len, const void* secret, size_t secret_len, const char* label, size_t seed_num,
                const br_tls_prf_seed_chunk* seed) {
  charge_units(prf_cost(label, len), CostCat::prf);
  br_tls12_sha256_prf(dst, len, secret, secret_len, label, seed_num, seed);
}
// The SHA-384 PRF of the AES-256-GCM suites a broker may choose for a sketch's default suite list
// (Mosquitto does): not in the measured set, charged as the SHA-256 PRF (an estimate; the
// handshake's public-key work, which dominates, is measured).
void prf_sha384(void* dst, size_t len, const void* secret, size_t secret_len, const char* label, size_t seed_num,
                const br_tls_prf_seed_chunk* seed) {
  charge_units(prf_cost(label, len), CostCat::prf);
  br_tls12_sha384_prf(dst, len, secret, secret_len, label, seed_num, seed);
}

// --- AES-128-GCM records -------------------------------------------------------------------------------
// The engine keys a direction with igcm_*->init, which stores the record class in the context;
// the wrapper's init puts itself there instead, and keys the context with the fast AES-CTR and
// GHASH (same ciphertext as the firmware's small/ctmul32 choice).
double gcm_blocks(size_t plain) { return double((plain + 15) / 16); }

unsigned char* gcm_decrypt(const br_sslrec_in_class** ctx, int type, unsigned version, void* payload, size_t* len) {
  size_t plain = *len >= 24 ? *len - 24 : 0;  // explicit nonce 8 + tag 16
  charge_units(costs().gcm_in_fixed + gcm_blocks(plain) * costs().gcm_in_block, CostCat::record_crypto);
  return br_sslrec_in_gcm_vtable.inner.decrypt(ctx, type, version, payload, len);
}
unsigned char* gcm_encrypt(const br_sslrec_out_class** ctx, int type, unsigned version, void* plain, size_t* len) {
  charge_units(costs().gcm_out_fixed + gcm_blocks(*len) * costs().gcm_out_block, CostCat::record_crypto);
  return br_sslrec_out_gcm_vtable.inner.encrypt(ctx, type, version, plain, len);
}
void gcm_in_init(const br_sslrec_in_gcm_class** ctx, const br_block_ctr_class*, const void* key, size_t key_len,
                 br_ghash, const void* iv);
void gcm_out_init(const br_sslrec_out_gcm_class** ctx, const br_block_ctr_class*, const void* key, size_t key_len,
                  br_ghash, const void* iv);
const br_sslrec_in_gcm_class g_gcm_in = {
    {br_sslrec_in_gcm_vtable.inner.context_size, br_sslrec_in_gcm_vtable.inner.check_length, gcm_decrypt}, gcm_in_init};
const br_sslrec_out_gcm_class g_gcm_out = {
    {br_sslrec_out_gcm_vtable.inner.context_size, br_sslrec_out_gcm_vtable.inner.max_plaintext, gcm_encrypt},
    gcm_out_init};
void gcm_in_init(const br_sslrec_in_gcm_class** ctx, const br_block_ctr_class*, const void* key, size_t key_len,
                 br_ghash, const void* iv) {
  charge_units(costs().gcm_init(), CostCat::record_crypto);
  br_sslrec_in_gcm_vtable.init(ctx, fast_aes_ctr(), key, key_len, fast_ghash(), iv);
  *ctx = &g_gcm_in;
}
void gcm_out_init(const br_sslrec_out_gcm_class** ctx, const br_block_ctr_class*, const void* key, size_t key_len,
                  br_ghash, const void* iv) {
  charge_units(costs().gcm_init(), CostCat::record_crypto);
  br_sslrec_out_gcm_vtable.init(ctx, fast_aes_ctr(), key, key_len, fast_ghash(), iv);
  *ctx = &g_gcm_out;
}

// --- X.509 ----------------------------------------------------------------------------------------------
// The engine's X.509 context may be BearSSL's minimal engine or a firmware class around it (the
// firmware's CA engine wraps one; its fingerprint engine runs the bare decoder). Its class is
// wrapped to charge per certificate byte, and the RSA/ECDSA/EC implementations found in the
// context (the function pointers the minimal engine holds) are swapped for the charging ones.
struct X509Wrapper {
  br_x509_class cls;
  const br_x509_class* original;
  double ChipCostTable::*per_byte;  // the running chip's per certificate byte (null: a pinned key, none)
};
constexpr int kX509Slots = 8;
X509Wrapper g_x509[kX509Slots];
int g_x509_count = 0;

template <int I>
void x509_start_chain(const br_x509_class** ctx, const char* name) {
  g_x509[I].original->start_chain(ctx, name);
}
template <int I>
void x509_start_cert(const br_x509_class** ctx, uint32_t len) {
  g_x509[I].original->start_cert(ctx, len);
}
template <int I>
void x509_append(const br_x509_class** ctx, const unsigned char* buf, size_t len) {
  if (g_x509[I].per_byte) charge_units(double(len) * (costs().*g_x509[I].per_byte), CostCat::x509);
  g_x509[I].original->append(ctx, buf, len);
}
template <int I>
void x509_end_cert(const br_x509_class** ctx) {
  g_x509[I].original->end_cert(ctx);
}
template <int I>
unsigned x509_end_chain(const br_x509_class** ctx) {
  return g_x509[I].original->end_chain(ctx);
}
template <int I>
const br_x509_pkey* x509_get_pkey(const br_x509_class* const* ctx, unsigned* usages) {
  return g_x509[I].original->get_pkey(ctx, usages);
}
template <int I>
br_x509_class x509_class(const br_x509_class* orig) {
  return br_x509_class{orig->context_size, x509_start_chain<I>, x509_start_cert<I>, x509_append<I>,
                       x509_end_cert<I>,   x509_end_chain<I>,   x509_get_pkey<I>};
}
template <int... I>
br_x509_class x509_class_for(int slot, const br_x509_class* orig, std::integer_sequence<int, I...>) {
  br_x509_class c{};
  ((slot == I ? (c = x509_class<I>(orig), 0) : 0), ...);
  return c;
}

template <typename T>
void* as_word(T f) {
  void* v;
  static_assert(sizeof f == sizeof v);
  std::memcpy(&v, &f, sizeof v);
  return v;
}

// Replace, in the words of an X.509 context, every pointer to a known RSA/ECDSA verifier or EC
// implementation with the charging one. Done once per context (when its class gets wrapped).
void wrap_x509_pointers(void* ctx, size_t size) {
  static void* const rsa[] = {as_word(&br_rsa_i15_pkcs1_vrfy), as_word(&br_rsa_i31_pkcs1_vrfy),
                              as_word(&br_rsa_i32_pkcs1_vrfy), as_word(br_rsa_i62_pkcs1_vrfy_get())};
  static void* const ecdsa_asn1[] = {as_word(&br_ecdsa_i15_vrfy_asn1), as_word(&br_ecdsa_i31_vrfy_asn1)};
  static void* const ecdsa_raw[] = {as_word(&br_ecdsa_i15_vrfy_raw), as_word(&br_ecdsa_i31_vrfy_raw)};
  static const br_ec_impl* const ecs[] = {&br_ec_p256_m15, &br_ec_p256_m31,  &br_ec_all_m15,
                                          &br_ec_all_m31,  &br_ec_prime_i15, &br_ec_prime_i31};
  auto* bytes = static_cast<unsigned char*>(ctx);
  for (size_t off = 0; off + sizeof(void*) <= size; off += alignof(void*)) {
    void* v;
    std::memcpy(&v, bytes + off, sizeof v);
    if (!v) continue;
    void* w = v;
    for (void* f : rsa)
      if (f && v == f) w = as_word(&rsa_vrfy);
    for (void* f : ecdsa_asn1)
      if (v == f) w = as_word(&ecdsa_vrfy_asn1);
    for (void* f : ecdsa_raw)
      if (v == f) w = as_word(&ecdsa_vrfy_raw);
    for (const br_ec_impl* e : ecs)
      if (v == static_cast<const void*>(e)) w = const_cast<br_ec_impl*>(wrap_ec(e));
    if (w != v) std::memcpy(bytes + off, &w, sizeof w);
  }
}

bool holds_word(const void* ctx, size_t size, const void* word) {
  auto* bytes = static_cast<const unsigned char*>(ctx);
  for (size_t off = 0; off + sizeof(void*) <= size; off += alignof(void*)) {
    const void* v;
    std::memcpy(&v, bytes + off, sizeof v);
    if (v == word) return true;
  }
  return false;
}

void wrap_x509(const br_x509_class** ctx) {
  if (!ctx || !*ctx) return;
  const br_x509_class* cls = *ctx;
  for (int i = 0; i < g_x509_count; ++i)
    if (&g_x509[i].cls == cls) return;  // this context is done
  size_t size = cls->context_size;
  int slot = -1;
  for (int i = 0; i < g_x509_count; ++i)
    if (g_x509[i].original == cls) slot = i;
  if (slot < 0) {
    if (g_x509_count == kX509Slots) return;
    slot = g_x509_count++;
    X509Wrapper& w = g_x509[slot];
    w.original = cls;
    if (cls == &br_x509_knownkey_vtable)
      w.per_byte = nullptr;  // a pinned key
    else if (holds_word(ctx, size, &br_x509_minimal_vtable))
      w.per_byte = &ChipCostTable::x509_minimal_byte;
    else
      w.per_byte = &ChipCostTable::x509_decoder_byte;  // pinning engines
    w.cls = x509_class_for(slot, cls, std::make_integer_sequence<int, kX509Slots>{});
  }
  wrap_x509_pointers(ctx, size);
  *ctx = &g_x509[slot].cls;
}

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

void install_cost_hooks(void* client_context, bool x509_live) {
  auto* cc = static_cast<br_ssl_client_context*>(client_context);
  br_ssl_engine_context* eng = &cc->eng;
  // The chip's BearSSL has no OS seeder: the firmware's injected entropy (esp_random, from the
  // device's seed) is all its generator gets. On the host BearSSL would also read the system's
  // randomness at reset, and no device history could be reproduced.
  eng->rng_os_rand_done = 1;
  eng->iec = wrap_ec(eng->iec);
  eng->irsavrfy = wrap_rsa(eng->irsavrfy);
  eng->iecdsa = wrap_vrfy(eng->iecdsa);
  for (auto& impl : eng->mhash.impl) impl = wrap_hash(impl);
  if (eng->prf_sha256 == &br_tls12_sha256_prf) eng->prf_sha256 = &prf_sha256;
  if (eng->prf_sha384 == &br_tls12_sha384_prf) eng->prf_sha384 = &prf_sha384;
  if (eng->igcm_in == &br_sslrec_in_gcm_vtable) eng->igcm_in = &g_gcm_in;
  if (eng->igcm_out == &br_sslrec_out_gcm_vtable) eng->igcm_out = &g_gcm_out;
  if (x509_live) wrap_x509(eng->x509ctx);
  if (cc->irsapub) cc->irsapub = &rsa_public;
  if (cc->client_auth_vtable == &cc->client_auth.vtable && cc->client_auth.vtable == single_ec_vtable()) {
    auto& ec = cc->client_auth.single_ec;
    ec.iec = wrap_ec(ec.iec);
    ec.iecdsa = wrap_sign(ec.iecdsa);
  }
}

}  // namespace espfleet
