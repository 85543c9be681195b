// sim/cli/run_broker.cpp — the run's broker, embedded or the user's (run_broker.h).
#include "run_broker.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cli_error.h"
#include "delivery_observer.h"
#include "fleet.h"
#include "input_file.h"
#include "local_broker.h"
#include "settings.h"

namespace espfleet {

namespace {

// HOST:PORT, with an optional mqtts://, mqtt://, ssl:// or tcp:// in front.
BrokerEndpoint parse_broker(const std::string& spec) {
  std::string s = spec;
  for (const char* scheme : {"mqtts://", "mqtt://", "ssl://", "tcp://"})
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::strlen(scheme));
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    throw CliError("--broker '" + spec + "': expected HOST:PORT (e.g. localhost:8883)");
  BrokerEndpoint t;
  t.host = s.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(s.substr(colon + 1));
  } catch (...) {}
  if (port <= 0 || port > 65535) throw CliError("--broker '" + spec + "': bad port");
  t.tls_port = t.plain_port = uint16_t(port);
  return t;
}

// Every certificate of a PEM file (a bundle is fine), as DER back to back: the firmware's CA
// slot (TlsSettings.ca) holds at most kMaxFlashAnchors of them in sizeof(TlsSettings::ca) bytes.
std::vector<uint8_t> pem_file_to_der(const std::string& path) {
  std::string text;
  try {
    text = read_whole_file(path);
  } catch (const InputError& e) {
    throw CliError("--ca " + std::string(e.what()));
  }
  std::vector<std::vector<uint8_t>> certs;
  try {
    certs = pem_certificates(text);
  } catch (const PkiError& e) {
    throw CliError("--ca " + path + ": " + e.what());
  }
  const size_t count = certs.size();
  if (count == 0) throw CliError("--ca " + path + ": no PEM certificate in the file");
  std::vector<uint8_t> all;
  for (const auto& c : certs) all.insert(all.end(), c.begin(), c.end());
  if (count > kMaxFlashAnchors)
    throw CliError("--ca " + path + ": " + std::to_string(count) + " certificates, but the firmware holds at most " +
                   std::to_string(kMaxFlashAnchors) + " CA certificates (tls.builtin_anchors adds roots besides)");
  if (all.size() > sizeof(TlsSettings::ca))
    throw CliError("--ca " + path + ": " + std::to_string(count) + " certificate" + (count > 1 ? "s" : "") + " take " +
                   std::to_string(all.size()) + " bytes in DER, more than the firmware's " +
                   std::to_string(sizeof(TlsSettings::ca)) + "-byte trust anchor slot");
  return all;
}

RunBroker open_embedded(const RunOptions& o, const Scenario& sc, const std::filesystem::path& dir,
                        const FleetNeeds& needs) {
  LocalBrokerOptions lo;
  lo.ca_dir = o.pki;
  lo.pki_dir = dir / "pki";
  lo.broker_dir = dir / "broker";
  lo.ca_name = "espfleet run CA";
  lo.seed = sc.fleet.seed;
  lo.server_key = sc.broker.server_key;
  lo.require_certificate = sc.broker.require_certificate && needs.client_certs;
  lo.plain_listener = needs.plain;
  lo.persistence = sc.broker.persistence;
  LocalBroker local = start_local_broker(lo);
  RunBroker b;
  b.ca = std::move(local.ca);
  b.broker = std::move(local.broker);
  b.endpoint.host = "localhost";
  b.endpoint.tls_port = b.broker->tls_port();
  b.endpoint.plain_port = b.broker->plain_port();
  b.endpoint.ca_der = b.ca->cert_der();
  b.watch.emplace(*b.broker);
  std::fprintf(stderr, "espfleet: embedded mosquitto pid %d on %s:%u (TLS)%s\n", int(b.broker->pid()),
               b.endpoint.host.c_str(), unsigned(b.endpoint.tls_port),
               needs.plain ? (", plain " + std::to_string(b.endpoint.plain_port)).c_str() : "");
  return b;
}

RunBroker open_users(const RunOptions& o, const Scenario& sc, const std::string& url, const FleetNeeds& needs) {
  RunBroker b;
  b.endpoint = parse_broker(url);
  if (!o.ca.empty()) {
    b.endpoint.ca_der = pem_file_to_der(o.ca);
    // BearSSL's trust anchors carry no dates: an expired CA is still trusted by the devices.
    for (const std::string& p : validity_problems(b.endpoint.ca_der))
      std::fprintf(
          stderr,
          "espfleet run: warning: --ca %s: %s; the devices still trust it (a BearSSL trust anchor carries no dates)\n",
          o.ca.c_str(), p.c_str());
  } else if (needs.ca_without_builtin) {
    throw CliError("--broker " + url +
                   ": devices validating by CA (tls.validation = \"ca\") need a trust anchor: pass --ca FILE "
                   "(or select built-in roots with tls.builtin_anchors)");
  }
  if (o.device_ca_cert.empty() != o.device_ca_key.empty())
    throw CliError("--device-ca-cert and --device-ca-key go together");
  if (!o.device_ca_cert.empty())
    b.ca = CertificateAuthority::load(o.device_ca_cert, o.device_ca_key, sc.fleet.seed);
  else if (needs.client_certs)
    throw CliError("--broker " + url +
                   ": devices with tls.client_cert need a CA to sign their certificates: pass "
                   "--device-ca-cert FILE --device-ca-key FILE (or set tls.client_cert = false)");
  return b;
}

