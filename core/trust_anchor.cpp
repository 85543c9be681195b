// core/trust_anchor.cpp — CA DER → br_x509_trust_anchor, with the X.509 decoder on the heap.
#include "trust_anchor.h"

#include <Arduino.h>

namespace {

struct DnBuffer {
  uint8_t* data;
  size_t len;
  size_t cap;
  bool overflow;
};

void append_dn(void* ctx, const void* buf, size_t len) {
  DnBuffer* dn = static_cast<DnBuffer*>(ctx);
  if (dn->len + len > dn->cap) {
    dn->overflow = true;
    return;
  }
  memcpy(dn->data + dn->len, buf, len);
  dn->len += len;
}

uint8_t* heap_copy(const uint8_t* src, size_t len) {
  uint8_t* p = static_cast<uint8_t*>(malloc(len ? len : 1));
  if (p) memcpy(p, src, len);
  return p;
}

}  // namespace

bool trust_anchor_from_der(const uint8_t* der, size_t len, br_x509_trust_anchor* ta) {
  memset(ta, 0, sizeof(*ta));
  br_x509_decoder_context* dc = static_cast<br_x509_decoder_context*>(malloc(sizeof(br_x509_decoder_context)));
  DnBuffer dn = {static_cast<uint8_t*>(malloc(256)), 0, 256, false};
  bool ok = dc && dn.data;
  if (ok) {
    br_x509_decoder_init(dc, append_dn, &dn);
    br_x509_decoder_push(dc, der, len);
    const br_x509_pkey* pk = br_x509_decoder_get_pkey(dc);
    ok = pk && !dn.overflow && br_x509_decoder_last_error(dc) == 0;
    if (ok) {
      ta->dn.data = heap_copy(dn.data, dn.len);
      ta->dn.len = dn.len;
      ta->flags = br_x509_decoder_isCA(dc) ? BR_X509_TA_CA : 0;
      ta->pkey.key_type = pk->key_type;
      if (pk->key_type == BR_KEYTYPE_RSA) {
        ta->pkey.key.rsa.n = heap_copy(pk->key.rsa.n, pk->key.rsa.nlen);
        ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
        ta->pkey.key.rsa.e = heap_copy(pk->key.rsa.e, pk->key.rsa.elen);
        ta->pkey.key.rsa.elen = pk->key.rsa.elen;
        ok = ta->dn.data && ta->pkey.key.rsa.n && ta->pkey.key.rsa.e;
      } else {
        ta->pkey.key.ec.curve = pk->key.ec.curve;
        ta->pkey.key.ec.q = heap_copy(pk->key.ec.q, pk->key.ec.qlen);
        ta->pkey.key.ec.qlen = pk->key.ec.qlen;
        ok = ta->dn.data && ta->pkey.key.ec.q;
      }
    }
  }
  free(dn.data);
  free(dc);
  if (!ok) trust_anchor_free(ta);
  return ok;
}

void trust_anchor_free(br_x509_trust_anchor* ta) {
  free(const_cast<unsigned char*>(ta->dn.data));
  if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
    free(ta->pkey.key.rsa.n);
    free(ta->pkey.key.rsa.e);
  } else {
    free(ta->pkey.key.ec.q);
  }
  memset(ta, 0, sizeof(*ta));
}
