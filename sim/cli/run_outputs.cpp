// sim/cli/run_outputs.cpp — the run directory's outputs (run_outputs.h).
#include "run_outputs.h"

#include "thresholds.h"

#include "activity_series.h"
#include "delivery.h"

#include <cstdio>

#include "broker.h"
#include "fleet.h"
#include "host_usage.h"
#include "html_report.h"
#include "output_file.h"
#include "report.h"
#include "run_record.h"
#include "tape.h"

namespace espfleet {

namespace {

// The process's costs, added to the fleet summary's "host".
void add_host_figures(nlohmann::ordered_json& h, const Fleet& fleet, const std::vector<std::unique_ptr<Tape>>& tapes,
                      const EmbeddedBroker* broker, const RunFacts& f) {
  const size_t n = fleet.devices().size();
  uint64_t rss_after = rss_bytes();
  h["rss_bytes"] = rss_after;
  h["rss_per_device_bytes"] = n ? (rss_after > f.rss_before ? (rss_after - f.rss_before) / n : 0) : 0;
  h["cpu_s"] = cpu_seconds_self() - f.cpu_before;
  uint64_t tape_bytes = 0;
  for (auto& t : tapes) tape_bytes += t->size_bytes();
  h["tape_bytes_per_device"] = n ? tape_bytes / n : 0;
  h["provision_s"] = f.setup_s;
  double dev_s = double(n) * fleet.stats().wall_seconds;
  h["cpu_us_per_device_second"] = dev_s > 0 ? double(h["cpu_s"]) * 1e6 / dev_s : 0.0;
  if (broker && broker->pid() > 0) {
    h["broker_rss_bytes"] = rss_bytes(broker->pid());
    h["broker_cpu_s"] = cpu_seconds_of(broker->pid());
  }
  const auto& ac = f.all_connected;
  h["all_connected"] =
      ac.wall_s < 0
          ? nlohmann::ordered_json(nullptr)
          : nlohmann::ordered_json{{"wall_s", ac.wall_s}, {"cpu_s", ac.cpu_s}, {"broker_cpu_s", ac.broker_cpu_s}};
}

}  // namespace

nlohmann::ordered_json write_run_outputs(const std::filesystem::path& dir, const Fleet& fleet,
                                         const std::vector<std::unique_ptr<Tape>>& tapes, const EmbeddedBroker* broker,
                                         const RunFacts& f, std::vector<std::string>& output_errors) {
  nlohmann::ordered_json summary =
      fleet_summary(fleet.devices(), fleet.stats(), f.all_connected.wall_s < 0 ? nullptr : &f.all_connected.sched);
  summary["interrupted"] = f.interrupted_in != nullptr;
  if (f.interrupted_in) {
    summary["interrupted_by"] = f.interrupted_by;
    summary["interrupted_during"] = f.interrupted_in;
    summary["devices_provisioned"] = f.provisioned;
  }
  if (!f.shard.is_null()) summary["shard"] = f.shard;
  summary["heap_maps_written"] = f.heap_maps;
  summary["heap_maps_skipped"] = f.heap_maps_skipped;
  summary["tapes"] = f.record_tapes ? (dir / "tapes").string() : "";
  if (broker)
    summary["broker_exited"] =
        f.broker_exit
            ? nlohmann::ordered_json{{"t_s", f.broker_exit_at.seconds()}, {"wall_s", f.broker_exit_wall},
                                     {"pid", f.broker_exit->pid},         {"how", f.broker_exit->how},
                                     {"signal", f.broker_exit->signal},   {"exit_code", f.broker_exit->exit_code}}
            : nlohmann::ordered_json(nullptr);
  add_host_figures(summary["host"], fleet, tapes, broker, f);
  summary["activity"] = activity_record(fleet.activity(), fleet.now());
  summary["events"] = host_events_record(fleet.scheduler());
  if (f.broker_exit)
    summary["events"].push_back(
        timeline_entry(f.broker_exit_at.seconds(), "broker exited: " + f.broker_exit->how, TimelineKind::broker_exit));
  if (f.scenario)
    for (auto& e : device_fault_events(*f.scenario, fleet.now())) summary["events"].push_back(e);
  sort_events(summary["events"]);
  DeliveryAccount delivery;
  if (f.arrivals) {
    delivery = account_delivery(fleet.devices(), *f.arrivals, summary["events"], fleet.scheduler().wall_origin_ns());
    summary["delivery"] = delivery.summary;
  }
  std::string devices_jsonl;
  for (auto& d : fleet.devices()) {
    nlohmann::ordered_json r = device_record(*d);
    if (f.arrivals) r["delivery"] = delivery.per_device[d->id()];
    devices_jsonl += r.dump() + "\n";
  }
  summary["run_dir"] = dir.string();
  if (f.thresholds && !f.thresholds->empty()) summary["thresholds"] = evaluate_thresholds(*f.thresholds, summary);
  summary["output_errors"] = output_errors;
  write_file_atomically(dir / "devices.jsonl", devices_jsonl);
  write_file_atomically(dir / "summary.json", summary.dump(2) + "\n");

  const size_t errors_before = output_errors.size();
  if (f.record_tapes)
    for (std::string& e : write_tapes(dir, fleet, tapes, f.seed, f.interrupted_in ? "interrupted" : "duration"))
      output_errors.push_back(std::move(e));
  try {
    write_timelines(dir / "heap", fleet);
  } catch (const std::exception& e) {
    output_errors.push_back(e.what());
  }
  try {  // last: it draws on everything above
    write_html_report(dir);
  } catch (const std::exception& e) {
    output_errors.push_back(std::string("report.html: ") + e.what());
  }
  for (const std::string& e : output_errors) std::fprintf(stderr, "espfleet run: %s\n", e.c_str());
  if (output_errors.size() != errors_before) {
    summary["output_errors"] = output_errors;
    write_file_atomically(dir / "summary.json", summary.dump(2) + "\n");
  }
  return summary;
}

}  // namespace espfleet
