// sim/pki/pki.cpp — the CA: create, load, save, issue server and device certificates, with
// OpenSSL 3 libcrypto (see pki.h). Device issuing reuses the CA key and one P-256
// key-generation context, so a fleet's worth of certificates costs about one CA signature each.
#include "pki.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <tuple>

#include "cert_builder.h"
#include "input_file.h"
#include "output_file.h"
#include "pem.h"
#include "rng.h"

namespace espfleet {

namespace {

std::string refuse_message(const std::filesystem::path& p) {
  return "refusing to overwrite existing file " + p.string() + " (pass force to replace it)";
}

}  // namespace

// ---- key types -------------------------------------------------------------------------------

KeyType parse_key_type(std::string_view s) {
  if (std::optional<KeyType> t = enum_parse(kKeyTypeNames, s)) return *t;
  throw PkiError("pki: unknown key type \"" + std::string(s) + "\" (expected " + enum_choices(kKeyTypeNames) + ")");
}

std::string DeviceCert::tls_key1() const { return base64(private_scalar.data(), private_scalar.size()); }
std::string DeviceCert::tls_key2() const { return base64(cert_der); }

std::vector<std::string> loopback_server_sans(std::string_view bind) {
  std::vector<std::string> sans = {"DNS:localhost", "IP:127.0.0.1", "DNS:127.0.0.1"};
  if (!bind.empty() && bind != "127.0.0.1" && bind != "localhost" && bind != "0.0.0.0") {
    unsigned char tmp[16];
    std::string b(bind);
    if (inet_pton(AF_INET, b.c_str(), tmp) == 1 || inet_pton(AF_INET6, b.c_str(), tmp) == 1) sans.push_back("IP:" + b);
    sans.push_back("DNS:" + b);
  }
  return sans;
}

// ---- files -----------------------------------------------------------------------------------

void write_pem_files(const IssuedCert& c, const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                     bool force) {
  if (cert_file == key_file) pki_fail("certificate and key file are the same path: " + cert_file.string());
  for (const auto* p : {&cert_file, &key_file}) {
    if (p->has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(p->parent_path(), ec);
      if (ec) pki_fail("create directory " + p->parent_path().string() + ": " + ec.message());
    }
    if (!force && std::filesystem::exists(*p)) pki_fail(refuse_message(*p));
  }
  // The key first: a certificate without its key is no use, the reverse can be re-issued.
  for (const auto& [path, content, mode] :
       {std::tuple{&key_file, &c.key_pem, mode_t(0600)}, std::tuple{&cert_file, &c.cert_pem, mode_t(0644)}}) {
    if (force)
      write_file_atomically(*path, *content, mode);
    else if (!write_new_file(*path, *content, mode))
      pki_fail(refuse_message(*path));
  }
}

// ---- the CA ----------------------------------------------------------------------------------

struct CertificateAuthority::Impl {
  X509Ptr cert;
  PkeyPtr key;
  PkeyCtxPtr device_keygen;  // P-256 keygen context, reused for every device
  std::optional<uint64_t> serial_state;

  std::array<uint8_t, 16> next_serial() {
    std::array<uint8_t, 16> s{};
    if (serial_state) {
      for (int half = 0; half < 2; ++half) {
        uint64_t v = splitmix64_next(*serial_state);
        for (int i = 0; i < 8; ++i) s[half * 8 + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
      }
    } else if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1) {
      pki_fail_ssl("random serial number");
    }
    s[0] = static_cast<uint8_t>((s[0] & 0x7f) | 0x40);  // positive, always 16 octets
    return s;
  }
};

CertificateAuthority::CertificateAuthority(std::unique_ptr<Impl> impl, std::optional<KeyType> type)
    : impl_(std::move(impl)), key_type_(type) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

CertificateAuthority CertificateAuthority::create(KeyType type, std::string_view common_name, int validity_days,
                                                  std::optional<uint64_t> serial_seed) {
  const std::string what = "create CA \"" + std::string(common_name) + "\"";
  std::string cn = trim_cn(common_name, what.c_str());
  Window win = resolve_window(validity_days, std::nullopt, what.c_str());
  auto impl = std::make_unique<Impl>();
  impl->serial_state = serial_seed;
  impl->key = generate_key(make_keygen_ctx(type).get(), type);
  impl->cert = make_cert(impl->key.get(), nullptr, cn, nullptr, impl->key.get(), win, impl->next_serial(),
                         {{NID_basic_constraints, "critical,CA:TRUE"},
                          {NID_key_usage, "critical,keyCertSign,cRLSign"},
                          {NID_subject_key_identifier, "hash"}},
                         nullptr, what);
  return CertificateAuthority(std::move(impl), type);
}

CertificateAuthority CertificateAuthority::load(const std::filesystem::path& cert_file,
                                                const std::filesystem::path& key_file,
                                                std::optional<uint64_t> serial_seed) {
  auto impl = std::make_unique<Impl>();
  impl->serial_state = serial_seed;

  if (!std::filesystem::exists(cert_file)) pki_fail("load CA certificate " + cert_file.string() + ": file not found");
  if (!std::filesystem::exists(key_file)) pki_fail("load CA key " + key_file.string() + ": file not found");
  std::string cert_text = read_whole_file(cert_file);
  std::string key_text = read_whole_file(key_file);

  ERR_clear_error();
  impl->cert = pem_to_x509(cert_text);
  if (!impl->cert) pki_fail_ssl("load CA certificate " + cert_file.string() + ": not a PEM certificate");

  impl->key = pem_to_private_key(key_text);
  if (!impl->key) {
    bool encrypted = key_text.find("ENCRYPTED") != std::string::npos;
    pki_fail_ssl("load CA key " + key_file.string() +
                 (encrypted
                      ? ": encrypted keys are not supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.pem)"
                      : ": not a PEM private key"));
  }
  int base = EVP_PKEY_get_base_id(impl->key.get());
  if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC)
    pki_fail("load CA key " + key_file.string() + ": unsupported key algorithm " + OBJ_nid2sn(base) +
             " (RSA or EC needed)");
  if (X509_check_private_key(impl->cert.get(), impl->key.get()) != 1)
    pki_fail_ssl("load CA: key " + key_file.string() + " does not match certificate " + cert_file.string());
  if (X509_check_ca(impl->cert.get()) < 1)
    pki_fail("load CA certificate " + cert_file.string() + ": not a CA certificate (basicConstraints CA:TRUE missing)");
  ERR_clear_error();
  std::optional<KeyType> type = classify_key(impl->key.get());
  return CertificateAuthority(std::move(impl), type);
}

