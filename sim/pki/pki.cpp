// sim/pki.cpp — CA, server and device certificates with OpenSSL 3 libcrypto (see pki.h).
// Device issuing reuses the CA key and one P-256 key-generation context, so a fleet's worth
// of certificates costs about one CA signature each.
#include "pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace espfleet {

namespace {

// ---- error helpers -------------------------------------------------------------------------

// Drains OpenSSL's error queue into one line.
std::string openssl_errors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("no OpenSSL error reported") : out;
}

// "pki: <what>: <openssl errors>"
[[noreturn]] void fail_ssl(const std::string& what) {
  throw PkiError("pki: " + what + ": " + openssl_errors());
}

[[noreturn]] void fail(const std::string& what) {
  ERR_clear_error();
  throw PkiError("pki: " + what);
}

// ---- RAII ----------------------------------------------------------------------------------

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using X509Ptr = std::unique_ptr<X509, Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;
using BnPtr = std::unique_ptr<BIGNUM, Free>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, Free>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Free>;
using GenNamesPtr = std::unique_ptr<GENERAL_NAMES, Free>;

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

// ---- keys ----------------------------------------------------------------------------------

PkeyCtxPtr make_keygen_ctx(KeyType type) {
  bool ec = type == KeyType::ec256;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, ec ? "EC" : "RSA", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0)
    fail_ssl("key generation setup (" + std::string(key_type_name(type)) + ")");
  int ok = ec ? EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256")
              : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), type == KeyType::rsa4096 ? 4096 : 2048);
  if (ok <= 0) fail_ssl("key generation parameters (" + std::string(key_type_name(type)) + ")");
  return ctx;
}

PkeyPtr generate_key(EVP_PKEY_CTX* ctx, KeyType type) {
  EVP_PKEY* k = nullptr;
  if (EVP_PKEY_generate(ctx, &k) <= 0)
    fail_ssl("generate " + std::string(key_type_name(type)) + " key");
  return PkeyPtr(k);
}

std::string key_to_pem(EVP_PKEY* k) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail_ssl("encode private key as PEM");
  return bio_to_string(bio.get());
}

// PKCS#8 PrivateKeyInfo of a P-256 key, laid out as OpenSSL writes it (RFC 5208 around an
// RFC 5915 ECPrivateKey whose curve sits in the AlgorithmIdentifier). Built directly: going
// through PEM_write_bio_PrivateKey costs an encoder lookup per key.
std::string p256_key_pem(const std::array<uint8_t, 32>& scalar, const std::array<uint8_t, 65>& point) {
  static constexpr uint8_t head[] = {
      0x30, 0x81, 0x87,                                                  // PrivateKeyInfo, 135
      0x02, 0x01, 0x00,                                                  //   version 0
      0x30, 0x13,                                                        //   AlgorithmIdentifier
      0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,              //     id-ecPublicKey
      0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,        //     prime256v1
      0x04, 0x6d,                                                        //   OCTET STRING, 109
      0x30, 0x6b,                                                        //     ECPrivateKey, 107
      0x02, 0x01, 0x01,                                                  //       version 1
      0x04, 0x20};                                                       //       privateKey, 32
  static constexpr uint8_t mid[] = {0xa1, 0x44, 0x03, 0x42, 0x00};       //       [1] BIT STRING, 65
  std::vector<uint8_t> der;
  der.reserve(sizeof head + scalar.size() + sizeof mid + point.size());
  der.insert(der.end(), head, head + sizeof head);
  der.insert(der.end(), scalar.begin(), scalar.end());
  der.insert(der.end(), mid, mid + sizeof mid);
  der.insert(der.end(), point.begin(), point.end());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), "PRIVATE KEY", "", der.data(), static_cast<long>(der.size())) <= 0)
    fail_ssl("encode P-256 private key as PEM");
  OPENSSL_cleanse(der.data(), der.size());
  return bio_to_string(bio.get());
}

std::string cert_to_pem(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x) != 1) fail_ssl("encode certificate as PEM");
  return bio_to_string(bio.get());
}

std::vector<uint8_t> cert_to_der(X509* x) {
  int len = i2d_X509(x, nullptr);
  if (len <= 0) fail_ssl("encode certificate as DER");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509(x, &p) != len) fail_ssl("encode certificate as DER");
  return der;
}

// Never prompt on the terminal for a passphrase.
int no_passphrase(char*, int, int, void*) { return -1; }

// ---- serial numbers ------------------------------------------------------------------------

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// ---- certificate assembly ------------------------------------------------------------------

