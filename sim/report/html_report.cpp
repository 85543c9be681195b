// sim/report/html_report.cpp — report.html from a run directory (html_report.h).
#include "html_report.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "input_file.h"
#include "output_file.h"
#include "report_assets.h"

namespace fs = std::filesystem;

namespace espfleet {

using json = nlohmann::json;

namespace {

// A column of small strings as indices into their list of values (the page's filters list them).
struct EnumColumn {
  std::map<std::string, uint32_t> index;
  json values = json::array();
  json column = json::array();
  void add(const std::string& v) {
    auto [it, fresh] = index.emplace(v, uint32_t(values.size()));
    if (fresh) values.push_back(v);
    column.push_back(it->second);
  }
};

// Device columns, one array per field (a 100,000-device table stays a few MB and the page can
// sort and filter index arrays), and every handshake time with its device's row (hs_off).
json device_columns(const fs::path& file, json& handshakes, uint64_t& handshakes_left_out, json& crashes,
                    double& device_time_s) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot be read (is this a run directory?)");
  static const char* kNumbers[] = {"id",
                                   "cpu_mhz",
                                   "connects",
                                   "connect_failures",
                                   "tls_error",
                                   "handshake_ms",
                                   "first_connected_s",
                                   "heap_free_min",
                                   "heap_max_block_min",
                                   "heap_frag_max",
                                   "crashes",
                                   "boots",
                                   "published",
                                   "lag_max_ms"};
  std::map<std::string, json> numbers;
  for (const char* k : kNumbers) numbers[k] = json::array();
  EnumColumn group, state, validation, firmware;
  json hs_count = json::array(), hs_values = json::array(), hs_off = json::array();
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    json d;
    try {
      d = json::parse(line);
    } catch (const std::exception& e) {
      throw std::runtime_error(file.string() + ":" + std::to_string(n) + ": not a device record: " + e.what());
    }
    for (const char* k : kNumbers) numbers[k].push_back(d.contains(k) ? d[k] : json(nullptr));
    device_time_s = std::max(device_time_s, d.value("virtual_time_s", 0.0));
    group.add(d.value("group", ""));
    state.add(d.value("state", ""));
    validation.add(d.contains("validation") ? d["validation"].get<std::string>() : std::string("off"));
    firmware.add(d.value("firmware", ""));
    const json all = d.value("handshakes_ms", json::array());
    hs_count.push_back(all.size());
    hs_off.push_back(hs_values.size());
    for (size_t i = 0; i < all.size(); ++i) {
      if (i >= kReportHandshakesPerDevice) {
        handshakes_left_out += all.size() - i;
        break;
      }
      hs_values.push_back(all[i]);
    }
    const json reasons = d.value("crash_reasons", json::array());
    const json codes = d.value("crash_codes", json::array());
    for (size_t k = 0; k < reasons.size(); ++k)
      crashes.push_back({{"device", d.value("id", 0u)},
                         {"row", numbers["id"].size() - 1},
                         {"nth", k + 1},
                         {"reason", reasons[k]},
                         {"code", k < codes.size() ? codes[k] : json(nullptr)}});
  }
  json cols = json::object();
  for (auto& [k, v] : numbers) cols[k] = std::move(v);
  cols["group"] = std::move(group.column);
  cols["state"] = std::move(state.column);
  cols["validation"] = std::move(validation.column);
  cols["firmware"] = std::move(firmware.column);
  cols["handshakes"] = std::move(hs_count);
  handshakes = {{"values", std::move(hs_values)}, {"offsets", std::move(hs_off)}};
  return {{"count", cols["id"].size()},
          {"columns", std::move(cols)},
          {"enums",
           {{"group", group.values},
            {"state", state.values},
            {"validation", validation.values},
            {"firmware", firmware.values}}}};
}

