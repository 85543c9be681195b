// sim/pki/pem.h — the encodings certificates and keys travel in: base64, PEM blocks, DER. Reading
// a certificate the user named (PEM or DER), every certificate of a PEM bundle as DER, and
// writing certificates and keys as PEM and DER.
#pragma once
#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "openssl_util.h"

namespace espfleet {

std::string base64(const uint8_t* data, size_t len);  // standard alphabet, padded, one line
inline std::string base64(const std::vector<uint8_t>& v) { return base64(v.data(), v.size()); }
std::vector<uint8_t> base64_decode(std::string_view text);  // strict; PkiError when malformed

// Length of the DER element at der[0] (header included) when it is one SEQUENCE, else 0.
size_t der_sequence_length(const std::vector<uint8_t>& der);

// Every "BEGIN CERTIFICATE" block of a PEM text (a bundle is fine), as DER, in order; none when
// there is no such block. PkiError "certificate N ..." when a block is cut short, is not base64
// or is not one DER element.
std::vector<std::vector<uint8_t>> pem_certificates(std::string_view text);

// A PEM certificate or private key from text; null when the text holds none (never prompts
// for a passphrase: an encrypted key is none).
X509Ptr pem_to_x509(std::string_view text);
PkeyPtr pem_to_private_key(std::string_view text);

// A certificate file the user named, PEM or DER. PkiError naming the file when it holds
// something else (a key, a request, junk); InputError when it cannot be read.
X509Ptr read_certificate_file(const std::filesystem::path& path);

std::string cert_to_pem(X509* x);
std::vector<uint8_t> cert_to_der(X509* x);
// DER bytes as a PEM block with this label ("CERTIFICATE", ...).
std::string der_to_pem(const std::vector<uint8_t>& der, const char* label);
std::string key_to_pem(EVP_PKEY* k);  // PKCS#8 "PRIVATE KEY", unencrypted
// The PKCS#8 PEM of a P-256 key given as its scalar and uncompressed public point.
std::string p256_key_pem(const std::array<uint8_t, 32>& scalar, const std::array<uint8_t, 65>& point);

}  // namespace espfleet