void CertificateAuthority::save(const std::filesystem::path& dir, bool force) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) pki_fail("save CA: create directory " + dir.string() + ": " + ec.message());
  IssuedCert c{cert_der(), cert_pem(), key_pem()};
  write_pem_files(c, cert_path(dir), key_path(dir), force);
}

void CertificateAuthority::set_serial_seed(uint64_t seed) { impl_->serial_state = seed; }

std::string CertificateAuthority::cert_pem() const { return cert_to_pem(impl_->cert.get()); }
std::string CertificateAuthority::key_pem() const { return key_to_pem(impl_->key.get()); }
std::vector<uint8_t> CertificateAuthority::cert_der() const { return cert_to_der(impl_->cert.get()); }
X509* CertificateAuthority::x509() const { return impl_->cert.get(); }
EVP_PKEY* CertificateAuthority::pkey() const { return impl_->key.get(); }

std::string CertificateAuthority::common_name() const {
  X509_NAME* n = X509_get_subject_name(impl_->cert.get());
  int idx = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
  if (idx < 0) return {};
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

IssuedCert CertificateAuthority::issue_server(std::string_view name, const std::vector<std::string>& sans, KeyType type,
                                              int validity_days, std::optional<ValidityWindow> window) {
  PkeyPtr key = generate_key(make_keygen_ctx(type).get(), type);
  return issue_server_for_key(name, sans, key_to_pem(key.get()), validity_days, window);
}

IssuedCert CertificateAuthority::issue_server_for_key(std::string_view name, const std::vector<std::string>& sans,
                                                      const std::string& key_pem, int validity_days,
                                                      std::optional<ValidityWindow> window) {
  const std::string what = "issue server certificate \"" + std::string(name) + "\"";
  std::string cn = trim_cn(name, what.c_str());
  Window win = resolve_window(validity_days, window, what.c_str());
  GenNamesPtr names = parse_sans(sans.empty() ? std::vector<std::string>{cn} : sans, what);
  PkeyPtr key = pem_to_private_key(key_pem);
  if (!key) pki_fail_ssl(what + ": the key is not a PEM private key");
  const bool ec = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC;
  const char* ku = ec ? "critical,digitalSignature" : "critical,digitalSignature,keyEncipherment";
  X509Ptr x = make_cert(key.get(), nullptr, cn, impl_->cert.get(), impl_->key.get(), win, impl_->next_serial(),
                        {{NID_basic_constraints, "CA:FALSE"},
                         {NID_key_usage, ku},
                         {NID_ext_key_usage, "serverAuth"},
                         {NID_subject_key_identifier, "hash"},
                         {NID_authority_key_identifier, "keyid:always"}},
                        names.get(), what);
  return IssuedCert{cert_to_der(x.get()), cert_to_pem(x.get()), key_pem};
}

DeviceCert CertificateAuthority::issue_device(std::string_view cn_in, int validity_days,
                                              std::optional<ValidityWindow> window) {
  const std::string what = "issue device certificate \"" + std::string(cn_in) + "\"";
  std::string cn = trim_cn(cn_in, what.c_str());
  Window win = resolve_window(validity_days, window, what.c_str());
  if (!impl_->device_keygen) impl_->device_keygen = make_keygen_ctx(KeyType::ec256);
  PkeyPtr key = generate_key(impl_->device_keygen.get(), KeyType::ec256);

  std::array<uint8_t, 65> point{};
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(),
                                      &point_len) != 1 ||
      point_len != point.size() || point[0] != 0x04)
    pki_fail_ssl(what + ": read public point");
  BIGNUM* priv = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1)
    pki_fail_ssl(what + ": read private scalar");
  BnPtr priv_owner(priv);
  std::array<uint8_t, 32> scalar{};
  if (BN_bn2binpad(priv, scalar.data(), static_cast<int>(scalar.size())) != 32)
    pki_fail_ssl(what + ": private scalar does not fit 32 bytes");
  return sign_device(cn, scalar, point, win.not_before, win.not_after, impl_->next_serial(), what);
}

