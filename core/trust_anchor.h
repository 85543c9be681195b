// core/trust_anchor.h — turn a CA certificate (DER) into a BearSSL trust anchor on the heap.
#pragma once
#include <bearssl/bearssl.h>
#include <stddef.h>
#include <stdint.h>

// Decodes der into *ta (DN and key copied to the heap). Returns false on a bad certificate or
// when the heap is short; *ta is then left empty.
bool trust_anchor_from_der(const uint8_t* der, size_t len, br_x509_trust_anchor* ta);
void trust_anchor_free(br_x509_trust_anchor* ta);