// After the broker stopped: every device connection has seen its close.
bool all_sockets_closed_by_peer(const Fleet& fleet) {
  for (auto& d : fleet.devices())
    if (d->net().awaits_peer_close()) return false;
  return true;
}

}  // namespace

FleetNeeds fleet_needs(const std::vector<DeviceConfig>& cfgs) {
  FleetNeeds n;
  for (const DeviceConfig& c : cfgs) {
    n.ca_without_builtin |= c.tls_enabled && c.validation == Validation::ca && !c.builtin_anchors;
    n.plain |= !c.tls_enabled;
    n.client_certs |= c.tls_enabled && c.client_cert;
  }
  return n;
}

void check_broker_options(const RunOptions& o, const std::string& broker_url) {
  if (!broker_url.empty()) {
    if (!o.pki.empty())
      throw CliError("--pki " + o.pki +
                     ": is the embedded broker's CA; with --broker give --device-ca-cert/--device-ca-key");
    return;
  }
  for (auto [opt, val] :
       {std::pair{"--ca", &o.ca}, {"--device-ca-cert", &o.device_ca_cert}, {"--device-ca-key", &o.device_ca_key}})
    if (!val->empty())
      throw CliError(std::string(opt) + " " + *val + ": is for a broker of yours (--broker or broker.url); " +
                     "the embedded broker makes its own CA");
}

RunBroker open_run_broker(const RunOptions& o, const Scenario& sc, const std::string& broker_url,
                          const std::filesystem::path& dir, const FleetNeeds& needs) {
  return broker_url.empty() ? open_embedded(o, sc, dir, needs) : open_users(o, sc, broker_url, needs);
}