std::string trim_cn(std::string_view cn, const char* what) {
  if (cn.empty()) fail(std::string(what) + ": empty common name");
  if (cn.size() > 64) fail(std::string(what) + ": common name longer than 64 characters: " + std::string(cn));
  return std::string(cn);
}

struct Window {
  time_t not_before;
  time_t not_after;
};

Window resolve_window(int validity_days, const std::optional<ValidityWindow>& w, const char* what) {
  if (w) {
    Window r{static_cast<time_t>(w->not_before.time_since_epoch().count()),
             static_cast<time_t>(w->not_after.time_since_epoch().count())};
    if (r.not_after <= r.not_before) fail(std::string(what) + ": validity window ends before it starts");
    return r;
  }
  if (validity_days <= 0) fail(std::string(what) + ": validity must be at least one day");
  time_t now = ::time(nullptr);
  // Backdated one hour so a device whose clock is slightly behind still accepts it.
  return Window{now - 3600, now + static_cast<time_t>(validity_days) * 86400};
}

void add_ext(X509* x, X509V3_CTX* ctx, int nid, const char* value, const std::string& what) {
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1)
    fail_ssl(what + ": extension " + OBJ_nid2sn(nid) + "=" + value);
}

// The certificate body, signed at the end: subject key, CN, issuer (self when null), window.
// `exts` are (nid, OpenSSL extension config value) applied in order.
// The subject key is either `subject_key` or, when `p256_point` is given, that uncompressed
// P-256 point written straight into the SubjectPublicKeyInfo: X509_set_pubkey goes through
// OpenSSL 3's encoder and decoder lookups (~0.2 ms, more than the rest of a device cert).
X509Ptr make_cert(EVP_PKEY* subject_key, const std::array<uint8_t, 65>* p256_point, const std::string& cn,
                  X509* issuer, EVP_PKEY* issuer_key, const Window& win,
                  const std::array<uint8_t, 16>& serial,
                  const std::vector<std::pair<int, const char*>>& exts,
                  GENERAL_NAMES* sans, const std::string& what) {
  X509Ptr x(X509_new());
  if (!x) fail_ssl(what + ": X509_new");
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) fail_ssl(what + ": set version");

  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  AsnIntPtr asn_serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!asn_serial || X509_set_serialNumber(x.get(), asn_serial.get()) != 1)
    fail_ssl(what + ": set serial number");

  X509_NAME* subject = X509_get_subject_name(x.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1)
    fail_ssl(what + ": subject CN=" + cn);
  if (X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : subject) != 1)
    fail_ssl(what + ": set issuer name");

  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), win.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), win.not_after))
    fail_ssl(what + ": set validity");
  if (p256_point) {
    auto* penc = static_cast<unsigned char*>(OPENSSL_memdup(p256_point->data(), p256_point->size()));
    if (!penc || X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x.get()), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                                        V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), penc,
                                        static_cast<int>(p256_point->size())) != 1) {
      OPENSSL_free(penc);
      fail_ssl(what + ": set public key");
    }
  } else if (X509_set_pubkey(x.get(), subject_key) != 1) {
    fail_ssl(what + ": set public key");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : exts) add_ext(x.get(), &ctx, nid, value, what);
  if (sans && X509_add1_ext_i2d(x.get(), NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT) != 1)
    fail_ssl(what + ": subjectAltName");

  if (X509_sign(x.get(), issuer_key, EVP_sha256()) <= 0) fail_ssl(what + ": sign");
  return x;
}

GenNamesPtr parse_sans(const std::vector<std::string>& sans, const std::string& what) {
  GenNamesPtr names(GENERAL_NAMES_new());
  if (!names) fail_ssl(what + ": GENERAL_NAMES_new");
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
    if (value.empty()) fail(what + ": empty subjectAltName entry \"" + raw + "\"");
    unsigned char addr[16];
    int addr_len = 0;
    if (kind != dns) {
      if (inet_pton(AF_INET, value.c_str(), addr) == 1) addr_len = 4;
      else if (inet_pton(AF_INET6, value.c_str(), addr) == 1) addr_len = 16;
      else if (kind == ip) fail(what + ": not an IP address in subjectAltName \"" + raw + "\"");
    }
    if (!addr_len) {
      for (char c : value)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
          fail(what + ": invalid character in DNS name \"" + value + "\"");
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!gn) fail_ssl(what + ": GENERAL_NAME_new");
    bool ok;
    if (addr_len) {
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      ok = os && ASN1_OCTET_STRING_set(os, addr, addr_len) == 1;
      if (ok) GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
      else ASN1_OCTET_STRING_free(os);
    } else {
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      ok = ia5 && ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) == 1;
      if (ok) GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
      else ASN1_IA5STRING_free(ia5);
    }
    if (!ok || sk_GENERAL_NAME_push(names.get(), gn) <= 0) {
      GENERAL_NAME_free(gn);
      fail_ssl(what + ": subjectAltName entry " + raw);
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

}  // namespace

