// core/x509_checks.cpp — CA-mode and fingerprint-mode X.509 engines (see x509_checks.h).
#include "x509_checks.h"

#include <Arduino.h>

namespace {

// ---- shared ----------------------------------------------------------------------------------

const unsigned char* skipZeros(const unsigned char* p, size_t* len) {
  while (*len > 0 && *p == 0) {
    ++p;
    --*len;
  }
  return p;
}

bool rsaTooLarge(const br_x509_pkey* pk) {
  if (!pk || pk->key_type != BR_KEYTYPE_RSA) return false;
  size_t nlen = pk->key.rsa.nlen;
  skipZeros(pk->key.rsa.n, &nlen);
  return nlen > kMaxRsaBytes;
}

void sha1Item(br_sha1_context* sha, const unsigned char* data, size_t len) {
  unsigned char be[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                         (unsigned char)len};
  br_sha1_update(sha, be, 4);
  br_sha1_update(sha, data, len);
}

// ---- CA mode: the minimal engine plus the key-size limit --------------------------------------

struct CaEngine {
  const br_x509_class* vtable;
  br_x509_minimal_context minimal;
};

const br_x509_class** inner(const br_x509_class** ctx) { return &reinterpret_cast<CaEngine*>(ctx)->minimal.vtable; }

void caStartChain(const br_x509_class** ctx, const char* name) {
  const br_x509_class** in = inner(ctx);
  (*in)->start_chain(in, name);
}
void caStartCert(const br_x509_class** ctx, uint32_t length) {
  const br_x509_class** in = inner(ctx);
  (*in)->start_cert(in, length);
}
void caAppend(const br_x509_class** ctx, const unsigned char* buf, size_t len) {
  const br_x509_class** in = inner(ctx);
  (*in)->append(in, buf, len);
}
void caEndCert(const br_x509_class** ctx) {
  const br_x509_class** in = inner(ctx);
  (*in)->end_cert(in);
}
unsigned caEndChain(const br_x509_class** ctx) {
  const br_x509_class** in = inner(ctx);
  unsigned err = (*in)->end_chain(in);
  if (err != 0) return err;
  if (rsaTooLarge((*in)->get_pkey(in, nullptr))) return BR_ERR_LIMIT_EXCEEDED;
  return 0;
}
const br_x509_pkey* caGetPkey(const br_x509_class* const* ctx, unsigned* usages) {
  const br_x509_class* const* in = &reinterpret_cast<const CaEngine*>(ctx)->minimal.vtable;
  return (*in)->get_pkey(in, usages);
}

const br_x509_class kCaVtable = {sizeof(CaEngine), caStartChain, caStartCert, caAppend,
                                 caEndCert,        caEndChain,   caGetPkey};

// ---- fingerprint mode ------------------------------------------------------------------------

struct FingerprintEngine {
  const br_x509_class* vtable;
  br_x509_decoder_context decoder;  // the leaf only
  const uint8_t* fp1;
  const uint8_t* fp2;
  bool allowAny;
  bool leafDone;
  bool trailing;  // bytes came after the leaf's DER, inside the certificate the server announced
  uint8_t received[kFingerprintLen];
};

FingerprintEngine* fpe(const br_x509_class** ctx) { return reinterpret_cast<FingerprintEngine*>(ctx); }

void fpStartChain(const br_x509_class** ctx, const char*) {
  FingerprintEngine* e = fpe(ctx);
  br_x509_decoder_init(&e->decoder, nullptr, nullptr);
  e->leafDone = false;
  e->trailing = false;
  memset(e->received, 0, sizeof e->received);
}
void fpStartCert(const br_x509_class**, uint32_t) {}
// Bytes go to the decoder only while it wants more: once it has decoded the DER or failed, its
// program has ended, and BearSSL's decoder runs on past the end of it if pushed again (a leaf
// whose DER is shorter than the certificate the server announced: found by
// tests/fuzz/fuzz_tls_client).
void fpAppend(const br_x509_class** ctx, const unsigned char* buf, size_t len) {
  FingerprintEngine* e = fpe(ctx);
  if (e->leafDone || len == 0) return;
  if (br_x509_decoder_last_error(&e->decoder) == BR_ERR_X509_TRUNCATED)
    br_x509_decoder_push(&e->decoder, buf, len);
  else
    e->trailing = true;
}
void fpEndCert(const br_x509_class** ctx) { fpe(ctx)->leafDone = true; }

unsigned fpEndChain(const br_x509_class** ctx) {
  FingerprintEngine* e = fpe(ctx);
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(&e->decoder);
  if (!pk) return (unsigned)br_x509_decoder_last_error(&e->decoder);
  if (e->trailing) return BR_ERR_X509_EXTRA_ELEMENT;  // as the decoder says of extra bytes it sees
  if (rsaTooLarge(pk)) return BR_ERR_LIMIT_EXCEEDED;
  if (pk->key_type == BR_KEYTYPE_RSA) fingerprint_v2(&pk->key.rsa, e->received);
  if (e->allowAny) return 0;
  bool match = memcmp(e->received, e->fp1, kFingerprintLen) == 0 || memcmp(e->received, e->fp2, kFingerprintLen) == 0;
  if (fingerprint_is_all(e->received, 0)) match = false;  // a non-RSA key matches no slot
  return match ? 0 : kX509ErrBadFingerprint;
}

const br_x509_pkey* fpGetPkey(const br_x509_class* const* ctx, unsigned* usages) {
  FingerprintEngine* e = reinterpret_cast<FingerprintEngine*>(const_cast<const br_x509_class**>(ctx));
  if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
  return br_x509_decoder_get_pkey(&e->decoder);
}

const br_x509_class kFingerprintVtable = {
    sizeof(FingerprintEngine), fpStartChain, fpStartCert, fpAppend, fpEndCert, fpEndChain, fpGetPkey};

}  // namespace

