// sim/pki/openssl_util.cpp — the shared deleter, error text and failures (openssl_util.h).
#include "openssl_util.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace espfleet {

void OpensslFree::operator()(X509* p) const { X509_free(p); }
void OpensslFree::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
void OpensslFree::operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
void OpensslFree::operator()(BIO* p) const { BIO_free(p); }
void OpensslFree::operator()(BIGNUM* p) const { BN_clear_free(p); }
void OpensslFree::operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
void OpensslFree::operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
void OpensslFree::operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
void OpensslFree::operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
void OpensslFree::operator()(SSL* p) const { SSL_free(p); }
void OpensslFree::operator()(EC_GROUP* p) const { EC_GROUP_free(p); }
void OpensslFree::operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
void OpensslFree::operator()(BN_CTX* p) const { BN_CTX_free(p); }

std::string openssl_errors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

void pki_fail_ssl(const std::string& what) {
  std::string errors = openssl_errors();
  throw PkiError("pki: " + what + ": " + (errors.empty() ? std::string("no OpenSSL error reported") : errors));
}

void pki_fail(const std::string& what) {
  ERR_clear_error();
  throw PkiError("pki: " + what);
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace espfleet
