// sim/cli/cmd_report.cpp — `espfleet report` (cmd_report.h).
#include "cmd_report.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "cli_error.h"
#include "html_report.h"
#include "output_file.h"

namespace fs = std::filesystem;

namespace espfleet {

CLI::App* add_report_command(CLI::App& app, ReportOptions& o) {
  CLI::App* c = app.add_subcommand(
      "report", "Write RUN_DIR/report.html: the run's figures, charts, crashes and device table in one offline page");
  c->add_option("RUN_DIR", o.dir, "A run directory (espfleet run --out, or espfleet merge --out)")
      ->required()
      ->check(CLI::ExistingDirectory);
  c->add_option("--out", o.out, "Write the page here instead of RUN_DIR/report.html");
  return c;
}

int cmd_report(const ReportOptions& o) {
  try {
    const fs::path dir(o.dir);
    if (!fs::exists(dir / "summary.json")) throw CliError(o.dir + ": no summary.json (not a run directory)");
    const fs::path out = o.out.empty() ? dir / "report.html" : fs::path(o.out);
    const std::string page = render_report_html(report_data(dir));
    write_file_atomically(out, page);
    std::printf("%s (%.1f MB)\n", out.string().c_str(), double(page.size()) / 1e6);
    return 0;
  } catch (const std::exception& e) {
    return report_command_error("report", e);
  }
}

}  // namespace espfleet