bool fingerprint_is_all(const uint8_t* fp, uint8_t value) {
  for (size_t i = 0; i < kFingerprintLen; ++i)
    if (fp[i] != value) return false;
  return true;
}

void fingerprint_v2(const br_rsa_public_key* key, uint8_t out[kFingerprintLen]) {
  static const unsigned char kType[] = {'s', 's', 'h', '-', 'r', 's', 'a'};
  size_t elen = key->elen, nlen = key->nlen;
  const unsigned char* e = skipZeros(key->e, &elen);
  const unsigned char* n = skipZeros(key->n, &nlen);
  br_sha1_context sha;
  br_sha1_init(&sha);
  sha1Item(&sha, kType, sizeof kType);
  sha1Item(&sha, e, elen);
  sha1Item(&sha, n, nlen);
  br_sha1_out(&sha, out);
}

const br_x509_class** x509_ca_new(const br_x509_trust_anchor* tas, size_t count, uint32_t days, uint32_t seconds) {
  CaEngine* e = static_cast<CaEngine*>(malloc(sizeof(CaEngine)));
  if (!e) return nullptr;
  e->vtable = &kCaVtable;
  br_x509_minimal_init(&e->minimal, &br_sha256_vtable, tas, count);
  br_x509_minimal_set_hash(&e->minimal, br_sha256_ID, &br_sha256_vtable);  // certificate signatures
  br_x509_minimal_set_rsa(&e->minimal, &br_rsa_i15_pkcs1_vrfy);
  br_x509_minimal_set_ecdsa(&e->minimal, &br_ec_p256_m15, &br_ecdsa_i15_vrfy_asn1);
  br_x509_minimal_set_time(&e->minimal, days, seconds);
  return &e->vtable;
}

const br_x509_class** x509_fingerprint_new(const uint8_t* fp1, const uint8_t* fp2, bool allowAny) {
  FingerprintEngine* e = static_cast<FingerprintEngine*>(malloc(sizeof(FingerprintEngine)));
  if (!e) return nullptr;
  memset(e, 0, sizeof *e);
  e->vtable = &kFingerprintVtable;
  e->fp1 = fp1;
  e->fp2 = fp2;
  e->allowAny = allowAny;
  return &e->vtable;
}

// Not by vtable identity: the host simulator swaps the engine's vtable pointer for a costing
// wrapper during the handshake (the chip's firmware would not, but the check is not needed).
void x509_fingerprint_received(const br_x509_class** engine, uint8_t out[kFingerprintLen]) {
  if (engine)
    memcpy(out, fpe(engine)->received, kFingerprintLen);
  else
    memset(out, 0, kFingerprintLen);
}

void x509_engine_free(const br_x509_class** engine) { free(engine); }