// ---- key types -------------------------------------------------------------------------------

KeyType parse_key_type(std::string_view s) {
  if (std::optional<KeyType> t = enum_parse(kKeyTypeNames, s)) return *t;
  throw PkiError("pki: unknown key type \"" + std::string(s) + "\" (expected " + enum_choices(kKeyTypeNames) + ")");
}

// ---- base64 ----------------------------------------------------------------------------------

std::string base64(const uint8_t* data, size_t len) {
  if (len == 0) return {};
  if (len > (1u << 30)) fail("base64: input too large");
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<uint8_t> base64_decode(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() % 4 != 0) fail("base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool pad_ok = c == '=' && i >= text.size() - 2 && (i == text.size() - 1 || text[i + 1] == '=');
    if (!alpha && !pad_ok) fail("base64: invalid character at offset " + std::to_string(i));
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) fail_ssl("base64 decode");
  size_t pad = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

std::string DeviceCert::tls_key1() const { return base64(private_scalar.data(), private_scalar.size()); }
std::string DeviceCert::tls_key2() const { return base64(cert_der); }

std::vector<std::string> loopback_server_sans(std::string_view bind) {
  std::vector<std::string> sans = {"DNS:localhost", "IP:127.0.0.1", "DNS:127.0.0.1"};
  if (!bind.empty() && bind != "127.0.0.1" && bind != "localhost" && bind != "0.0.0.0") {
    unsigned char tmp[16];
    std::string b(bind);
    if (inet_pton(AF_INET, b.c_str(), tmp) == 1 || inet_pton(AF_INET6, b.c_str(), tmp) == 1)
      sans.push_back("IP:" + b);
    sans.push_back("DNS:" + b);
  }
  return sans;
}

// ---- files -----------------------------------------------------------------------------------

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail("read " + path.string() + ": I/O error");
  return ss.str();
}

namespace {

void write_fd_all(int fd, std::string_view content, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      fail("write " + path.string() + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
}

std::string refuse_message(const std::filesystem::path& p) {
  return "refusing to overwrite existing file " + p.string() + " (pass force to replace it)";
}

}  // namespace

void write_output_file(const std::filesystem::path& path, std::string_view content, bool secret,
                       bool force) {
  mode_t mode = secret ? 0600 : 0644;
  if (!force) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
      if (errno == EEXIST) fail(refuse_message(path));
      fail("create " + path.string() + ": " + std::strerror(errno));
    }
    if (secret) ::fchmod(fd, mode);
    try {
      write_fd_all(fd, content, path);
    } catch (...) {
      ::unlink(path.c_str());
      throw;
    }
    if (::close(fd) != 0) {
      int e = errno;
      ::unlink(path.c_str());
      fail("close " + path.string() + ": " + std::strerror(e));
    }
    return;
  }
  // Forced: write a sibling temporary file, then rename over the target.
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail("create " + tmp.string() + ": " + std::strerror(errno));
  if (secret) ::fchmod(fd, mode);
  try {
    write_fd_all(fd, content, tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail("replace " + path.string() + ": " + std::strerror(e));
  }
}

void write_pem_files(const IssuedCert& c, const std::filesystem::path& cert_file,
                     const std::filesystem::path& key_file, bool force) {
  if (cert_file == key_file) fail("certificate and key file are the same path: " + cert_file.string());
  for (const auto* p : {&cert_file, &key_file}) {
    if (p->has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(p->parent_path(), ec);
      if (ec) fail("create directory " + p->parent_path().string() + ": " + ec.message());
    }
    if (!force && std::filesystem::exists(*p)) fail(refuse_message(*p));
  }
  write_output_file(key_file, c.key_pem, true, force);
  write_output_file(cert_file, c.cert_pem, false, force);
}

// ---- the CA ----------------------------------------------------------------------------------

struct CertificateAuthority::Impl {
  X509Ptr cert;
  PkeyPtr key;
  PkeyCtxPtr device_keygen;          // P-256 keygen context, reused for every device
  std::optional<uint64_t> serial_state;

