// sim/pki/cert_builder.cpp — keys, validity, SANs and certificate assembly with OpenSSL 3
// libcrypto (cert_builder.h).
#include "cert_builder.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace espfleet {

// ---- keys ------------------------------------------------------------------------------------

PkeyCtxPtr make_keygen_ctx(KeyType type) {
  bool ec = type == KeyType::ec256;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, ec ? "EC" : "RSA", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0)
    pki_fail_ssl("key generation setup (" + std::string(key_type_name(type)) + ")");
  int ok = ec ? EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256")
              : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), type == KeyType::rsa4096 ? 4096 : 2048);
  if (ok <= 0) pki_fail_ssl("key generation parameters (" + std::string(key_type_name(type)) + ")");
  return ctx;
}

PkeyPtr generate_key(EVP_PKEY_CTX* ctx, KeyType type) {
  EVP_PKEY* k = nullptr;
  if (EVP_PKEY_generate(ctx, &k) <= 0) pki_fail_ssl("generate " + std::string(key_type_name(type)) + " key");
  return PkeyPtr(k);
}

// ---- certificate assembly --------------------------------------------------------------------

std::string trim_cn(std::string_view cn, const char* what) {
  if (cn.empty()) pki_fail(std::string(what) + ": empty common name");
  if (cn.size() > 64) pki_fail(std::string(what) + ": common name longer than 64 characters: " + std::string(cn));
  return std::string(cn);
}

Window resolve_window(int validity_days, const std::optional<ValidityWindow>& w, const char* what) {
  if (w) {
    Window r{static_cast<time_t>(w->not_before.time_since_epoch().count()),
             static_cast<time_t>(w->not_after.time_since_epoch().count())};
    if (r.not_after <= r.not_before) pki_fail(std::string(what) + ": validity window ends before it starts");
    return r;
  }
  if (validity_days <= 0) pki_fail(std::string(what) + ": validity must be at least one day");
  time_t now = ::time(nullptr);
  // Backdated one hour so a device whose clock is slightly behind still accepts it.
  return Window{now - 3600, now + static_cast<time_t>(validity_days) * 86400};
}

namespace {

void add_ext(X509* x, X509V3_CTX* ctx, int nid, const char* value, const std::string& what) {
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1) pki_fail_ssl(what + ": extension " + OBJ_nid2sn(nid) + "=" + value);
}

}  // namespace

// The certificate body, signed at the end: subject key, CN, issuer (self when null), window.
// `exts` are (nid, OpenSSL extension config value) applied in order.
// The subject key is either `subject_key` or, when `p256_point` is given, that uncompressed
// P-256 point written straight into the SubjectPublicKeyInfo: X509_set_pubkey goes through
// OpenSSL 3's encoder and decoder lookups (~0.2 ms, more than the rest of a device cert).
X509Ptr make_cert(EVP_PKEY* subject_key, const std::array<uint8_t, 65>* p256_point, const std::string& cn, X509* issuer,
                  EVP_PKEY* issuer_key, const Window& win, const std::array<uint8_t, 16>& serial,
                  const std::vector<std::pair<int, const char*>>& exts, GENERAL_NAMES* sans, const std::string& what) {
  X509Ptr x(X509_new());
  if (!x) pki_fail_ssl(what + ": X509_new");
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) pki_fail_ssl(what + ": set version");

  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  AsnIntPtr asn_serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!asn_serial || X509_set_serialNumber(x.get(), asn_serial.get()) != 1) pki_fail_ssl(what + ": set serial number");

  X509_NAME* subject = X509_get_subject_name(x.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                 -1, 0) != 1)
    pki_fail_ssl(what + ": subject CN=" + cn);
  if (X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : subject) != 1)
    pki_fail_ssl(what + ": set issuer name");

  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), win.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), win.not_after))
    pki_fail_ssl(what + ": set validity");
  if (p256_point) {
    auto* penc = static_cast<unsigned char*>(OPENSSL_memdup(p256_point->data(), p256_point->size()));
    if (!penc ||
        X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x.get()), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                               OBJ_nid2obj(NID_X9_62_prime256v1), penc, static_cast<int>(p256_point->size())) != 1) {
      OPENSSL_free(penc);
      pki_fail_ssl(what + ": set public key");
    }
  } else if (X509_set_pubkey(x.get(), subject_key) != 1) {
    pki_fail_ssl(what + ": set public key");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : exts) add_ext(x.get(), &ctx, nid, value, what);
  if (sans && X509_add1_ext_i2d(x.get(), NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT) != 1)
    pki_fail_ssl(what + ": subjectAltName");

  if (X509_sign(x.get(), issuer_key, EVP_sha256()) <= 0) pki_fail_ssl(what + ": sign");
  return x;
}

GenNamesPtr parse_sans(const std::vector<std::string>& sans, const std::string& what) {
  GenNamesPtr names(GENERAL_NAMES_new());
  if (!names) pki_fail_ssl(what + ": GENERAL_NAMES_new");
  for (const std::string& raw : sans) {
    std::string_view s = raw;
    enum { dns, ip, bare } kind = bare;
    if (s.substr(0, 4) == "DNS:") {
      kind = dns;
      s.remove_prefix(4);
    } else if (s.substr(0, 3) == "IP:") {
      kind = ip;
      s.remove_prefix(3);
    }
    std::string value(s);
    if (value.empty()) pki_fail(what + ": empty subjectAltName entry \"" + raw + "\"");
    unsigned char addr[16];
    int addr_len = 0;
    if (kind != dns) {
      if (inet_pton(AF_INET, value.c_str(), addr) == 1)
        addr_len = 4;
      else if (inet_pton(AF_INET6, value.c_str(), addr) == 1)
        addr_len = 16;
      else if (kind == ip)
        pki_fail(what + ": not an IP address in subjectAltName \"" + raw + "\"");
    }
    if (!addr_len) {
      for (char c : value)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
          pki_fail(what + ": invalid character in DNS name \"" + value + "\"");
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!gn) pki_fail_ssl(what + ": GENERAL_NAME_new");
    bool ok;
    if (addr_len) {
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      ok = os && ASN1_OCTET_STRING_set(os, addr, addr_len) == 1;
      if (ok)
        GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
      else
        ASN1_OCTET_STRING_free(os);
    } else {
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      ok = ia5 && ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) == 1;
      if (ok)
        GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
      else
        ASN1_IA5STRING_free(ia5);
    }
    if (!ok || sk_GENERAL_NAME_push(names.get(), gn) <= 0) {
      GENERAL_NAME_free(gn);
      pki_fail_ssl(what + ": subjectAltName entry " + raw);
    }
  }
  return names;
}

std::optional<KeyType> classify_key(EVP_PKEY* k) {
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(k) == 2048) return KeyType::rsa2048;
      if (EVP_PKEY_get_bits(k) == 4096) return KeyType::rsa4096;
      return std::nullopt;
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1 &&
          (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0))
        return KeyType::ec256;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace espfleet
