// sim/pki/fingerprint.cpp — Tasmota's v2 public-key fingerprint with OpenSSL libcrypto, and the
// MqttFingerprint text form (see fingerprint.h for the byte layout and where it comes from).
#include "fingerprint.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "openssl_util.h"

namespace espfleet {

namespace {

// Skips leading zero bytes, as BearSSL's X.509 decoder does when it extracts n and e.
void strip_leading_zeros(const uint8_t*& p, size_t& len) {
  while (len > 0 && *p == 0) {
    ++p;
    --len;
  }
}

// One item of the v2 hash input: a 4-byte big-endian length, then the bytes.
void append_item(std::vector<uint8_t>& buf, const uint8_t* p, size_t len) {
  const uint32_t n = static_cast<uint32_t>(len);
  buf.push_back(uint8_t(n >> 24));
  buf.push_back(uint8_t(n >> 16));
  buf.push_back(uint8_t(n >> 8));
  buf.push_back(uint8_t(n));
  buf.insert(buf.end(), p, p + len);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) { return c == ':' || c == ' ' || c == '\t'; }

std::string quoted(std::string_view s) {
  constexpr size_t kMax = 120;
  if (s.size() <= kMax) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kMax)) + "…'";
}

const char kExpected[] =
    "Tasmota's MqttFingerprint takes the 20-byte SHA-1 public-key fingerprint (v2): 20 hex bytes "
    "separated by spaces or colons — get it with `espfleet fingerprint CERT`";

[[noreturn]] void fail_sha256(std::string_view text) {
  throw FingerprintError(quoted(text) + " is a SHA-256 fingerprint (32 bytes); " + kExpected);
}

std::vector<uint8_t> bn_bytes(const BIGNUM* bn) {
  std::vector<uint8_t> out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());  // minimal big-endian: no leading zero byte
  return out;
}

std::optional<Fingerprint> fail_with(std::string* error, std::string msg) {
  ERR_clear_error();
  if (error) *error = std::move(msg);
  return std::nullopt;
}

}  // namespace

Fingerprint fingerprint_v2_rsa(const uint8_t* n, size_t nlen, const uint8_t* e, size_t elen) {
  static const uint8_t kTag[] = {'s', 's', 'h', '-', 'r', 's', 'a'};
  strip_leading_zeros(n, nlen);
  strip_leading_zeros(e, elen);
  std::vector<uint8_t> buf;
  buf.reserve(3 * 4 + sizeof kTag + elen + nlen);
  append_item(buf, kTag, sizeof kTag);
  append_item(buf, e, elen);
  append_item(buf, n, nlen);
  Fingerprint fp{};
  unsigned int out_len = 0;
  if (EVP_Digest(buf.data(), buf.size(), fp.data(), &out_len, EVP_sha1(), nullptr) != 1 || out_len != fp.size())
    throw std::runtime_error("SHA-1 not available from OpenSSL libcrypto");
  return fp;
}

std::optional<Fingerprint> fingerprint_v2_of_cert_der(const std::vector<uint8_t>& der, std::string* error) {
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return fail_with(error, "not a DER X.509 certificate");
  EVP_PKEY* key = X509_get0_pubkey(x.get());  // borrowed
  if (!key) return fail_with(error, "the certificate's public key cannot be decoded");
  const int base = EVP_PKEY_get_base_id(key);
  if (base == EVP_PKEY_EC)
    return fail_with(error, "fingerprint v2 is defined for RSA keys only (this certificate has an EC key)");
  if (base != EVP_PKEY_RSA)
    return fail_with(error, std::string("fingerprint v2 is defined for RSA keys only (this certificate has a ") +
                                OBJ_nid2sn(base) + " key)");
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
  BnPtr n_owner(n), e_owner(e);
  if (!n || !e) return fail_with(error, "cannot read the RSA modulus and exponent");
  const std::vector<uint8_t> nb = bn_bytes(n), eb = bn_bytes(e);
  return fingerprint_v2_rsa(nb.data(), nb.size(), eb.data(), eb.size());
}

std::string format_fingerprint(const Fingerprint& fp) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(fp.size() * 3);
  for (size_t i = 0; i < fp.size(); ++i) {
    if (i) s += ' ';
    s += kHex[fp[i] >> 4];
    s += kHex[fp[i] & 0x0F];
  }
  return s;
}