// heap/ID-timeline.csv (t_s,free_min,max_block_min,frag_max, then # lines: bucket width, marks),
// in device order.
json timelines(const fs::path& heap_dir) {
  json out = json::array();
  if (!fs::is_directory(heap_dir)) return out;
  std::vector<std::pair<uint32_t, fs::path>> files;
  for (const fs::directory_entry& e : fs::directory_iterator(heap_dir)) {
    const std::string name = e.path().filename().string();
    const size_t dash = name.find("-timeline.csv");
    if (dash == std::string::npos || dash == 0 || name.size() != dash + 13) continue;
    try {
      files.emplace_back(uint32_t(std::stoul(name.substr(0, dash))), e.path());
    } catch (const std::exception&) {
      continue;  // not one of ours
    }
  }
  std::sort(files.begin(), files.end());
  for (auto& [id, path] : files) {
    if (out.size() >= kReportTimelines) break;
    std::istringstream in(read_whole_file(path));
    std::string line;
    std::getline(in, line);
    if (line.rfind("t_s,free_min,max_block_min,frag_max", 0) != 0)
      throw std::runtime_error(path.string() + ": not a heap timeline (its first line is not t_s,free_min,...)");
    json t = json::array(), f = json::array(), b = json::array(), g = json::array(), marks = json::array();
    size_t n = 1;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      if (line[0] == '#') {  // "# mark,T,KIND,LABEL": a boot (b) or crash (c) on the timeline
        double at = 0;
        char kind = 0;
        int used = 0;
        if (std::sscanf(line.c_str(), "# mark,%lf,%c,%n", &at, &kind, &used) == 2 && used > 0)
          marks.push_back(
              {{"t_s", at}, {"kind", kind == 'c' ? "crash" : "boot"}, {"label", line.substr(size_t(used))}});
        continue;
      }
      double v[4];
      if (std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3]) != 4)
        throw std::runtime_error(path.string() + ":" + std::to_string(n) + ": not four numbers");
      t.push_back(v[0]);
      f.push_back(v[1]);
      b.push_back(v[2]);
      g.push_back(v[3]);
    }
    out.push_back(
        {{"device", id}, {"t_s", t}, {"free_min", f}, {"max_block_min", b}, {"frag_max", g}, {"marks", marks}});
  }
  return out;
}

// Each crash's heap map and post-mortem, where heap/ has them (the first kReportCrashMaps).
void attach_crash_files(json& crashes, const fs::path& heap_dir) {
  size_t attached = 0;
  for (json& c : crashes) {
    const std::string stem =
        std::to_string(c["device"].get<uint32_t>()) + "-crash-" + std::to_string(c["nth"].get<size_t>());
    const fs::path svg = heap_dir / (stem + ".svg"), txt = heap_dir / (stem + ".txt");
    if (attached >= kReportCrashMaps || !fs::exists(svg)) continue;
    attached++;
    c["heap_map"] = read_whole_file(svg);
    c["file"] = "heap/" + stem + ".svg";
    if (fs::exists(txt)) {
      std::string pm = read_whole_file(txt);
      double t = -1;
      if (pm.size() > 1 && pm[0] == '[') t = std::strtod(pm.c_str() + 1, nullptr);
      if (t >= 0) c["t_s"] = t;
      c["postmortem"] = std::move(pm);
    }
  }
}

}  // namespace

json report_data(const fs::path& dir) {
  json summary;
  {
    const fs::path file = dir / "summary.json";
    try {
      summary = json::parse(read_whole_file(file));
    } catch (const json::exception& e) {
      throw std::runtime_error(file.string() + ": not valid JSON: " + e.what());
    }
  }
  json data;
  json handshakes, crashes = json::array();
  uint64_t left_out = 0;
  double device_time_s = 0;
  data["devices"] = device_columns(dir / "devices.jsonl", handshakes, left_out, crashes, device_time_s);
  data["device_time_s"] = device_time_s;
  data["handshakes"] = std::move(handshakes);
  data["handshakes_left_out"] = left_out;
  attach_crash_files(crashes, dir / "heap");
  data["crashes"] = std::move(crashes);
  data["timelines"] = timelines(dir / "heap");
  summary.erase("histograms");  // the page bins the devices' own figures
  data["summary"] = std::move(summary);
  data["run_dir"] = fs::absolute(dir).lexically_normal().string();
  if (fs::exists(dir / "scenario.resolved.json")) {
    try {
      const json sc = json::parse(read_whole_file(dir / "scenario.resolved.json"));
      data["scenario"] = sc.contains("fleet") ? sc["fleet"] : json(nullptr);
    } catch (const json::exception& e) {
      throw std::runtime_error((dir / "scenario.resolved.json").string() + ": not valid JSON: " + e.what());
    }
  }
  return data;
}

std::string render_report_html(const json& data) {
  // Inside <script>, "</" would end the element: JSON allows "<\/" for it.
  std::string payload = data.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string safe;
  safe.reserve(payload.size() + payload.size() / 64);
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '<' && i + 1 < payload.size() && payload[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += payload[i];
    }
  }
  std::string page(report_assets::kPage);
  auto fill = [&page](std::string_view slot, std::string_view text) {
    const size_t at = page.find(slot);
    if (at == std::string::npos) throw std::logic_error("report page has no slot " + std::string(slot));
    page.replace(at, slot.size(), text);
  };
  // The data last: nothing after it is searched, so its text cannot be taken for a slot.
  fill("/*@STYLE@*/", report_assets::kStyle);
  fill("/*@CHARTJS@*/", report_assets::kChartJs);
  fill("/*@SCRIPT@*/", report_assets::kScript);
  fill("/*@DATA@*/", safe);
  return page;
}

fs::path write_html_report(const fs::path& dir) {
  const fs::path out = dir / "report.html";
  write_file_atomically(out, render_report_html(report_data(dir)));
  return out;
}

}  // namespace espfleet
