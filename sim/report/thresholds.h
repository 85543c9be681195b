// sim/report/thresholds.h — a scenario's [thresholds] against a run's summary (docs/thresholds.md):
// each figure looked up in summary.json by its path, its condition checked; the results go into
// summary.json ("thresholds") and the table, and a failed one makes `run` and `merge` exit with
// kExitThresholdFailed, so a firmware change can gate a CI job.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario.h"

namespace espfleet {

inline constexpr int kExitThresholdFailed = 7;  // the run went as asked; a threshold did not hold

// [{"threshold": "crashes == 0", "figure", "condition", "value" (null: the summary has none),
//   "passed"}], in the scenario's order.
nlohmann::ordered_json evaluate_thresholds(const std::vector<Threshold>& thresholds, const nlohmann::json& summary);
bool any_threshold_failed(const nlohmann::json& results);
// The failed ones, for a message: "handshake_ms.p99 < 2000 (was 2410), crashes == 0 (was 3)".
std::string failed_thresholds(const nlohmann::json& results);
// The lines the summary table shows for them ("" when there are none).
std::string thresholds_table(const nlohmann::json& results);
// Before a run: the scenario's thresholds whose figure summary.json will not have, each with a
// suggestion ("thresholds.handshake.p99: no such figure in summary.json (did you mean
// handshake_ms.p99?)"); a group's (groups.NAME.FIGURE) must name one of the scenario's groups, or
// "default" for the devices none takes.
std::vector<std::string> unknown_threshold_figures(const Scenario& sc);

}  // namespace espfleet
