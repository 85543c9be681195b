// sim/broker/broker.h — the embedded broker: a real Mosquitto child on free loopback ports, with a
// generated config (TLS listener with client certificates, optional plain listener), started
// and stopped by pid, restartable on the same ports.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker_error.h"
#include "pki.h"
#include "ports.h"
#include "stale_brokers.h"
#include "subprocess.h"

namespace espfleet {

struct BrokerOptions {
  std::filesystem::path dir;       // working dir: mosquitto.conf, mosquitto.log, mosquitto.out
  std::filesystem::path cafile;    // CA that signs client certs (required with require_certificate)
  std::filesystem::path certfile;  // server certificate (PEM) of the TLS listener
  std::filesystem::path keyfile;   // its private key (PEM)
  bool require_certificate = true;
  bool use_identity_as_username = true;
  bool plain_listener = false;     // an extra plain MQTT listener on another free port
  std::string bind = "127.0.0.1";  // IPv4 address the listeners bind to

  // Beyond the basics:
  uint16_t tls_port = 0;           // 0: pick a free port
  uint16_t plain_port = 0;         // 0: pick a free port
  int max_keepalive = 65535;       // Mosquitto's default (applies to MQTT v5 clients only)
  int max_inflight_messages = 20;  // Mosquitto's default
  int max_queued_messages = 1000;  // Mosquitto's default
  bool tcp_nodelay = false;        // Mosquitto's default (Nagle on, like a stock broker)
  bool persistence = false;        // sessions and queued messages saved to dir/mosquitto.db on every change
  std::chrono::milliseconds ready_timeout{10000};
  bool use_sd_notify = true;              // readiness by NOTIFY_SOCKET; false: by probe connection only
  int bind_attempts = 5;                  // spawns tried when the port turns out to be taken
  std::filesystem::path mosquitto;        // empty: "mosquitto" from PATH, then /usr/sbin, /usr/local/sbin
  std::vector<std::string> extra_config;  // appended to the general section verbatim
};

// Generates the broker's PKI under DIR/pki from `ca`: ca.crt, server.crt, server.key (RSA or EC
// per `server_key`; SANs from loopback_server_sans(bind)), overwriting old files, and returns
// options with dir, cafile, certfile, keyfile and bind filled in.
BrokerOptions prepare_broker_pki(const std::filesystem::path& dir, CertificateAuthority& ca,
                                 KeyType server_key = KeyType::rsa2048, const std::string& bind = "127.0.0.1");

class EmbeddedBroker {
 public:
  EmbeddedBroker() = default;
  ~EmbeddedBroker();  // stop()
  EmbeddedBroker(EmbeddedBroker&&) noexcept = default;
  EmbeddedBroker& operator=(EmbeddedBroker&&) noexcept;
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // Writes DIR/mosquitto.conf, spawns mosquitto and returns once every listener accepts TCP
  // connections (bounded by ready_timeout). BrokerError with the log's last lines on failure.
  void start(const BrokerOptions& opts);
  // SIGTERM to our pid, up to 3 s, then SIGKILL; reaps. No-op when not running.
  void stop();
  // stop() then start() with the same options and the same ports.
  void restart();
  // kill -9 (no goodbye to its clients: the kernel resets their connections), reaped.
  void kill_now();
  // A signal to the running broker (SIGSTOP, SIGCONT); no-op when not running.
  void signal(int sig);
  bool running();

  uint16_t tls_port() const { return tls_port_; }
  uint16_t plain_port() const { return plain_port_; }  // 0 without a plain listener
  pid_t pid() const { return proc_.pid(); }            // -1 when not running
  const std::string& host() const { return host_; }    // address clients connect to
  const BrokerOptions& options() const { return opts_; }
  std::filesystem::path config_path() const { return opts_.dir / "mosquitto.conf"; }
  std::filesystem::path log_path() const { return opts_.dir / "mosquitto.log"; }
  std::chrono::milliseconds last_start_duration() const { return start_duration_; }
  std::optional<ExitStatus> last_exit() const { return last_exit_; }
  // The last `lines` lines of mosquitto.log (and of its stdout/stderr capture).
  std::string log_tail(size_t lines = 20) const;

 private:
  std::string render_config() const;
  void check_options() const;

  BrokerOptions opts_;
  Subprocess proc_;
  std::string host_;
  uint16_t tls_port_ = 0;
  uint16_t plain_port_ = 0;
  std::chrono::milliseconds start_duration_{0};
  std::optional<ExitStatus> last_exit_;
};

}  // namespace espfleet