std::vector<HostEvent> broker_events(const Scenario& sc, RunBroker& b, Fleet* const& fleet,
                                     const std::unique_ptr<DeliveryObserver>& observer) {
  std::vector<HostEvent> events;
  auto add = [&events](TimelineKind kind, int32_t fault, HostEvent e) {
    e.kind = kind;
    e.fault = fault;
    events.push_back(std::move(e));
  };
  const VTime end = VTime::from_us(sc.fleet.duration.us);
  for (const FaultSpec& f : sc.fleet.faults) {
    if (f.kind != FaultKind::observer_outage) continue;
    const std::string tag = " (faults[" + std::to_string(f.index) + "])";
    if (!sc.fleet.observe)
      throw CliError("faults[" + std::to_string(f.index) +
                     "]: an observer_outage takes the delivery observer away: it needs fleet.observe = true");
    for (VTime t = VTime::from_us(f.at.us); t < end; t = t + VTime::from_us(f.every.us)) {
      add(TimelineKind::observer_away, int32_t(f.index),
          HostEvent{t, "observer disconnects" + tag, [&observer] { observer->pause(); }, {}});
      add(TimelineKind::observer_back, int32_t(f.index),
          HostEvent{t + VTime::from_us(f.duration.us), "observer reconnects" + tag, [&observer] { observer->resume(); },
                    [&observer] { return observer->connected(); }});
      if (f.every.us <= 0) break;
    }
  }
  for (const FaultSpec& f : sc.fleet.faults)
    if (is_broker_fault(f.kind) && !b.broker)
      throw CliError("faults[" + std::to_string(f.index) + "]: a " + std::string(enum_name(kFaultKindNames, f.kind)) +
                     " acts on the embedded broker; with --broker (or broker.url) the broker is yours");
  if (!b.broker) {
    if (sc.broker.restart_every.us > 0 || sc.broker.persistence)
      throw CliError(std::string(sc.broker.persistence ? "broker.persistence" : "broker.restart_every") +
                     ": acts on the embedded broker; with --broker (or broker.url) the broker is yours");
    std::stable_sort(events.begin(), events.end(), [](const HostEvent& a, const HostEvent& b) { return a.at < b.at; });
    return events;
  }
  BrokerWatch* watch = &*b.watch;
  auto say_started = [watch, &fleet](const std::string& why) {
    return [watch, &fleet, why] {
      if (pid_t pid = watch->planned_start(); pid > 0)
        std::fprintf(stderr, "espfleet: [%7.1fs] embedded mosquitto %s, pid %d\n", fleet ? fleet->now().seconds() : 0.0,
                     why.c_str(), int(pid));
    };
  };
  // Its clients see the broker go: the run waits (in host time) for their sockets' close.
  auto all_closed = [&fleet] { return all_sockets_closed_by_peer(*fleet); };
  // An observer away by an observer_outage comes back at its end, not with the broker.
  std::function<bool()> observer_back = [&observer] {
    return !observer || observer->connected() || observer->paused();
  };
  if (sc.broker.restart_every.us > 0) {
    const VTime every = VTime::from_us(sc.broker.restart_every.us), down = VTime::from_us(sc.broker.restart_down.us);
    for (VTime t = every; t < end; t = t + every) {
      add(TimelineKind::broker_down, -1, HostEvent{t, "broker stops", [watch] { watch->planned_stop(); }, all_closed});
      add(TimelineKind::broker_up, -1, HostEvent{t + down, "broker starts", say_started("restarted"), observer_back});
    }
  }
  for (const FaultSpec& f : sc.fleet.faults) {
    if (!is_broker_fault(f.kind)) continue;
    const std::string tag = " (faults[" + std::to_string(f.index) + "])";
    const VTime length = VTime::from_us(f.duration.us);
    for (VTime t = VTime::from_us(f.at.us); t < end; t = t + VTime::from_us(f.every.us)) {
      switch (f.kind) {
        case FaultKind::broker_restart:
          add(TimelineKind::broker_down, int32_t(f.index),
              HostEvent{t, "broker stops" + tag, [watch] { watch->planned_stop(); }, all_closed});
          add(TimelineKind::broker_up, int32_t(f.index),
              HostEvent{t + length, "broker starts" + tag, say_started("restarted" + tag), observer_back});
          break;
        case FaultKind::broker_kill:
          add(TimelineKind::broker_down, int32_t(f.index),
              HostEvent{t, "broker killed (SIGKILL)" + tag, [watch] { watch->planned_kill(); }, all_closed});
          add(TimelineKind::broker_up, int32_t(f.index),
              HostEvent{t + length, "broker starts" + tag, say_started("started after kill -9" + tag), observer_back});
          break;
        case FaultKind::cert_rotate: {
          const bool fresh = f.new_key, new_ca = f.new_ca;
          const KeyType type = sc.broker.server_key;
          const std::string how = std::string(fresh ? "new key" : "same key") + (new_ca ? ", new CA" : "");
          // A new CA goes to pki/rotated-K/ (K: the entry, then its occurrence), the run's CA from then on.
          const std::filesystem::path ca_dir =
              b.broker->options().certfile.parent_path() /
              ("rotated-" + std::to_string(f.index) + "-" + std::to_string(t.us() / 1000000));
          const uint64_t seed = mix_seed(sc.fleet.seed, 0x63615f726f7461ull + f.index * 1000003ull + uint64_t(t.us()));
          add(TimelineKind::cert_rotated, int32_t(f.index),
              HostEvent{t,
                        "broker certificate rotated (" + how + ")" + tag,
                        [&b, fresh, new_ca, type, &fleet, tag, how, ca_dir, seed] {
                          const double at = fleet ? fleet->now().seconds() : 0.0;
                          try {
                            if (new_ca)
                              b.ca = rotate_certificate_authority(ca_dir, *b.broker, fresh, type, seed);
                            else
                              rotate_server_certificate(*b.ca, *b.broker, fresh, type);
                            std::fprintf(
                                stderr, "espfleet: [%7.1fs] broker certificate rotated (%s)%s%s\n", at, how.c_str(),
                                tag.c_str(),
                                new_ca ? (": CA " + CertificateAuthority::cert_path(ca_dir).string()).c_str() : "");
                          } catch (const std::exception& e) {  // the run goes on with the old one
                            std::fprintf(stderr, "espfleet: [%7.1fs] broker certificate not rotated%s: %s\n", at,
                                         tag.c_str(), e.what());
                          }
                        },
                        {}});
          break;
        }
        case FaultKind::broker_stall:
          add(TimelineKind::broker_stall, int32_t(f.index),
              HostEvent{t, "broker stalled (SIGSTOP)" + tag, [watch] { watch->stall(); }, {}});
          add(TimelineKind::broker_up, int32_t(f.index),
              HostEvent{t + length, "broker resumes (SIGCONT)" + tag, [watch] { watch->resume(); }, {}});
          break;
        default:
          break;
      }
      if (f.every.us <= 0) break;
    }
  }
  std::stable_sort(events.begin(), events.end(), [](const HostEvent& a, const HostEvent& b) { return a.at < b.at; });
  return events;
}

}  // namespace espfleet
