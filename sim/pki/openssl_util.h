// sim/pki/openssl_util.h — what every OpenSSL user in espfleet shares: owning pointers for the
// library's objects (one deleter for all), the error queue as one line of text, and PkiError,
// the exception every PKI failure throws.
#pragma once
#include <openssl/types.h>
#include <openssl/x509v3.h>  // GENERAL_NAMES

#include <memory>
#include <stdexcept>
#include <string>

namespace espfleet {

// Every PKI failure: the message names the operation, the file if any, and OpenSSL's errors.
class PkiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OpensslFree {
  void operator()(X509* p) const;
  void operator()(EVP_PKEY* p) const;
  void operator()(EVP_PKEY_CTX* p) const;
  void operator()(BIO* p) const;
  void operator()(BIGNUM* p) const;  // cleared: it may hold a private scalar
  void operator()(ASN1_INTEGER* p) const;
  void operator()(X509_EXTENSION* p) const;
  void operator()(GENERAL_NAMES* p) const;
  void operator()(SSL_CTX* p) const;
  void operator()(SSL* p) const;
  void operator()(EC_GROUP* p) const;
  void operator()(EC_POINT* p) const;
  void operator()(BN_CTX* p) const;
};
using X509Ptr = std::unique_ptr<X509, OpensslFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslFree>;
using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using BnPtr = std::unique_ptr<BIGNUM, OpensslFree>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, OpensslFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OpensslFree>;
using GenNamesPtr = std::unique_ptr<GENERAL_NAMES, OpensslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpensslFree>;
using SslPtr = std::unique_ptr<SSL, OpensslFree>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, OpensslFree>;
using EcPointPtr = std::unique_ptr<EC_POINT, OpensslFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OpensslFree>;

// Drains OpenSSL's error queue into one line ("a; b"); "" when it is empty.
std::string openssl_errors();

// PkiError "pki: WHAT: <OpenSSL's errors>" (the queue drained).
[[noreturn]] void pki_fail_ssl(const std::string& what);
// PkiError "pki: WHAT" (the queue cleared).
[[noreturn]] void pki_fail(const std::string& what);

// The bytes a memory BIO holds.
std::string bio_to_string(BIO* bio);

}  // namespace espfleet
