// core/x509_checks.h — the firmware's two ways of judging the broker's certificate chain, as
// BearSSL X.509 engines: CA mode (BearSSL's minimal engine against the trust anchors) and
// fingerprint mode (Tasmota's SetOption132: the SHA-1 "v2" fingerprint of the leaf's RSA key
// against two slots). Both enforce the chip build's key-size limit: the ESP8266's BearSSL is
// trimmed to RSA-2048, so a larger server key fails with BR_ERR_LIMIT_EXCEEDED (23).
#pragma once
#include <bearssl/bearssl.h>
#include <stddef.h>
#include <stdint.h>

static const size_t kFingerprintLen = 20;
static const uint32_t kMaxRsaBytes = 256;  // RSA-2048

// The fingerprint-mode failure code (Tasmota's "Bad fingerprint"), returned by end_chain.
static const unsigned kX509ErrBadFingerprint = 1;

// A CA-mode engine on the heap (BearSSL's minimal engine inside). NULL when the heap is short.
// days/seconds: the validation time, as br_x509_minimal_set_time takes it.
const br_x509_class** x509_ca_new(const br_x509_trust_anchor* tas, size_t count, uint32_t days, uint32_t seconds);

// A fingerprint-mode engine on the heap. fp1/fp2 point at 20-byte slots that outlive it.
// allowAny: accept any key (a slot is all 0xFF, or a slot is learning). NULL when the heap is short.
const br_x509_class** x509_fingerprint_new(const uint8_t* fp1, const uint8_t* fp2, bool allowAny);

// The v2 fingerprint of the server key the last chain presented (all zero when the key was not
// RSA or no chain was seen). Only for engines made by x509_fingerprint_new.
void x509_fingerprint_received(const br_x509_class** engine, uint8_t out[kFingerprintLen]);

void x509_engine_free(const br_x509_class** engine);

// v2 over an RSA key: SHA-1 of the length-prefixed items "ssh-rsa", e, n (leading zero bytes
// of e and n skipped).
void fingerprint_v2(const br_rsa_public_key* key, uint8_t out[kFingerprintLen]);

bool fingerprint_is_all(const uint8_t* fp, uint8_t value);
