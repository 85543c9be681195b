// sim/pki/pki.h — the fleet's PKI, in process with OpenSSL libcrypto: a CA (create/save/load),
// server certificates for the broker, and per-device P-256 client certificates with the reduced
// extensions of Tasmota's guide to Mosquitto with a self-signed CA and per-device EC client
// certificates, plus the TLSKey1/TLSKey2 encodings.
#pragma once
#include <openssl/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "key_type.h"
#include "openssl_util.h"
#include "pem.h"

namespace espfleet {

KeyType parse_key_type(std::string_view s);  // "rsa2048" | "rsa4096" | "ec256", else PkiError

// Default validity periods (days), after the Easy-RSA defaults that guide quotes
// (EASYRSA_CA_EXPIRE 3650, EASYRSA_CERT_EXPIRE 1800); servers get Easy-RSA's 825.
inline constexpr int kCaValidityDays = 3650;
inline constexpr int kServerValidityDays = 825;
inline constexpr int kDeviceValidityDays = 1800;

// Explicit notBefore/notAfter, overriding "now − 1 h … now + days" (e.g. an expired cert).
struct ValidityWindow {
  std::chrono::sys_seconds not_before;
  std::chrono::sys_seconds not_after;
};

// A key + certificate pair.
struct IssuedCert {
  std::vector<uint8_t> cert_der;
  std::string cert_pem;
  std::string key_pem;  // PKCS#8 "PRIVATE KEY", unencrypted
};

// A device credential: P-256 key, client certificate, and the raw forms Tasmota stores.
struct DeviceCert : IssuedCert {
  std::array<uint8_t, 32> private_scalar{};  // big-endian, left-padded with zeros
  std::string tls_key1() const;              // base64(private_scalar) — the TLSKey1 argument
  std::string tls_key2() const;              // base64(cert_der)       — the TLSKey2 argument
};

// "localhost", "127.0.0.1" as DNS and IP, and `bind` (if another address) as DNS and IP.
// BearSSL matches the MQTT host only against dNSName entries, so an IP host needs DNS:<ip>.
std::vector<std::string> loopback_server_sans(std::string_view bind = "127.0.0.1");

// A certificate authority. Not thread-safe: use one per thread (or lock) when issuing in parallel.
class CertificateAuthority {
 public:
  // Self-signed CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign+cRLSign
  // (critical), subjectKeyIdentifier. `serial_seed` makes the serial numbers reproducible.
  static CertificateAuthority create(KeyType type, std::string_view common_name, int validity_days = kCaValidityDays,
                                     std::optional<uint64_t> serial_seed = std::nullopt);
  // From a PEM certificate and a PEM private key (PKCS#8 or traditional). PkiError naming the
  // file when missing or unparsable, when the key does not match, or when it is not a CA.
  static CertificateAuthority load(const std::filesystem::path& cert_pem_file,
                                   const std::filesystem::path& key_pem_file,
                                   std::optional<uint64_t> serial_seed = std::nullopt);

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  ~CertificateAuthority();

  // Writes DIR/ca.crt (0644) and DIR/ca.key (0600), creating DIR. Refuses to overwrite
  // unless `force`.
  void save(const std::filesystem::path& dir, bool force = false) const;
  static std::filesystem::path cert_path(const std::filesystem::path& dir) { return dir / "ca.crt"; }
  static std::filesystem::path key_path(const std::filesystem::path& dir) { return dir / "ca.key"; }

  // Server certificate: CN = name, SAN from `sans` ("DNS:x", "IP:x", or bare: IP literals
  // become IP entries, anything else DNS; empty: `name` alone), basicConstraints CA:FALSE, keyUsage
  // digitalSignature (+keyEncipherment for RSA, needed by RSA key exchange), EKU serverAuth,
  // SKI, AKI.
  IssuedCert issue_server(std::string_view name, const std::vector<std::string>& sans, KeyType type = KeyType::rsa2048,
                          int validity_days = kServerValidityDays, std::optional<ValidityWindow> window = std::nullopt);
  // The same for a key the server has already (PEM, as key_pem holds it): a certificate renewed
  // without a new key, as a broker's renewal may be (fingerprints of the key stay valid).
  IssuedCert issue_server_for_key(std::string_view name, const std::vector<std::string>& sans,
                                  const std::string& key_pem, int validity_days = kServerValidityDays,
                                  std::optional<ValidityWindow> window = std::nullopt);

  // Device certificate (that guide's reduced "tasmota" type + clientAuth): P-256 key, CN = cn,
  // basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical), SKI, AKI
  // (keyid), extendedKeyUsage clientAuth.
  DeviceCert issue_device(std::string_view cn, int validity_days = kDeviceValidityDays,
                          std::optional<ValidityWindow> window = std::nullopt);
  // The same, reproducible: the key from `key_seed`, the serial from `serial_seed`, valid from
  // the CA's own notBefore. The same CA, seeds and name give the same certificate byte for byte
  // (an RSA CA signs deterministically), so a device sharded into any process gets its own.
  struct Reproducible {
    uint64_t key_seed;
    uint64_t serial_seed;
  };
  DeviceCert issue_device(std::string_view cn, Reproducible seeds, int validity_days = kDeviceValidityDays);

  void set_serial_seed(uint64_t seed);  // deterministic serials from here on

  std::string cert_pem() const;
  std::string key_pem() const;
  std::vector<uint8_t> cert_der() const;
  std::optional<KeyType> key_type() const { return key_type_; }  // nullopt: loaded, other kind
  std::string common_name() const;
  X509* x509() const;      // borrowed
  EVP_PKEY* pkey() const;  // borrowed

 private:
  struct Impl;
  explicit CertificateAuthority(std::unique_ptr<Impl> impl, std::optional<KeyType> type);
  // The certificate of a P-256 device key (scalar and point), valid [not_before, not_after].
  DeviceCert sign_device(const std::string& cn, const std::array<uint8_t, 32>& scalar,
                         const std::array<uint8_t, 65>& point, time_t not_before, time_t not_after,
                         const std::array<uint8_t, 16>& serial, const std::string& what);
  std::unique_ptr<Impl> impl_;
  std::optional<KeyType> key_type_;
};

// Writes a cert (0644) and its key (0600), creating parent directories. Checks both paths
// before writing either.
void write_pem_files(const IssuedCert& c, const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                     bool force = false);
// Validity problems of DER certificates laid end to end (a CA bundle): one line per certificate
// that is expired or not yet valid at `now` ("certificate 2 (CN=…) expired on 2024-01-31"),
// nothing for good ones. PkiError when the bytes are not certificates.
std::vector<std::string> validity_problems(
    const std::vector<uint8_t>& der_certs,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace espfleet
