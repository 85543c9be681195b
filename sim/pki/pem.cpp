// sim/pki/pem.cpp — base64, PEM and DER with OpenSSL libcrypto (pem.h).
#include "pem.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>

#include "input_file.h"

namespace espfleet {

namespace {

// Never prompt on the terminal for a passphrase.
int no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

// ---- base64 ----------------------------------------------------------------------------------

std::string base64(const uint8_t* data, size_t len) {
  if (len == 0) return {};
  if (len > (1u << 30)) pki_fail("base64: input too large");
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<uint8_t> base64_decode(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() % 4 != 0) pki_fail("base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool pad_ok = c == '=' && i >= text.size() - 2 && (i == text.size() - 1 || text[i + 1] == '=');
    if (!alpha && !pad_ok) pki_fail("base64: invalid character at offset " + std::to_string(i));
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) pki_fail_ssl("base64 decode");
  size_t pad = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

// ---- DER and PEM blocks ----------------------------------------------------------------------

size_t der_sequence_length(const std::vector<uint8_t>& der) {
  if (der.size() < 2 || der[0] != 0x30) return 0;
  size_t len = der[1], hdr = 2;
  if (len & 0x80) {
    size_t n = len & 0x7F;
    if (n == 0 || n > 3 || der.size() < 2 + n) return 0;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = len << 8 | der[2 + i];
    hdr += n;
  }
  return hdr + len;
}

std::vector<std::vector<uint8_t>> pem_certificates(std::string_view pem) {
  const std::string_view begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  std::vector<std::vector<uint8_t>> out;
  for (size_t b = pem.find(begin); b != std::string_view::npos; b = pem.find(begin, b + 1)) {
    const std::string n = std::to_string(out.size() + 1);
    size_t e = pem.find(end, b);
    if (e == std::string_view::npos) throw PkiError("certificate " + n + " has no END line");
    std::string body;
    for (char c : pem.substr(b + begin.size(), e - b - begin.size()))
      if (!std::isspace(static_cast<unsigned char>(c))) body += c;
    std::vector<uint8_t> der;
    try {
      der = base64_decode(body);
    } catch (const std::exception& ex) {
      throw PkiError("certificate " + n + ": " + ex.what());
    }
    // Found by tests/fuzz (fuzz_pem): an empty block decoded to an empty "certificate".
    if (der.empty()) throw PkiError("certificate " + n + " is empty (nothing between its BEGIN and END lines)");
    if (der_sequence_length(der) != der.size()) throw PkiError("certificate " + n + " is not one DER certificate");
    out.push_back(std::move(der));
  }
  return out;
}

X509Ptr pem_to_x509(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
}

PkeyPtr pem_to_private_key(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  return PkeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
}

X509Ptr read_certificate_file(const std::filesystem::path& file) {
  const std::string text = read_whole_file(file), path = file.string();
  if (text.find("-----BEGIN") != std::string::npos) {
    if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      if (text.find("PRIVATE KEY-----") != std::string::npos)
        throw PkiError(path + ": holds a private key, not a certificate (give the .crt file)");
      if (text.find("CERTIFICATE REQUEST-----") != std::string::npos)
        throw PkiError(path + ": is a certificate request, not a certificate");
      throw PkiError(path + ": no PEM certificate in it (no BEGIN CERTIFICATE block)");
    }
    ERR_clear_error();
    X509Ptr x = pem_to_x509(text);
    if (!x) throw PkiError(path + ": the PEM certificate does not decode: " + openssl_errors());
    return x;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(text.size())));
  if (!x) {
    ERR_clear_error();
    throw PkiError(path + ": not a certificate (neither PEM nor DER X.509)");
  }
  return x;
}

// ---- writing ---------------------------------------------------------------------------------

std::string cert_to_pem(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x) != 1) pki_fail_ssl("encode certificate as PEM");
  return bio_to_string(bio.get());
}

std::string der_to_pem(const std::vector<uint8_t>& der, const char* label) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), label, "", der.data(), static_cast<long>(der.size())) <= 0)
    pki_fail_ssl(std::string("encode ") + label + " as PEM");
  return bio_to_string(bio.get());
}

std::vector<uint8_t> cert_to_der(X509* x) {
  int len = i2d_X509(x, nullptr);
  if (len <= 0) pki_fail_ssl("encode certificate as DER");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509(x, &p) != len) pki_fail_ssl("encode certificate as DER");
  return der;
}

std::string key_to_pem(EVP_PKEY* k) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    pki_fail_ssl("encode private key as PEM");
  return bio_to_string(bio.get());
}

// PKCS#8 PrivateKeyInfo of a P-256 key, laid out as OpenSSL writes it (RFC 5208 around an
// RFC 5915 ECPrivateKey whose curve sits in the AlgorithmIdentifier). Built directly: going
// through PEM_write_bio_PrivateKey costs an encoder lookup per key.
std::string p256_key_pem(const std::array<uint8_t, 32>& scalar, const std::array<uint8_t, 65>& point) {
  static constexpr uint8_t head[] = {0x30, 0x81, 0x87,                                      // PrivateKeyInfo, 135
                                     0x02, 0x01, 0x00,                                      //   version 0
                                     0x30, 0x13,                                            //   AlgorithmIdentifier
                                     0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,  //     id-ecPublicKey
                                     0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,  //     prime256v1
                                     0x04, 0x6d,                                                  //   OCTET STRING, 109
                                     0x30, 0x6b,                    //     ECPrivateKey, 107
                                     0x02, 0x01, 0x01,              //       version 1
                                     0x04, 0x20};                   //       privateKey, 32
  static constexpr uint8_t mid[] = {0xa1, 0x44, 0x03, 0x42, 0x00};  //       [1] BIT STRING, 65
  std::vector<uint8_t> der;
  der.reserve(sizeof head + scalar.size() + sizeof mid + point.size());
  der.insert(der.end(), head, head + sizeof head);
  der.insert(der.end(), scalar.begin(), scalar.end());
  der.insert(der.end(), mid, mid + sizeof mid);
  der.insert(der.end(), point.begin(), point.end());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), "PRIVATE KEY", "", der.data(), static_cast<long>(der.size())) <= 0)
    pki_fail_ssl("encode P-256 private key as PEM");
  OPENSSL_cleanse(der.data(), der.size());
  return bio_to_string(bio.get());
}

}  // namespace espfleet
