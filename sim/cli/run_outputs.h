// sim/cli/run_outputs.h — what `espfleet run` leaves in its run directory, in the order that
// loses least: devices.jsonl and summary.json first (whole files, so nothing measured is lost to
// a later failure), then the tapes and heap timelines; an output that cannot be written is named
// in summary.json's output_errors and on stderr, and the rest is kept.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker_watch.h"
#include "delivery_observer.h"
#include "scenario.h"
#include "scheduler.h"
#include "sim_time.h"

namespace espfleet {

class EmbeddedBroker;
class Fleet;
class Tape;

// What the run knows besides its devices.
struct RunFacts {
  const char* interrupted_in = nullptr;  // the phase a signal stopped ("setup", "provisioning", "run")
  const char* interrupted_by = nullptr;  // "SIGINT"
  uint32_t provisioned = 0;              // devices that were set up
  size_t heap_maps = 0, heap_maps_skipped = 0;
  bool record_tapes = true;
  uint64_t seed = 1;
  const std::vector<Threshold>* thresholds = nullptr;                // the scenario's, evaluated into summary.json
  const Scenario* scenario = nullptr;                                // its device faults go on the run's events
  const std::vector<DeliveryObserver::Arrival>* arrivals = nullptr;  // fleet.observe: what arrived
  nlohmann::ordered_json shard;  // summary.json "shard" (shard.h), null for the whole fleet
  // The embedded broker's unplanned exit, if any: when (device and wall time) and how.
  std::optional<BrokerExit> broker_exit;
  VTime broker_exit_at{};
  double broker_exit_wall = 0;
  // Host costs: resident memory before the devices, CPU before the run, provisioning time.
  uint64_t rss_before = 0;
  double cpu_before = 0, setup_s = 0;
  // The first tick at which every device had connected once (a storm's end): wall time since the
  // run began, and the CPU the run and the embedded broker had used by then. wall_s < 0: never.
  struct AllConnected {
    double wall_s = -1, cpu_s = 0, broker_cpu_s = 0;
    SchedulerStats sched;  // the scheduler's counts then
  } all_connected;
};

// Writes the run directory's outputs and returns summary.json's content. `output_errors` holds
// what failed before (crash heap maps) and gets what fails here.
nlohmann::ordered_json write_run_outputs(const std::filesystem::path& dir, const Fleet& fleet,
                                         const std::vector<std::unique_ptr<Tape>>& tapes, const EmbeddedBroker* broker,
                                         const RunFacts& facts, std::vector<std::string>& output_errors);

}  // namespace espfleet
