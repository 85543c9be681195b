// sim/pki/fingerprint.h — Tasmota's server public-key fingerprint (v2) on the host side: computing
// it from an RSA key or a certificate, and the 20-byte text form of MqttFingerprint1/2.
//
// v2 (Tasmota's WiFiClientSecureLightBearSSL): SHA-1 over three items, each a 4-byte big-endian
// length followed by the bytes: "ssh-rsa", the public exponent e, the modulus n. e and n are
// unsigned big-endian integers as BearSSL's X.509 decoder hands them over, i.e. without the
// 0x00 byte DER puts in front of an INTEGER whose top bit is set (65537 → 01 00 01, a 2048-bit
// modulus → 256 bytes). v1 hashed the same items without the length prefixes (ambiguous, hence
// forgeable); Tasmota deprecated it in 8.4.0, fell back to it with an automatic upgrade of the
// stored value for a while, and dropped it in 2024 (arendst/Tasmota#20842, #21416). Not produced
// here.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace espfleet {

using Fingerprint = std::array<uint8_t, 20>;

// A fingerprint string that is not 20 hex bytes. The message quotes the input and says what
// form is expected.
class FingerprintError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// v2 over an RSA public key. Leading zero bytes of n and e are skipped first (so the contents
// of a DER INTEGER, sign byte included, give the same result as the bare integer).
Fingerprint fingerprint_v2_rsa(const uint8_t* n, size_t nlen, const uint8_t* e, size_t elen);

// v2 of the public key in a DER certificate. nullopt with *error set (when error is not null)
// when the bytes are not a certificate or the key is not RSA: on the ESP8266, Tasmota only
// fingerprints RSA keys (for any other key the received fingerprint is all zeros) and only
// offers ECDHE_RSA suites anyway.
std::optional<Fingerprint> fingerprint_v2_of_cert_der(const std::vector<uint8_t>& der, std::string* error);

// "AB CD … " — 20 upper-case hex bytes separated by single spaces: the form Tasmota prints and
// the only one its MqttFingerprint command parses byte by byte (strtol, base 16, whitespace).
std::string format_fingerprint(const Fingerprint& fp);

// 20 hex bytes of two digits each, separated by spaces and/or colons, or 40 hex digits with no
// separator; case-insensitive, surrounding whitespace ignored. Throws FingerprintError otherwise —
// also for a one-digit byte ("B"), which Tasmota's strtol-based parser would read as 0B but which
// is almost always a byte cut short; a SHA-256 fingerprint (32 bytes) and `openssl x509
// -fingerprint` output get a message saying why they do not fit.
Fingerprint parse_fingerprint(std::string_view text);

// A scenario's fingerprint slot (tls.fingerprint1/2): 20 hex bytes as parse_fingerprint takes
// them, or "learn" (all 0x00: learn on the next connect), "any" (all 0xFF: accept any key), or
// "" (unset: SHA-1 of nothing, DA 39 A3 EE …, which no key's fingerprint equals). Throws
// FingerprintError.
Fingerprint parse_fingerprint_slot(std::string_view text);

// All 0x00: learn the server's fingerprint on the next connect. All 0xFF: accept any key.
bool is_learn(const Fingerprint& fp);
bool is_any(const Fingerprint& fp);

}  // namespace espfleet
