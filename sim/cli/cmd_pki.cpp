// sim/cli/cmd_pki.cpp — `espfleet pki init|server|device` on top of sim/pki/pki.h: files in --dir, keys
// 0600, no overwriting without --force, and the Tasmota commands (MqttFingerprint1 for a server,
// TLSKey1/TLSKey2 for a device) on stdout; what was written goes to stderr.
#include "cmd_pki.h"

#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <optional>

#include "cli_error.h"
#include "cli_options.h"
#include "fingerprint.h"
#include "pki.h"

namespace espfleet {

namespace fs = std::filesystem;

namespace {

// NAME becomes NAME.crt / NAME.key in DIR, so it must be a plain file stem, and not "ca".
void check_name(const std::string& name, const char* what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name.front() == '-')
    throw CliError(std::string("bad ") + what + " name '" + name +
                   "': it names the files NAME.crt and NAME.key, so no '/' and no leading '-'");
  if (name == "ca") throw CliError(std::string("bad ") + what + " name 'ca': ca.crt and ca.key are the CA's files");
}

void check_writable(const std::vector<fs::path>& paths, bool force) {
  if (force) return;
  for (const fs::path& p : paths)
    if (fs::exists(p))
      throw CliError("refusing to overwrite existing file " + p.string() + " (pass --force to replace it)");
}

int ip_family(const std::string& s) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return AF_INET6;
  return 0;
}

// SAN entries: NAME, then --san (or, without --san, the loopback names). BearSSL matches the MQTT
// host against dNSName entries only, so every IPv4 address also goes in as DNS:<ip>.
std::vector<std::string> server_sans(const std::string& name, const std::vector<std::string>& user) {
  std::vector<std::string> out;
  auto push = [&](std::string s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  auto add = [&](const std::string& entry) {
    std::string value = entry;
    if (entry.rfind("DNS:", 0) == 0) {
      push(entry);
      return;
    }
    const bool ip_prefix = entry.rfind("IP:", 0) == 0;
    if (ip_prefix) value = entry.substr(3);
    const int family = ip_family(value);
    if (family == AF_INET) {
      push("IP:" + value);
      push("DNS:" + value);
    } else if (family == AF_INET6) {
      push("IP:" + value);
    } else {
      push(ip_prefix ? entry : "DNS:" + value);  // a bad IP: entry is reported by issue_server
    }
  };
  add(name);
  for (const std::string& s : user.empty() ? loopback_server_sans() : user) add(s);
  return out;
}

CertificateAuthority load_ca(const PkiOptions& o) {
  if (o.ca_cert.empty() != o.ca_key.empty()) throw CliError("--ca-cert and --ca-key go together: give both or neither");
  if (!o.ca_cert.empty()) return CertificateAuthority::load(o.ca_cert, o.ca_key);
  const fs::path cert = CertificateAuthority::cert_path(o.dir), key = CertificateAuthority::key_path(o.dir);
  if (!fs::exists(cert) && !fs::exists(key))
    throw CliError("no CA in " + o.dir + ": run `espfleet pki init --dir " + o.dir +
                   "` first (or give --ca-cert and --ca-key)");
  return CertificateAuthority::load(cert, key);
}

int pki_init(const PkiOptions& o) {
  const KeyType type = o.key;
  check_writable({CertificateAuthority::cert_path(o.dir), CertificateAuthority::key_path(o.dir)}, o.force);
  CertificateAuthority ca =
      CertificateAuthority::create(type, o.cn.empty() ? "espfleet CA" : o.cn, o.days > 0 ? o.days : kCaValidityDays);
  ca.save(o.dir, o.force);
  std::cerr << "wrote " << CertificateAuthority::cert_path(o.dir).string() << " and "
            << CertificateAuthority::key_path(o.dir).string() << " (0600), " << key_type_name(type) << ", CN=\""
            << ca.common_name() << "\"\n";
  if (type == KeyType::ec256)
    std::cerr << "note: an EC CA signs with ECDSA; devices validating the chain (SetOption132 0) then need a "
                 "firmware with ECDSA verification\n";
  return 0;
}

int pki_server(const PkiOptions& o) {
  check_name(o.name, "server");
  const KeyType type = o.key;
  const fs::path cert = fs::path(o.dir) / (o.name + ".crt"), key = fs::path(o.dir) / (o.name + ".key");
  check_writable({cert, key}, o.force);
  CertificateAuthority ca = load_ca(o);
  IssuedCert c = ca.issue_server(o.name, server_sans(o.name, o.sans), type, o.days > 0 ? o.days : kServerValidityDays);
  write_pem_files(c, cert, key, o.force);
  std::cerr << "wrote " << cert.string() << " and " << key.string() << " (0600), " << key_type_name(type)
            << ", signed by CN=\"" << ca.common_name() << "\"\n";
  if (type == KeyType::rsa4096)
    std::cerr << "warning: Tasmota's BearSSL is trimmed to RSA keys of at most 2048 bits; an ESP8266 fails the "
                 "handshake with BR_ERR_LIMIT_EXCEEDED (23)\n";
  std::string error;
  if (std::optional<Fingerprint> fp = fingerprint_v2_of_cert_der(c.cert_der, &error)) {
    std::cout << "MqttFingerprint1 " << format_fingerprint(*fp) << "\n";
  } else {
    std::cerr << "note: no MqttFingerprint for this server: " << error
              << "; an ESP8266 offers only ECDHE_RSA suites, so use an RSA key for it\n";
  }
  return 0;
}

int pki_device(const PkiOptions& o) {
  check_name(o.name, "device");
  const fs::path cert = fs::path(o.dir) / (o.name + ".crt"), key = fs::path(o.dir) / (o.name + ".key");
  check_writable({cert, key}, o.force);
  CertificateAuthority ca = load_ca(o);
  DeviceCert d = ca.issue_device(o.name, o.days > 0 ? o.days : kDeviceValidityDays);
  write_pem_files(d, cert, key, o.force);
  std::cerr << "wrote " << cert.string() << " and " << key.string() << " (0600), P-256, CN=\"" << o.name
            << "\", signed by CN=\"" << ca.common_name() << "\"; paste into the device's console:\n";
  std::cout << "TLSKey1 " << d.tls_key1() << "\n"
            << "TLSKey2 " << d.tls_key2() << "\n";
  return 0;
}

}  // namespace

