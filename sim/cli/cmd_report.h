// sim/cli/cmd_report.h — `espfleet report RUN_DIR`: (re)writes the run directory's report.html
// from its summary.json, devices.jsonl and heap/ files (docs/report.md); `run` and `merge`
// write it themselves.
#pragma once
#include <string>

namespace CLI {
class App;
}

namespace espfleet {

struct ReportOptions {
  std::string dir;  // RUN_DIR
  std::string out;  // --out FILE (default RUN_DIR/report.html)
};

CLI::App* add_report_command(CLI::App& app, ReportOptions& o);
// 0 and the page's path on stdout; 2 with the file that is missing or damaged named on stderr.
int cmd_report(const ReportOptions& o);

}  // namespace espfleet
