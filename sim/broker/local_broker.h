// sim/broker/local_broker.h — the embedded broker with its generated PKI, as `espfleet run` and
// `espfleet profile` start it: a seeded CA, a server certificate for localhost and the loopback
// addresses, both saved as PEM, and a Mosquitto on free loopback ports that trusts the CA.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "broker.h"
#include "pki.h"

namespace espfleet {

struct LocalBrokerOptions {
  std::filesystem::path pki_dir;     // ca.crt/ca.key, server.crt/server.key go here
  std::filesystem::path broker_dir;  // Mosquitto's config and log
  std::string ca_name;               // the CA's common name
  std::filesystem::path ca_dir;      // use the CA in ca_dir (ca.crt, ca.key) instead of creating one
  uint64_t seed = 1;                 // serial numbers (reproducible)
  KeyType server_key = KeyType::rsa2048;
  bool require_certificate = false;  // client certificates required, CN = username
  bool plain_listener = false;       // a plain MQTT listener besides TLS
  bool persistence = false;          // Mosquitto keeps its state on disk (BrokerOptions::persistence)
};

struct LocalBroker {
  CertificateAuthority ca;
  IssuedCert server;
  std::unique_ptr<EmbeddedBroker> broker;
};

// Throws PkiError / BrokerError with the file or the reason.
LocalBroker start_local_broker(const LocalBrokerOptions& o);

// The broker's listener certificate renewed by `ca` — for its key (`new_key` false: pinned key
// fingerprints stay valid) or a new one of `type` — written over its certfile and keyfile, and
// the running broker told with SIGHUP (Mosquitto 2 reloads listener certificates then; the
// connections it has stay, new handshakes get the new certificate). Returns it.
IssuedCert rotate_server_certificate(CertificateAuthority& ca, EmbeddedBroker& broker, bool new_key, KeyType type);

// A CA rotation: a new CA (RSA-2048, its serials from `seed`) written to `dir` (ca.crt, ca.key),
// which issues the broker's listener certificate from then on, as rotate_server_certificate. The
// broker's own CA file, which checks the devices' client certificates, stays. Returns the CA.
CertificateAuthority rotate_certificate_authority(const std::filesystem::path& dir, EmbeddedBroker& broker,
                                                  bool new_key, KeyType type, uint64_t seed);

}  // namespace espfleet
