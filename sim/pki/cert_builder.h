// sim/pki/cert_builder.h — the pieces certificates are made of, for the CA (pki.cpp): key
// generation, the validity window, subjectAltNames, extensions, and one function that assembles
// and signs a certificate. Internal to pki/.
#pragma once
#include <openssl/types.h>

#include <array>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "key_type.h"
#include "openssl_util.h"
#include "pki.h"

namespace espfleet {

PkeyCtxPtr make_keygen_ctx(KeyType type);
PkeyPtr generate_key(EVP_PKEY_CTX* ctx, KeyType type);
// The key type of a loaded key; nullopt for one espfleet does not generate.
std::optional<KeyType> classify_key(EVP_PKEY* k);

// The common name, checked (1..64 characters); PkiError naming `what` otherwise.
std::string trim_cn(std::string_view cn, const char* what);

struct Window {
  time_t not_before;
  time_t not_after;
};
// `w` when given, else from an hour ago to `validity_days` from now.
Window resolve_window(int validity_days, const std::optional<ValidityWindow>& w, const char* what);

// "DNS:x", "IP:x" or bare entries (IP literals become IP entries, anything else DNS).
GenNamesPtr parse_sans(const std::vector<std::string>& sans, const std::string& what);

// The certificate body, signed at the end: subject key, CN, issuer (self when null), window.
// `exts` are (nid, OpenSSL extension config value) applied in order. The subject key is either
// `subject_key` or, when `p256_point` is given, that uncompressed P-256 point written straight
// into the SubjectPublicKeyInfo.
X509Ptr make_cert(EVP_PKEY* subject_key, const std::array<uint8_t, 65>* p256_point, const std::string& cn, X509* issuer,
                  EVP_PKEY* issuer_key, const Window& win, const std::array<uint8_t, 16>& serial,
                  const std::vector<std::pair<int, const char*>>& exts, GENERAL_NAMES* sans, const std::string& what);

}  // namespace espfleet
