// sim/report/thresholds.cpp — [thresholds] evaluated against summary.json (thresholds.h).
#include "thresholds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "device.h"
#include "group_figures.h"
#include "report.h"
#include "scheduler.h"
#include "toml_values.h"  // suggest(): the scenario's own "did you mean"

namespace espfleet {

namespace {

using json = nlohmann::json;

// Sections whose keys are open-ended counts: a key that is not there counts 0.
constexpr const char* kCountMaps[] = {"crashes_by_reason", "tls_errors"};
// Sections a run adds beyond the fleet's figures (the host's costs, a sketch's counts).
constexpr const char* kOpenSections[] = {"host", "sketch"};

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  return parts;
}

bool in(const char* const* list, size_t n, const std::string& s) {
  for (size_t i = 0; i < n; ++i)
    if (s == list[i]) return true;
  return false;
}

// The figure's value in the summary; false when there is none (absent, null or not a number).
bool lookup(const json& summary, const std::string& figure, double* v) {
  const std::vector<std::string> parts = split(figure);
  const json* at = &summary;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!at->is_object()) return false;
    auto it = at->find(parts[i]);
    if (it == at->end()) {
      // No crash of that reason, no error of that code: 0 (for the fleet, and for a group).
      const size_t map_at = parts[0] == "groups" ? 2 : 0;
      if (i == map_at + 1 && parts.size() == map_at + 2 && in(kCountMaps, std::size(kCountMaps), parts[map_at])) {
        *v = 0;
        return true;
      }
      return false;
    }
    at = &*it;
  }
  if (at->is_boolean()) {
    *v = at->get<bool>() ? 1 : 0;
    return true;
  }
  if (!at->is_number()) return false;
  *v = at->get<double>();
  return true;
}

bool holds(Threshold::Op op, double v, double limit) {
  switch (op) {
    case Threshold::Op::lt:
      return v < limit;
    case Threshold::Op::le:
      return v <= limit;
    case Threshold::Op::gt:
      return v > limit;
    case Threshold::Op::ge:
      return v >= limit;
    case Threshold::Op::eq:
      return v == limit;
    case Threshold::Op::ne:
      return v != limit;
  }
  return false;
}

// Every numeric figure of a fleet's summary, as paths ("handshake_ms.p99").
void figure_paths(const json& j, const std::string& prefix, std::vector<std::string>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string path = prefix + it.key();
    if (it->is_object())
      figure_paths(*it, path + ".", out);
    else if (it->is_number() || it->is_boolean() || it->is_null())
      out.push_back(path);
  }
}

}  // namespace

nlohmann::ordered_json evaluate_thresholds(const std::vector<Threshold>& thresholds, const json& summary) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Threshold& t : thresholds) {
    double v = 0;
    const bool has = lookup(summary, t.figure, &v);
    nlohmann::ordered_json r;
    r["threshold"] = t.text;
    r["figure"] = t.figure;
    r["condition"] = t.text.substr(t.figure.size() + 1);
    r["value"] = has ? json(v) : json(nullptr);
    r["passed"] = has && holds(t.op, v, t.value);
    out.push_back(r);
  }
  return out;
}

bool any_threshold_failed(const json& results) {
  for (const json& r : results)
    if (!r.value("passed", false)) return true;
  return false;
}

namespace {
std::string value_text(const json& r) {
  if (r["value"].is_null()) return "no value";
  char buf[48];
  std::snprintf(buf, sizeof buf, "was %g", r["value"].get<double>());
  return buf;
}
}  // namespace

std::string failed_thresholds(const json& results) {
  std::string out;
  for (const json& r : results)
    if (!r.value("passed", false))
      out += (out.empty() ? "" : ", ") + r["threshold"].get<std::string>() + " (" + value_text(r) + ")";
  return out;
}

std::string thresholds_table(const json& results) {
  if (!results.is_array() || results.empty()) return "";
  size_t failed = 0;
  for (const json& r : results) failed += !r.value("passed", false);
  std::string out = "  thresholds         " + std::to_string(results.size() - failed) + " passed, " +
                    std::to_string(failed) + " failed\n";
  for (const json& r : results)
    out += std::string("    ") + (r.value("passed", false) ? "pass  " : "FAIL  ") + r["threshold"].get<std::string>() +
           "   (" + value_text(r) + ")\n";
  return out;
}

std::vector<std::string> unknown_threshold_figures(const Scenario& sc) {
  std::vector<std::string> known, group_known, names;
  figure_paths(fleet_summary({}, SchedulerStats{}, nullptr), "", known);
  nlohmann::ordered_json group = GroupFigures{}.group_record();
  group.erase("histograms");
  figure_paths(group, "", group_known);
  for (const Scenario::Group& g : sc.groups) names.push_back(g.name);
  if (sc.default_count() > 0) names.push_back(kDefaultGroupKey);
  std::vector<std::string> bad;
  for (const Threshold& t : sc.fleet.thresholds) {
    const std::vector<std::string> parts = split(t.figure);
    if (parts.empty()) continue;
    if (parts[0] == "groups") {  // groups.NAME.FIGURE: a group of this scenario, a figure groups have
      std::string why;
      if (parts.size() < 3) {
        why = "name a group and a figure: groups.NAME.FIGURE";
      } else if (std::find(names.begin(), names.end(), parts[1]) == names.end()) {
        std::string list;
        for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
        why = "no group '" + parts[1] + "' in this scenario (its groups: " + list + ")";
      } else {
        const std::string rest = t.figure.substr(parts[0].size() + parts[1].size() + 2);
        if (!(parts.size() >= 4 && in(kCountMaps, std::size(kCountMaps), parts[2])) &&
            std::find(group_known.begin(), group_known.end(), rest) == group_known.end()) {
          const std::string s = scenario_detail::suggest(rest, group_known);
          why = "no such figure for a group in summary.json" +
                (s.empty() ? "" : " (did you mean groups." + parts[1] + "." + s + "?)");
        }
      }
      if (!why.empty()) bad.push_back("thresholds." + t.figure + ": " + why);
      continue;
    }
    if (parts.size() >= 2 &&
        (in(kCountMaps, std::size(kCountMaps), parts[0]) || in(kOpenSections, std::size(kOpenSections), parts[0])))
      continue;
    if (std::find(known.begin(), known.end(), t.figure) != known.end()) continue;
    const std::string s = scenario_detail::suggest(t.figure, known);
    bad.push_back("thresholds." + t.figure + ": no such figure in summary.json" +
                  (s.empty() ? "" : " (did you mean " + s + "?)"));
  }
  return bad;
}

}  // namespace espfleet
