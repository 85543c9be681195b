// sim/cli/cmd_run.h — `espfleet run SCENARIO.toml`: build the fleet, start (or reach) the broker,
// run, and write the run directory.
#pragma once
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace espfleet {

struct RunOptions {
  std::string scenario;
  std::vector<std::string> sets;
  std::string devices;                 // --devices overrides fleet.devices
  std::string duration;                // --duration overrides fleet.duration
  std::string seed;                    // --seed overrides fleet.seed
  std::string mode;                    // --mode realtime|fast
  std::string broker;                  // --broker HOST:PORT (or mqtts://HOST:PORT): the user's broker
  std::string ca;                      // --ca FILE: trust anchor for the user's broker
  std::string device_ca_cert;          // --device-ca-cert FILE: mint device certificates from this CA
  std::string device_ca_key;           // --device-ca-key FILE
  std::string out;                     // --out DIR
  bool force = false;                  // --force: clear an --out directory that holds an earlier run
  bool quiet = false;                  // no progress line
  bool json = false;                   // print summary.json instead of the table
  bool no_tapes = false;               // --no-tapes: devices keep no tapes (no `espfleet replay`)
  std::string timelines;               // --timeline ID[,ID...]: heap timelines of these devices ("all")
  int max_heap_maps = 200;             // --max-heap-maps N: crash heap maps written at most
  std::string start_at;                // --start-at EPOCH: the devices start at this wall time (shards together)
  std::string metrics;                 // --metrics HOST:PORT: Prometheus metrics while the run goes on
  std::string shard;                   // --shard I/N: run devices [I·D/N, (I+1)·D/N) only (shard.h)
  std::string pki;                     // --pki DIR: the embedded broker's CA (DIR/ca.crt, ca.key) instead of a new one
  uint32_t shards = 0;                 // --shards N: run N shards as N processes here, then merge (run_shards.h)
  std::string firmware;                // --firmware DIR: the devices run this Arduino sketch (docs/sketches.md)
  std::vector<std::string> libraries;  // --library DIR: libraries the sketch may include (repeatable)
};

// Exit statuses besides 0 (done) and 2 (bad input or setup): 128 + the signal that interrupted
// the run (130 for SIGINT, 143 SIGTERM, 129 SIGHUP), and these (docs/running.md).
inline constexpr int kExitBrokerExited = 5;       // the embedded broker exited when nothing planned it
inline constexpr int kExitOutputsIncomplete = 6;  // the run finished, but some outputs could not be written

void add_run_options(CLI::App& cmd, RunOptions& o);
int cmd_run(const RunOptions& o);

}  // namespace espfleet