DeviceCert CertificateAuthority::issue_device(std::string_view cn_in, Reproducible seeds, int validity_days) {
  const std::string what = "issue device certificate \"" + std::string(cn_in) + "\"";
  std::string cn = trim_cn(cn_in, what.c_str());
  if (validity_days <= 0) pki_fail(what + ": validity must be at least one day");
  // The scalar: SHA-256 of the seed and a counter, the first value in [1, n) (almost always the first).
  EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  BnPtr k(BN_new());
  EcPointPtr pub(group ? EC_POINT_new(group.get()) : nullptr);
  if (!group || !bn_ctx || !k || !pub) pki_fail_ssl(what + ": P-256");
  std::array<uint8_t, 32> scalar{};
  for (uint32_t counter = 0;; ++counter) {
    uint8_t in[12];
    for (int i = 0; i < 8; ++i) in[i] = static_cast<uint8_t>(seeds.key_seed >> (56 - 8 * i));
    for (int i = 0; i < 4; ++i) in[8 + i] = static_cast<uint8_t>(counter >> (24 - 8 * i));
    unsigned int len = 0;
    if (EVP_Digest(in, sizeof in, scalar.data(), &len, EVP_sha256(), nullptr) != 1 || len != 32)
      pki_fail_ssl(what + ": derive key");
    if (!BN_bin2bn(scalar.data(), 32, k.get())) pki_fail_ssl(what + ": derive key");
    if (!BN_is_zero(k.get()) && BN_cmp(k.get(), EC_GROUP_get0_order(group.get())) < 0) break;
  }
  std::array<uint8_t, 65> point{};
  if (EC_POINT_mul(group.get(), pub.get(), k.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, point.data(), point.size(),
                         bn_ctx.get()) != point.size())
    pki_fail_ssl(what + ": public point");

  time_t not_before = 0;
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notBefore(impl_->cert.get()), &tm) != 1) pki_fail_ssl(what + ": CA notBefore");
  not_before = timegm(&tm);
  uint64_t serial_state = seeds.serial_seed;
  std::array<uint8_t, 16> serial{};
  for (int half = 0; half < 2; ++half) {
    uint64_t v = splitmix64_next(serial_state);
    for (int i = 0; i < 8; ++i) serial[half * 8 + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  }
  serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);
  return sign_device(cn, scalar, point, not_before, not_before + time_t(validity_days) * 86400, serial, what);
}

DeviceCert CertificateAuthority::sign_device(const std::string& cn, const std::array<uint8_t, 32>& scalar,
                                             const std::array<uint8_t, 65>& point, time_t not_before, time_t not_after,
                                             const std::array<uint8_t, 16>& serial, const std::string& what) {
  DeviceCert d;
  d.private_scalar = scalar;
  X509Ptr x = make_cert(nullptr, &point, cn, impl_->cert.get(), impl_->key.get(), Window{not_before, not_after}, serial,
                        {{NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature"},
                         {NID_subject_key_identifier, "hash"},
                         {NID_authority_key_identifier, "keyid:always"},
                         {NID_ext_key_usage, "clientAuth"}},
                        nullptr, what);
  d.cert_der = cert_to_der(x.get());
  d.cert_pem = cert_to_pem(x.get());
  d.key_pem = p256_key_pem(d.private_scalar, point);
  return d;
}

std::vector<std::string> validity_problems(const std::vector<uint8_t>& der_certs,
                                           std::chrono::system_clock::time_point now) {
  std::vector<std::string> out;
  const unsigned char* p = der_certs.data();
  const unsigned char* end = p + der_certs.size();
  time_t t = std::chrono::system_clock::to_time_t(now);
  auto date = [](const ASN1_TIME* at) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(at, &tm) != 1) return std::string("an unreadable date");
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return std::string(buf);
  };
  for (int n = 1; p < end; ++n) {
    X509Ptr x(d2i_X509(nullptr, &p, long(end - p)));
    if (!x) pki_fail_ssl("certificate " + std::to_string(n) + ": not a DER certificate");
    char cn[256] = "?";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_commonName, cn, sizeof cn);
    std::string who = "certificate " + std::to_string(n) + " (CN=" + cn + ")";
    if (X509_cmp_time(X509_get0_notAfter(x.get()), &t) < 0)
      out.push_back(who + " expired on " + date(X509_get0_notAfter(x.get())));
    else if (X509_cmp_time(X509_get0_notBefore(x.get()), &t) > 0)
      out.push_back(who + " is not valid before " + date(X509_get0_notBefore(x.get())));
  }
  return out;
}

}  // namespace espfleet
