// shims/BearSSLHelpers.cpp — PEM and DER parsing for the core's key and certificate holders, with
// BearSSL's own decoders (PEM, X.509, private keys) and a small reader for public keys (BearSSL
// 0.6 has no SubjectPublicKeyInfo decoder). Everything kept, and the decoders themselves, is on
// the device heap (Arduino.h's malloc), where the chip has it.
#include "BearSSLHelpers.h"

#include "Arduino.h"

namespace BearSSL {

namespace {

// A growable byte buffer on the device heap; ok turns false for good when an allocation fails.
struct Bytes {
  uint8_t* p = nullptr;
  size_t n = 0, cap = 0;
  bool ok = true;
  ~Bytes() { free(p); }
  void append(const void* src, size_t len) {
    if (!ok || !len) return;
    if (n + len > cap) {
      size_t want = cap ? cap * 2 : 256;
      while (want < n + len) want *= 2;
      auto* q = static_cast<uint8_t*>(realloc(p, want));
      if (!q) {
        ok = false;
        return;
      }
      p = q;
      cap = want;
    }
    memcpy(p + n, src, len);
    n += len;
  }
  // The bytes, in an allocation of their own size (the caller frees it); nullptr on failure.
  uint8_t* detach_exact() {
    if (!ok || !n) return nullptr;
    auto* q = static_cast<uint8_t*>(malloc(n));
    if (q) memcpy(q, p, n);
    return q;
  }
};

void append_to(void* ctx, const void* buf, size_t len) { static_cast<Bytes*>(ctx)->append(buf, len); }

uint8_t* copy_of(const void* src, size_t len) {
  if (!len) return nullptr;
  auto* q = static_cast<uint8_t*>(malloc(len));
  if (q) memcpy(q, src, len);
  return q;
}

// Calls fn(ctx, name, der, len) for each object of a PEM text, in order; false when the text holds
// no object, does not decode, or fn says false.
template <class F>
bool pem_each(const char* pem, F fn) {
  if (!pem) return false;
  br_pem_decoder_context* pc = static_cast<br_pem_decoder_context*>(malloc(sizeof(br_pem_decoder_context)));
  if (!pc) return false;
  br_pem_decoder_init(pc);
  Bytes obj;
  char name[128] = {0};
  bool inside = false, ok = true;
  int objects = 0;
  const char* p = pem;
  size_t left = strlen(pem);
  bool tail_pushed = false;
  while (ok) {
    if (!left) {
      if (tail_pushed) break;
      p = "\n";  // the last line's end, in case the text has none
      left = 1;
      tail_pushed = true;
    }
    size_t used = br_pem_decoder_push(pc, p, left);
    p += used;
    left -= used;
    switch (br_pem_decoder_event(pc)) {
      case BR_PEM_BEGIN_OBJ:
        strlcpy(name, br_pem_decoder_name(pc), sizeof name);
        obj.n = 0;
        br_pem_decoder_setdest(pc, append_to, &obj);
        inside = true;
        break;
      case BR_PEM_END_OBJ:
        if (inside) {
          ok = obj.ok && fn(name, obj.p, obj.n);
          ++objects;
          inside = false;
        }
        break;
      case BR_PEM_ERROR:
        ok = false;
        break;
      default:
        break;
    }
  }
  free(pc);
  return ok && !inside && objects > 0;
}

bool is_certificate_name(const char* name) { return !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE"); }

// A DER element: its tag, its contents.
struct Der {
  const uint8_t* p;
  size_t n;
  // Takes the next element if it has this tag.
  bool take(uint8_t tag, Der* out) {
    if (n < 2 || p[0] != tag) return false;
    size_t len = p[1], hdr = 2;
    if (len & 0x80) {
      size_t bytes = len & 0x7f;
      if (bytes == 0 || bytes > 3 || n < 2 + bytes) return false;
      len = 0;
      for (size_t i = 0; i < bytes; ++i) len = (len << 8) | p[2 + i];
      hdr += bytes;
    }
    if (len > n - hdr) return false;
    *out = Der{p + hdr, len};
    p += hdr + len;
    n -= hdr + len;
    return true;
  }
  bool is(const uint8_t* bytes, size_t len) const { return n == len && !memcmp(p, bytes, len); }
};

// An INTEGER's magnitude without its sign byte.
Der unsigned_int(Der d) {
  while (d.n > 1 && d.p[0] == 0) {
    ++d.p;
    --d.n;
  }
  return d;
}

const uint8_t kOidRsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
const uint8_t kOidEc[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
const uint8_t kOidP256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
const uint8_t kOidP384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};
const uint8_t kOidP521[] = {0x2B, 0x81, 0x04, 0x00, 0x23};

}  // namespace

// ---- PublicKey ---------------------------------------------------------------------------------

PublicKey::~PublicKey() { clear(); }

void PublicKey::clear() {
  free(_rsa.n);
  free(_rsa.e);
  free(_ec.q);
  _rsa = br_rsa_public_key{};
  _ec = br_ec_public_key{};
  _type = 0;
}

bool PublicKey::parse(const char* pemKey) {
  bool parsed = false;
  return pem_each(pemKey,
                  [&](const char*, const uint8_t* der, size_t len) {
                    if (parsed) return true;  // the first key is the one
                    parsed = parse(der, len);
                    return parsed;
                  }) &&
         parsed;
}

bool PublicKey::parse(const uint8_t* derKey, size_t derLen) {
  clear();
  if (!derKey) return false;
  Der all{derKey, derLen}, seq, rsa_n, rsa_e;
  if (!all.take(0x30, &seq) || all.n) return false;
  if (seq.n && seq.p[0] == 0x30) {  // SubjectPublicKeyInfo: { { algorithm, parameters }, BIT STRING }
    Der alg, oid, params, bits;
    if (!seq.take(0x30, &alg) || !alg.take(0x06, &oid) || !seq.take(0x03, &bits) || seq.n || bits.n < 2 ||
        bits.p[0] != 0)
      return false;
    Der key{bits.p + 1, bits.n - 1};
    if (oid.is(kOidRsa, sizeof kOidRsa)) {
      Der inner;
      if (!key.take(0x30, &inner) || !inner.take(0x02, &rsa_n) || !inner.take(0x02, &rsa_e) || inner.n) return false;
    } else if (oid.is(kOidEc, sizeof kOidEc)) {
      int curve = 0;
      if (!alg.take(0x06, &params)) return false;
      if (params.is(kOidP256, sizeof kOidP256)) curve = BR_EC_secp256r1;
      if (params.is(kOidP384, sizeof kOidP384)) curve = BR_EC_secp384r1;
      if (params.is(kOidP521, sizeof kOidP521)) curve = BR_EC_secp521r1;
      if (!curve || key.n < 1 || key.p[0] != 0x04) return false;  // named curves, uncompressed points
      _ec.q = copy_of(key.p, key.n);
      if (!_ec.q) return false;
      _ec.qlen = key.n;
      _ec.curve = curve;
      _type = BR_KEYTYPE_EC;
      return true;
    } else {
      return false;
    }
  } else {  // PKCS#1 RSAPublicKey: { n, e }
    if (!seq.take(0x02, &rsa_n) || !seq.take(0x02, &rsa_e) || seq.n) return false;
  }
  Der n = unsigned_int(rsa_n), e = unsigned_int(rsa_e);
  _rsa.n = copy_of(n.p, n.n);
  _rsa.e = copy_of(e.p, e.n);
  if (!_rsa.n || !_rsa.e) {
    clear();
    return false;
  }
  _rsa.nlen = n.n;
  _rsa.elen = e.n;
  _type = BR_KEYTYPE_RSA;
  return true;
}

// ---- PrivateKey --------------------------------------------------------------------------------

PrivateKey::~PrivateKey() { clear(); }

void PrivateKey::clear() {
  free(_rsa.p);
  free(_rsa.q);
  free(_rsa.dp);
  free(_rsa.dq);
  free(_rsa.iq);
  free(_ec.x);
  _rsa = br_rsa_private_key{};
  _ec = br_ec_private_key{};
  _type = 0;
}

bool PrivateKey::parse(const char* pemKey) {
  bool parsed = false;
  return pem_each(pemKey,
                  [&](const char*, const uint8_t* der, size_t len) {
                    if (parsed) return true;
                    parsed = parse(der, len);
                    return parsed;
                  }) &&
         parsed;
}

bool PrivateKey::parse(const uint8_t* derKey, size_t derLen) {
  clear();
  if (!derKey || !derLen) return false;
  br_skey_decoder_context* dc = static_cast<br_skey_decoder_context*>(malloc(sizeof(br_skey_decoder_context)));
  if (!dc) return false;
  br_skey_decoder_init(dc);
  br_skey_decoder_push(dc, derKey, derLen);
  bool ok = false;
  if (br_skey_decoder_last_error(dc) == 0) {
    if (const br_rsa_private_key* rk = br_skey_decoder_get_rsa(dc)) {
      _rsa.n_bitlen = rk->n_bitlen;
      _rsa.p = copy_of(rk->p, rk->plen);
      _rsa.q = copy_of(rk->q, rk->qlen);
      _rsa.dp = copy_of(rk->dp, rk->dplen);
      _rsa.dq = copy_of(rk->dq, rk->dqlen);
      _rsa.iq = copy_of(rk->iq, rk->iqlen);
      _rsa.plen = rk->plen;
      _rsa.qlen = rk->qlen;
      _rsa.dplen = rk->dplen;
      _rsa.dqlen = rk->dqlen;
      _rsa.iqlen = rk->iqlen;
      ok = _rsa.p && _rsa.q && _rsa.dp && _rsa.dq && _rsa.iq;
      _type = BR_KEYTYPE_RSA;
    } else if (const br_ec_private_key* ek = br_skey_decoder_get_ec(dc)) {
      _ec.curve = ek->curve;
      _ec.x = copy_of(ek->x, ek->xlen);
      _ec.xlen = ek->xlen;
      ok = _ec.x != nullptr;
      _type = BR_KEYTYPE_EC;
    }
  }
  free(dc);
  if (!ok) clear();
  return ok;
}

// ---- X509List ----------------------------------------------------------------------------------

namespace {
void free_anchor(br_x509_trust_anchor& ta) {
  free(ta.dn.data);
  if (ta.pkey.key_type == BR_KEYTYPE_RSA) {
    free(ta.pkey.key.rsa.n);
    free(ta.pkey.key.rsa.e);
  } else {
    free(ta.pkey.key.ec.q);
  }
}
}  // namespace

X509List::~X509List() {
  truncate(0);
  free(_cert);
  free(_ta);
}

void X509List::truncate(size_t keep) {
  while (_count > keep) {
    --_count;
    free(_cert[_count].data);
    free_anchor(_ta[_count]);
  }
}

bool X509List::add_der(const uint8_t* der, size_t len) {
  if (!der || !len) return false;
  br_x509_decoder_context* dc = static_cast<br_x509_decoder_context*>(malloc(sizeof(br_x509_decoder_context)));
  if (!dc) return false;
  Bytes dn;
  br_x509_decoder_init(dc, append_to, &dn);
  br_x509_decoder_push(dc, der, len);
  br_x509_trust_anchor ta{};
  bool ok = false;
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(dc);
  if (pk && br_x509_decoder_last_error(dc) == 0 && dn.ok) {
    ta.flags = br_x509_decoder_isCA(dc) ? BR_X509_TA_CA : 0;
    ta.pkey.key_type = pk->key_type;
    ta.dn.data = dn.detach_exact();
    ta.dn.len = dn.n;
    if (pk->key_type == BR_KEYTYPE_RSA) {
      ta.pkey.key.rsa.n = copy_of(pk->key.rsa.n, pk->key.rsa.nlen);
      ta.pkey.key.rsa.e = copy_of(pk->key.rsa.e, pk->key.rsa.elen);
      ta.pkey.key.rsa.nlen = pk->key.rsa.nlen;
      ta.pkey.key.rsa.elen = pk->key.rsa.elen;
      ok = ta.dn.data && ta.pkey.key.rsa.n && ta.pkey.key.rsa.e;
    } else {
      ta.pkey.key.ec.curve = pk->key.ec.curve;
      ta.pkey.key.ec.q = copy_of(pk->key.ec.q, pk->key.ec.qlen);
      ta.pkey.key.ec.qlen = pk->key.ec.qlen;
      ok = ta.dn.data && ta.pkey.key.ec.q;
    }
  }
  free(dc);
  uint8_t* data = ok ? copy_of(der, len) : nullptr;
  auto* certs = ok && data ? static_cast<br_x509_certificate*>(realloc(_cert, (_count + 1) * sizeof *_cert)) : nullptr;
  if (certs) _cert = certs;
  auto* tas = certs ? static_cast<br_x509_trust_anchor*>(realloc(_ta, (_count + 1) * sizeof *_ta)) : nullptr;
  if (tas) _ta = tas;
  if (!tas) {  // nothing of this certificate is kept
    free(data);
    free_anchor(ta);
    return false;
  }
  _cert[_count] = br_x509_certificate{data, len};
  _ta[_count] = ta;
  ++_count;
  return true;
}

bool X509List::append(const uint8_t* derCert, size_t derLen) { return add_der(derCert, derLen); }

bool X509List::append(const char* pemCert) {
  // All or nothing: a text whose second certificate is bad adds none.
  const size_t before = _count;
  bool ok = pem_each(pemCert, [&](const char* name, const uint8_t* der, size_t len) {
    return is_certificate_name(name) && add_der(der, len);
  });
  if (!ok) truncate(before);
  return ok;
}

// ---- Session -----------------------------------------------------------------------------------

void Session::memset_session() { memset(&_session, 0, sizeof _session); }

}  // namespace BearSSL