Fingerprint parse_fingerprint(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) throw FingerprintError(std::string("empty fingerprint; ") + kExpected);

  // `openssl x509 -fingerprint` prints "SHA1 Fingerprint=…" / "sha256 Fingerprint=…": a hash of
  // the whole certificate, not of its public key, so it never matches what Tasmota computes.
  if (size_t eq = s.find('='); eq != std::string_view::npos) {
    std::string label(s.substr(0, eq));
    std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return std::tolower(c); });
    if (label.find("sha256") != std::string::npos || label.find("sha-256") != std::string::npos) fail_sha256(text);
    throw FingerprintError(
        quoted(text) + " looks like `openssl x509 -fingerprint` output, a hash of the whole certificate; " + kExpected);
  }

  std::vector<uint8_t> bytes;
  const bool separated = std::any_of(s.begin(), s.end(), is_separator);
  if (!separated) {
    for (char c : s)
      if (hex_value(c) < 0)
        throw FingerprintError(quoted(text) + ": '" + std::string(1, c) + "' is not a hex digit; " + kExpected);
    if (s.size() % 2)
      throw FingerprintError(quoted(text) + ": an odd number of hex digits (" + std::to_string(s.size()) + "); " +
                             kExpected);
    for (size_t i = 0; i < s.size(); i += 2) bytes.push_back(uint8_t(hex_value(s[i]) * 16 + hex_value(s[i + 1])));
  } else {
    size_t i = 0;
    while (i < s.size()) {
      // One byte: 2 hex digits, then a run of blanks with at most one colon in it.
      size_t start = i;
      while (i < s.size() && !is_separator(s[i])) ++i;
      std::string_view tok = s.substr(start, i - start);
      const size_t index = bytes.size() + 1;
      if (tok.empty())
        throw FingerprintError(quoted(text) + ": empty byte " + std::to_string(index) + " (two separators in a row); " +
                               kExpected);
      if (tok.size() > 2 || !std::all_of(tok.begin(), tok.end(), [](char c) { return hex_value(c) >= 0; }))
        throw FingerprintError(quoted(text) + ": byte " + std::to_string(index) + " '" + std::string(tok) +
                               "' is not a hex byte; " + kExpected);
      // Tasmota's own parser (strtol) would take "B" as 0B; here a lone digit is far more likely
      // a byte cut short by a copy-and-paste slip, so it is refused.
      if (tok.size() == 1)
        throw FingerprintError(quoted(text) + ": byte " + std::to_string(index) + " '" + std::string(tok) +
                               "' has one hex digit; write every byte as two (0" + std::string(tok) + "); " +
                               kExpected);
      bytes.push_back(uint8_t(hex_value(tok[0]) * 16 + hex_value(tok[1])));
      int colons = 0;
      while (i < s.size() && is_separator(s[i])) colons += s[i++] == ':';
      if (colons > 1)
        throw FingerprintError(quoted(text) + ": empty byte " + std::to_string(index + 1) +
                               " (two separators in a row); " + kExpected);
    }
  }
  if (bytes.size() == 32) fail_sha256(text);
  if (bytes.size() != 20)
    throw FingerprintError(quoted(text) + " has " + std::to_string(bytes.size()) + " bytes, not 20; " + kExpected);
  Fingerprint fp{};
  std::copy(bytes.begin(), bytes.end(), fp.begin());
  return fp;
}

bool is_learn(const Fingerprint& fp) {
  return std::all_of(fp.begin(), fp.end(), [](uint8_t b) { return b == 0x00; });
}

bool is_any(const Fingerprint& fp) {
  return std::all_of(fp.begin(), fp.end(), [](uint8_t b) { return b == 0xFF; });
}

Fingerprint parse_fingerprint_slot(std::string_view text) {
  if (text == "learn") return Fingerprint{};
  if (text == "any") {
    Fingerprint fp;
    fp.fill(0xFF);
    return fp;
  }
  if (text.empty()) return parse_fingerprint("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");  // SHA-1("")
  return parse_fingerprint(text);
}

}  // namespace espfleet
