// shims/BearSSLHelpers.h — the ESP8266 core's key and certificate holders for BearSSL:
// PublicKey, PrivateKey, X509List (certificates, and the trust anchors made from them) and
// Session. Each parses PEM (every object in the text) or DER and keeps its data on the device
// heap, as the core does; a parse that fails (bad input, or the heap full) leaves the holder empty
// and says false. Not copyable (the core's are not either).
#pragma once
#include <bearssl/bearssl.h>
#include <stddef.h>
#include <stdint.h>

namespace BearSSL {

class PublicKey {
 public:
  PublicKey() = default;
  explicit PublicKey(const char* pemKey) { parse(pemKey); }
  PublicKey(const uint8_t* derKey, size_t derLen) { parse(derKey, derLen); }
  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  // A SubjectPublicKeyInfo ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY"), RSA or EC.
  bool parse(const char* pemKey);
  bool parse(const uint8_t* derKey, size_t derLen);
  bool isRSA() const { return _type == BR_KEYTYPE_RSA; }
  bool isEC() const { return _type == BR_KEYTYPE_EC; }
  const br_rsa_public_key* getRSA() const { return isRSA() ? &_rsa : nullptr; }
  const br_ec_public_key* getEC() const { return isEC() ? &_ec : nullptr; }

 private:
  void clear();
  int _type = 0;
  br_rsa_public_key _rsa{};
  br_ec_public_key _ec{};
};

class PrivateKey {
 public:
  PrivateKey() = default;
  explicit PrivateKey(const char* pemKey) { parse(pemKey); }
  PrivateKey(const uint8_t* derKey, size_t derLen) { parse(derKey, derLen); }
  ~PrivateKey();
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  // "RSA PRIVATE KEY", "EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY" (BearSSL's key decoder).
  bool parse(const char* pemKey);
  bool parse(const uint8_t* derKey, size_t derLen);
  bool isRSA() const { return _type == BR_KEYTYPE_RSA; }
  bool isEC() const { return _type == BR_KEYTYPE_EC; }
  const br_rsa_private_key* getRSA() const { return isRSA() ? &_rsa : nullptr; }
  const br_ec_private_key* getEC() const { return isEC() ? &_ec : nullptr; }

 private:
  void clear();
  int _type = 0;
  br_rsa_private_key _rsa{};
  br_ec_private_key _ec{};
};

class X509List {
 public:
  X509List() = default;
  explicit X509List(const char* pemCert) { append(pemCert); }
  X509List(const uint8_t* derCert, size_t derLen) { append(derCert, derLen); }
  ~X509List();
  X509List(const X509List&) = delete;
  X509List& operator=(const X509List&) = delete;

  // Adds every certificate of a PEM text, or one DER certificate, and its trust anchor (a CA
  // anchor when the certificate says it is a CA). False, adding nothing, when any does not parse.
  bool append(const char* pemCert);
  bool append(const uint8_t* derCert, size_t derLen);

  size_t getCount() const { return _count; }
  const br_x509_certificate* getX509Certs() const { return _cert; }
  const br_x509_trust_anchor* getTrustAnchors() const { return _ta; }

 private:
  bool add_der(const uint8_t* der, size_t len);
  void truncate(size_t keep);  // frees the entries from `keep` on
  size_t _count = 0;
  br_x509_certificate* _cert = nullptr;
  br_x509_trust_anchor* _ta = nullptr;
};

// TLS session parameters a secure client saves on stop() and resumes from on its next connect.
class Session {
 public:
  Session() { memset_session(); }
  br_ssl_session_parameters* getSession() { return &_session; }

 private:
  void memset_session();
  br_ssl_session_parameters _session;
};

}  // namespace BearSSL