CLI::App* add_pki_command(CLI::App& app, PkiOptions& o) {
  CLI::App* pki = app.add_subcommand("pki", "Make a CA, broker certificates and device certificates (files in --dir)");
  pki->require_subcommand(1);

  auto common = [&o](CLI::App* c) {
    c->add_option("--dir", o.dir, "Directory holding ca.crt/ca.key and the issued files")->capture_default_str();
    c->add_option("--days", o.days, "Validity in days (default: CA 3650, server 825, device 1800)")
        ->check(CLI::PositiveNumber);
    c->add_flag("--force", o.force, "Replace existing files");
  };

  o.init = pki->add_subcommand("init", "Create a CA: DIR/ca.crt and DIR/ca.key (0600)");
  common(o.init);
  add_enum_option(o.init, "--key", o.key, kKeyTypeNames, "CA key: rsa2048 or ec256",
                  {KeyType::rsa2048, KeyType::ec256});
  o.init->add_option("--cn", o.cn, "CA common name (default \"espfleet CA\")");

  o.server = pki->add_subcommand(
      "server", "Issue a broker certificate DIR/NAME.crt + DIR/NAME.key signed by DIR's CA; prints MqttFingerprint1");
  common(o.server);
  o.server->add_option("NAME", o.name, "Server name: the CN, the first SAN and the file names")->required();
  add_enum_option(o.server, "--key", o.key, kKeyTypeNames, "Server key: rsa2048, rsa4096 or ec256");
  o.server
      ->add_option("--san", o.sans,
                   "Subject alternative name, DNS or IP (repeatable; IPv4 addresses also go in as DNS). NAME is "
                   "always one; without --san, localhost and 127.0.0.1 are added")
      ->delimiter(',');

  o.device = pki->add_subcommand(
      "device", "Issue a device certificate (P-256) DIR/NAME.crt + DIR/NAME.key; prints TLSKey1 and TLSKey2");
  common(o.device);
  o.device->add_option("NAME", o.name, "Device name: the certificate's CN and the file names")->required();
  o.device->add_option("--ca-cert", o.ca_cert, "Sign with this CA certificate instead of DIR/ca.crt");
  o.device->add_option("--ca-key", o.ca_key, "Private key of --ca-cert");
  return pki;
}

int cmd_pki(const PkiOptions& o) {
  const char* sub = *o.init ? "init" : *o.server ? "server" : "device";
  try {
    if (*o.init) return pki_init(o);
    if (*o.server) return pki_server(o);
    return pki_device(o);
  } catch (const std::exception& e) {
    return report_command_error(std::string("pki ") + sub, e);
  }
}

}  // namespace espfleet
