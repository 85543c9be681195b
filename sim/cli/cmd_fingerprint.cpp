// sim/cli/cmd_fingerprint.cpp — `espfleet fingerprint`: the Tasmota v2 fingerprint of a server
// certificate, read from a file (PEM or DER) or taken from a live TLS server with OpenSSL libssl
// (handshake without verification: the point is to learn the key, as Tasmota's auto-learn does).
#include "cmd_fingerprint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "cli_error.h"
#include "fingerprint.h"
#include "fingerprint_text.h"
#include "pki.h"
#include "units.h"

namespace espfleet {

namespace {

// A socket closed when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// ---- from a TLS server -------------------------------------------------------------------

struct Peer {
  std::string host, port;
  std::string str() const { return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port; }
};

Peer parse_peer(std::string s) {
  for (const char* scheme : {"mqtts://", "ssl://", "tls://"})
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::strlen(scheme));
  Peer p;
  size_t colon;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) throw CliError("--connect '" + s + "': missing ']' after an IPv6 address");
    p.host = s.substr(1, close - 1);
    colon = close + 1 < s.size() && s[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    colon = s.rfind(':');
    p.host = s.substr(0, colon);
  }
  if (colon == std::string::npos) throw CliError("--connect '" + s + "': wants HOST:PORT, e.g. mqtt.lan:8883");
  p.port = s.substr(colon + 1);
  const bool digits = !p.port.empty() && p.port.size() <= 5 &&
                      std::all_of(p.port.begin(), p.port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (p.host.empty() || !digits || std::stoi(p.port) < 1 || std::stoi(p.port) > 65535)
    throw CliError("--connect '" + s + "': wants HOST:PORT with a port 1-65535, e.g. mqtt.lan:8883");
  return p;
}

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  pollfd pfd{fd, events, 0};
  for (;;) {
    int r = ::poll(&pfd, 1, ms_left(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A non-blocking TCP connection to the first address that answers.
int tcp_connect(const Peer& peer, Clock::time_point deadline, const std::string& timeout_str) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(peer.host.c_str(), peer.port.c_str(), &hints, &res); rc != 0)
    throw CliError(peer.str() + ": cannot resolve '" + peer.host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(res, freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Fd s{::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)};
    if (s.fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(s.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = std::strerror(errno);
        continue;
      }
      if (!wait_fd(s.fd, POLLOUT, deadline))
        throw CliError(peer.str() + ": TCP connect timed out after " + timeout_str);
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    int fd = s.fd;
    s.fd = -1;
    return fd;
  }
  throw CliError(peer.str() + ": cannot connect: " + last);
}

X509Ptr fetch_leaf(const Peer& peer, Duration timeout) {
  const std::string timeout_str = format_duration(timeout);
  const Clock::time_point deadline = Clock::now() + std::chrono::microseconds(timeout.us);
  ::signal(SIGPIPE, SIG_IGN);  // a peer that hangs up mid-handshake must not kill the process
  Fd sock{tcp_connect(peer, deadline, timeout_str)};

  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw CliError("OpenSSL: cannot create a TLS context: " + openssl_errors());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // learning the key, not trusting it
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), sock.fd) != 1) throw CliError("OpenSSL: cannot set up TLS: " + openssl_errors());
  unsigned char addr[16];
  if (inet_pton(AF_INET, peer.host.c_str(), addr) != 1 && inet_pton(AF_INET6, peer.host.c_str(), addr) != 1)
    SSL_set_tlsext_host_name(ssl.get(), peer.host.c_str());  // SNI, as BearSSL sends it

  for (;;) {
    ERR_clear_error();
    int r = SSL_connect(ssl.get());
    if (r == 1) break;
    int err = SSL_get_error(ssl.get(), r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(sock.fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline))
        throw CliError(peer.str() + ": TLS handshake timed out after " + timeout_str);
      continue;
    }
    std::string why = openssl_errors();
    if (why.empty()) why = "the peer closed the connection during the handshake (is it a TLS port?)";
    throw CliError(peer.str() + ": TLS handshake failed: " + why);
  }
  X509Ptr leaf(SSL_get1_peer_certificate(ssl.get()));
  if (!leaf) throw CliError(peer.str() + ": the server sent no certificate");
  SSL_shutdown(ssl.get());  // best effort close_notify
  return leaf;
}

// ---- output ------------------------------------------------------------------------------

std::string subject_of(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
  return bio_to_string(bio.get());
}

