// sim/cli/run_broker.h — the broker of `espfleet run`, as its devices will see it: the
// embedded Mosquitto with its own CA (and the restarts the scenario plans), or the user's broker
// (--broker or broker.url) with the trust anchors of --ca and the device CA of --device-ca-*.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker.h"
#include "broker_watch.h"
#include "cmd_run.h"
#include "pki.h"
#include "scenario.h"
#include "scheduler.h"
#include "session.h"

namespace espfleet {

class DeliveryObserver;

class Fleet;

// What the fleet's devices need of a broker.
struct FleetNeeds {
  bool plain = false;               // some devices speak plain MQTT
  bool client_certs = false;        // some present client certificates
  bool ca_without_builtin = false;  // some validate by CA and have no built-in root
};
FleetNeeds fleet_needs(const std::vector<DeviceConfig>& cfgs);

struct RunBroker {
  BrokerEndpoint endpoint;
  std::optional<CertificateAuthority> ca;  // signs the devices' certificates (none: they go without)
  std::unique_ptr<EmbeddedBroker> broker;  // the embedded broker, else null
  std::optional<BrokerWatch> watch;        // on the embedded broker
};

// Options that only make sense with the user's broker, refused with the embedded one.
void check_broker_options(const RunOptions& o, const std::string& broker_url);

// Starts the embedded broker (in DIR/pki and DIR/broker) when `broker_url` is empty, else takes
// the user's. CliError naming the option when something the devices need is missing.
RunBroker open_run_broker(const RunOptions& o, const Scenario& sc, const std::string& broker_url,
                          const std::filesystem::path& dir, const FleetNeeds& needs);

// What happens to the embedded broker during the run, as host events of the fleet in time order:
// its planned restarts (broker.restart_every, broker.restart_down) and the scenario's broker
// faults (broker_restart, broker_kill, broker_stall; docs/faults.md). `fleet` is the fleet they
// will run in, once it exists. CliError when a broker fault is asked of a broker of the user's.
// With a delivery observer (`observer`, once it exists), a start waits (in host time) for it to
// be back on the broker.
std::vector<HostEvent> broker_events(const Scenario& sc, RunBroker& b, Fleet* const& fleet,
                                     const std::unique_ptr<DeliveryObserver>& observer);

}  // namespace espfleet
