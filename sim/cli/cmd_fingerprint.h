// sim/cli/cmd_fingerprint.h — `espfleet fingerprint CERT` and `espfleet fingerprint --connect
// HOST:PORT`: the server key's Tasmota v2 fingerprint and the MqttFingerprint command to set it.
#pragma once
#include <string>

namespace CLI {
class App;
}

namespace espfleet {

struct FingerprintOptions {
  std::string cert;            // CERT: PEM (first certificate) or DER file
  std::string connect;         // --connect HOST:PORT: fingerprint the leaf a TLS server presents
  std::string timeout = "5s";  // --timeout for --connect (TCP connect + handshake)
  int slot = 1;                // --slot 1|2: MqttFingerprint1 or MqttFingerprint2
  bool json = false;           // --json
};

// Adds `fingerprint` to `app`; returns it.
CLI::App* add_fingerprint_command(CLI::App& app, FingerprintOptions& o);
// Prints the fingerprint (20 space-separated hex bytes) and `MqttFingerprintN <fp>`, or with
// --json {"fingerprint", "command", "subject", "key"}. 0 on success; 2 with a message naming
// the file or peer on stderr (unreadable, not a certificate, not an RSA key, no connection, or
// a fingerprint given as CERT: what it is and what Tasmota's MqttFingerprint would make of it).
int cmd_fingerprint(const FingerprintOptions& o);

}  // namespace espfleet
