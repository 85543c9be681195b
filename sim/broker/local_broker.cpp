// sim/local_broker.cpp — CA, server certificate, Mosquitto: see local_broker.h.
#include "local_broker.h"

namespace espfleet {

LocalBroker start_local_broker(const LocalBrokerOptions& o) {
  CertificateAuthority ca = CertificateAuthority::create(KeyType::rsa2048, o.ca_name, kCaValidityDays, o.seed);
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
  auto broker = std::make_unique<EmbeddedBroker>();
  broker->start(bo);
  return LocalBroker{std::move(ca), std::move(server), std::move(broker)};
}

}  // namespace espfleet