std::string key_of(X509* x) {
  EVP_PKEY* k = X509_get0_pubkey(x);
  if (!k) return "unknown";
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
      return "RSA-" + std::to_string(EVP_PKEY_get_bits(k));
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &len) == 1) {
        const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
        return std::string("EC-") + (nist ? nist : group);
      }
      return "EC-" + std::to_string(EVP_PKEY_get_bits(k));
    }
    default:
      return OBJ_nid2sn(EVP_PKEY_get_base_id(k));
  }
}

}  // namespace

CLI::App* add_fingerprint_command(CLI::App& app, FingerprintOptions& o) {
  CLI::App* c = app.add_subcommand(
      "fingerprint", "Print a server key's Tasmota fingerprint (v2) and the MqttFingerprint command that sets it");
  c->add_option("CERT", o.cert,
                "Server certificate file (PEM or DER). Not a fingerprint: given `openssl x509 -fingerprint` output "
                "(a SHA-256 or SHA-1 of the whole certificate), it says what Tasmota would make of it");
  c->add_option("--connect", o.connect, "Take the certificate from the TLS server at HOST:PORT instead (not verified)");
  c->add_option("--timeout", o.timeout, "Time limit for --connect (TCP connect and handshake)")->capture_default_str();
  c->add_option("--slot", o.slot, "Fingerprint slot for the command: 1 (MqttFingerprint1) or 2")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  c->add_flag("--json", o.json, "Print {\"fingerprint\", \"command\", \"subject\", \"key\", \"source\"}");
  c->footer(
      "Tasmota's MqttFingerprint1/2 take the SHA-1 of the server's public key (fingerprint v2) as 20 hex bytes\n"
      "separated by spaces, as printed here. The command reads them with strtol(p, &p, 16) twenty times: a colon\n"
      "stops the parse (\"AA:BB:...\" stores AA 00 00 ...), and an argument of 60 characters or more - such as\n"
      "the 95-character SHA-256 fingerprint `openssl x509 -fingerprint -sha256` prints - is ignored.");
  return c;
}

int cmd_fingerprint(const FingerprintOptions& o) {
  try {
    if (o.cert.empty() == o.connect.empty())
      throw CliError(o.cert.empty() ? "give a certificate file or --connect HOST:PORT"
                                    : "give a certificate file or --connect HOST:PORT, not both");
    X509Ptr x;
    std::string source;
    if (!o.connect.empty()) {
      Duration timeout;
      try {
        timeout = parse_duration(o.timeout);
      } catch (const std::exception& e) {
        throw CliError(std::string("--timeout: ") + e.what());
      }
      if (timeout.us <= 0) throw CliError("--timeout must be more than 0s");
      Peer peer = parse_peer(o.connect);
      x = fetch_leaf(peer, timeout);
      source = peer.str();
    } else {
      // A fingerprint pasted where the certificate goes — typically the `openssl x509
      // -fingerprint -sha256` string guides give for MqttFingerprint1: say what Tasmota would
      // make of it, and what this command wants instead.
      std::error_code ec;
      if (!std::filesystem::exists(o.cert, ec) && looks_like_fingerprint_text(o.cert)) {
        std::optional<std::string> problem = fingerprint_form_problem(o.cert, o.slot - 1);
        throw CliError("CERT '" + o.cert + "' is not a file but a fingerprint: " +
                       (problem ? *problem
                                : "already in the form MqttFingerprint" + std::to_string(o.slot) +
                                      " takes (20 space-separated hex bytes). This command computes one from the "
                                      "server's certificate: give its PEM or DER file, or --connect HOST:PORT"));
      }
      x = read_certificate_file(o.cert);
      source = o.cert;
    }
    std::vector<uint8_t> der = cert_to_der(x.get());
    std::string error;
    std::optional<Fingerprint> fp = fingerprint_v2_of_cert_der(der, &error);
    if (!fp) throw CliError(source + ": " + error);

    const std::string text = format_fingerprint(*fp);
    const std::string command = "MqttFingerprint" + std::to_string(o.slot) + " " + text;
    if (o.json) {
      nlohmann::ordered_json j;
      j["fingerprint"] = text;
      j["command"] = command;
      j["subject"] = subject_of(x.get());
      j["key"] = key_of(x.get());
      j["source"] = source;
      std::cout << j.dump() << "\n";
    } else {
      std::cout << text << "\n" << command << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    return report_command_error("fingerprint", e);
  }
}

}  // namespace espfleet
