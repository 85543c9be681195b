// sim/cli/cmd_pki.h — `espfleet pki init|server|device`: a CA, broker certificates and per-device
// client certificates in a directory, with the Tasmota console commands for each device.
#pragma once
#include <string>
#include <vector>

#include "key_type.h"

namespace CLI {
class App;
}

namespace espfleet {

struct PkiOptions {
  std::string dir = ".";           // --dir: where ca.crt/ca.key live and NAME.crt/NAME.key go
  std::string name;                // NAME (server, device)
  KeyType key = KeyType::rsa2048;  // --key
  std::string cn;                  // --cn (init)
  std::vector<std::string> sans;   // --san (server)
  int days = 0;                    // --days; 0 = the default of the certificate kind
  std::string ca_cert;             // --ca-cert (device)
  std::string ca_key;              // --ca-key (device)
  bool force = false;              // --force: replace existing files
  CLI::App* init = nullptr;        // the subcommands, to tell which one was given
  CLI::App* server = nullptr;
  CLI::App* device = nullptr;
};

// Adds `pki` and its subcommands to `app`; returns the `pki` command.
CLI::App* add_pki_command(CLI::App& app, PkiOptions& o);
// Runs the subcommand that was parsed. 0 on success; 2 with a message on stderr on any error
// (existing file without --force, no CA in DIR, bad key type, unwritable directory…).
int cmd_pki(const PkiOptions& o);

}  // namespace espfleet
