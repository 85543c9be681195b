// sim/report/html_report.h — report.html: one self-contained page (docs/report.md) drawn from a
// run directory's summary.json, devices.jsonl and heap/ files (timelines, crash heap maps and
// post-mortems), with Chart.js and the page's own script inlined so it opens offline.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace espfleet {

// At most this many crashes carry their heap map and post-mortem into the page (the rest are
// listed, and their files named); at most this many heap timelines are drawn.
inline constexpr size_t kReportCrashMaps = 200;
inline constexpr size_t kReportTimelines = 24;
// A device's handshake times beyond this many are left out of the distributions (and counted).
inline constexpr size_t kReportHandshakesPerDevice = 64;

// What the page shows, gathered from the run directory: summary, device columns, timelines,
// crashes. Throws std::runtime_error naming the file that is missing or damaged.
nlohmann::json report_data(const std::filesystem::path& run_dir);
// The page for `data` (report_data).
std::string render_report_html(const nlohmann::json& data);
// Writes run_dir/report.html and returns its path.
std::filesystem::path write_html_report(const std::filesystem::path& run_dir);

}  // namespace espfleet