  std::array<uint8_t, 16> next_serial() {
    std::array<uint8_t, 16> s{};
    if (serial_state) {
      for (int half = 0; half < 2; ++half) {
        uint64_t v = splitmix64(*serial_state);
        for (int i = 0; i < 8; ++i) s[half * 8 + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
      }
    } else if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1) {
      fail_ssl("random serial number");
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

CertificateAuthority CertificateAuthority::create(KeyType type, std::string_view common_name,
                                                  int validity_days,
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

  if (!std::filesystem::exists(cert_file)) fail("load CA certificate " + cert_file.string() + ": file not found");
  if (!std::filesystem::exists(key_file)) fail("load CA key " + key_file.string() + ": file not found");
  std::string cert_text = read_whole_file(cert_file);
  std::string key_text = read_whole_file(key_file);

  ERR_clear_error();
  BioPtr cbio(BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size())));
  impl->cert.reset(cbio ? PEM_read_bio_X509(cbio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!impl->cert) fail_ssl("load CA certificate " + cert_file.string() + ": not a PEM certificate");

  BioPtr kbio(BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())));
  impl->key.reset(kbio ? PEM_read_bio_PrivateKey(kbio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!impl->key) {
    bool encrypted = key_text.find("ENCRYPTED") != std::string::npos;
    fail_ssl("load CA key " + key_file.string() +
             (encrypted ? ": encrypted keys are not supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.pem)"
                        : ": not a PEM private key"));
  }
  int base = EVP_PKEY_get_base_id(impl->key.get());
  if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC)
    fail("load CA key " + key_file.string() + ": unsupported key algorithm " +
         OBJ_nid2sn(base) + " (RSA or EC needed)");
  if (X509_check_private_key(impl->cert.get(), impl->key.get()) != 1)
    fail_ssl("load CA: key " + key_file.string() + " does not match certificate " + cert_file.string());
  if (X509_check_ca(impl->cert.get()) < 1)
    fail("load CA certificate " + cert_file.string() + ": not a CA certificate (basicConstraints CA:TRUE missing)");
  ERR_clear_error();
  std::optional<KeyType> type = classify_key(impl->key.get());
  return CertificateAuthority(std::move(impl), type);
}

void CertificateAuthority::save(const std::filesystem::path& dir, bool force) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("save CA: create directory " + dir.string() + ": " + ec.message());
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

IssuedCert CertificateAuthority::issue_server(std::string_view name, const std::vector<std::string>& sans,
                                              KeyType type, int validity_days,
                                              std::optional<ValidityWindow> window) {
  const std::string what = "issue server certificate \"" + std::string(name) + "\"";
  std::string cn = trim_cn(name, what.c_str());
  Window win = resolve_window(validity_days, window, what.c_str());
  GenNamesPtr names = parse_sans(sans.empty() ? std::vector<std::string>{cn} : sans, what);
  PkeyPtr key = generate_key(make_keygen_ctx(type).get(), type);
  const char* ku = type == KeyType::ec256 ? "critical,digitalSignature"
                                          : "critical,digitalSignature,keyEncipherment";
  X509Ptr x = make_cert(key.get(), nullptr, cn, impl_->cert.get(), impl_->key.get(), win, impl_->next_serial(),
                        {{NID_basic_constraints, "CA:FALSE"},
                         {NID_key_usage, ku},
                         {NID_ext_key_usage, "serverAuth"},
                         {NID_subject_key_identifier, "hash"},
                         {NID_authority_key_identifier, "keyid:always"}},
                        names.get(), what);
  return IssuedCert{cert_to_der(x.get()), cert_to_pem(x.get()), key_to_pem(key.get())};
}

DeviceCert CertificateAuthority::issue_device(std::string_view cn_in, int validity_days,
                                              std::optional<ValidityWindow> window) {
  const std::string what = "issue device certificate \"" + std::string(cn_in) + "\"";
  std::string cn = trim_cn(cn_in, what.c_str());
  Window win = resolve_window(validity_days, window, what.c_str());
  if (!impl_->device_keygen) impl_->device_keygen = make_keygen_ctx(KeyType::ec256);
  PkeyPtr key = generate_key(impl_->device_keygen.get(), KeyType::ec256);

  DeviceCert d;
  std::array<uint8_t, 65> point{};
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &point_len) != 1 ||
      point_len != point.size() || point[0] != 0x04)
    fail_ssl(what + ": read public point");
  BIGNUM* priv = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1) fail_ssl(what + ": read private scalar");
  BnPtr priv_owner(priv);
  if (BN_bn2binpad(priv, d.private_scalar.data(), static_cast<int>(d.private_scalar.size())) != 32)
    fail_ssl(what + ": private scalar does not fit 32 bytes");

  X509Ptr x = make_cert(nullptr, &point, cn, impl_->cert.get(), impl_->key.get(), win, impl_->next_serial(),
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
    if (!x) fail_ssl("certificate " + std::to_string(n) + ": not a DER certificate");
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
