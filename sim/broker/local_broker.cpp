// sim/broker/local_broker.cpp — CA, server certificate, Mosquitto: see local_broker.h.
#include "local_broker.h"

#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "input_file.h"

namespace espfleet {

LocalBroker start_local_broker(const LocalBrokerOptions& o) {
  // The PKI folder holds the CA's and the broker's private keys: for the owner only.
  std::error_code ec;
  std::filesystem::create_directories(o.pki_dir, ec);
  if (ec || ::chmod(o.pki_dir.c_str(), 0700) != 0)
    throw PkiError("pki: create " + o.pki_dir.string() + ": " + (ec ? ec.message() : std::strerror(errno)));
  CertificateAuthority ca = o.ca_dir.empty()
                                ? CertificateAuthority::create(KeyType::rsa2048, o.ca_name, kCaValidityDays, o.seed)
                                : CertificateAuthority::load(CertificateAuthority::cert_path(o.ca_dir),
                                                             CertificateAuthority::key_path(o.ca_dir), o.seed);
  ca.save(o.pki_dir, true);
  IssuedCert server = ca.issue_server("localhost", loopback_server_sans(), o.server_key);
  write_pem_files(server, o.pki_dir / "server.crt", o.pki_dir / "server.key", true);
  BrokerOptions bo;
  bo.dir = o.broker_dir;
  bo.cafile = CertificateAuthority::cert_path(o.pki_dir);
  bo.certfile = o.pki_dir / "server.crt";
  bo.keyfile = o.pki_dir / "server.key";
  bo.require_certificate = o.require_certificate;
  bo.use_identity_as_username = o.require_certificate;
  bo.plain_listener = o.plain_listener;
  bo.persistence = o.persistence;
  auto broker = std::make_unique<EmbeddedBroker>();
  broker->start(bo);
  return LocalBroker{std::move(ca), std::move(server), std::move(broker)};
}

IssuedCert rotate_server_certificate(CertificateAuthority& ca, EmbeddedBroker& broker, bool new_key, KeyType type) {
  const BrokerOptions& o = broker.options();
  IssuedCert server;
  if (new_key) {
    server = ca.issue_server("localhost", loopback_server_sans(), type);
  } else {
    server = ca.issue_server_for_key("localhost", loopback_server_sans(), read_whole_file(o.keyfile));
  }
  write_pem_files(server, o.certfile, o.keyfile, true);
  broker.signal(SIGHUP);
  return server;
}

CertificateAuthority rotate_certificate_authority(const std::filesystem::path& dir, EmbeddedBroker& broker,
                                                  bool new_key, KeyType type, uint64_t seed) {
  CertificateAuthority ca =
      CertificateAuthority::create(KeyType::rsa2048, "espfleet run CA (rotated)", kCaValidityDays, seed);
  ca.save(dir, true);
  rotate_server_certificate(ca, broker, new_key, type);
  return ca;
}

}  // namespace espfleet
