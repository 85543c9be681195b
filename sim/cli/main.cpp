// sim/cli/main.cpp — the espfleet command line: run, merge, report, replay, heap, pki, profile, fingerprint, sketch.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "chip.h"
#include "cmd_fingerprint.h"
#include "cmd_heap.h"
#include "cmd_merge.h"
#include "cmd_pki.h"
#include "cmd_profile.h"
#include "cmd_replay.h"
#include "cmd_report.h"
#include "cmd_run.h"
#include "cmd_sketch.h"
#include "run_shards.h"

int main(int argc, char** argv) {
  // A device writing to a connection its peer already closed gets EPIPE, as lwIP reports an
  // error: never a process-wide SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"espfleet — fleets of virtual ESP8266 devices (BearSSL TLS + MQTT firmware) against a real broker"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "espfleet 0.1.0");

  espfleet::RunOptions run;
  CLI::App* run_cmd =
      app.add_subcommand("run", "Run a fleet scenario against a broker (embedded Mosquitto by default)");
  espfleet::add_run_options(*run_cmd, run);
  espfleet::MergeOptions merge;
  CLI::App* merge_cmd = espfleet::add_merge_command(app, merge);
  espfleet::ReportOptions report;
  CLI::App* report_cmd = espfleet::add_report_command(app, report);

  std::string trace, heap_chip = "esp8266", heap_allocator;
  size_t heap_bytes = 0;
  CLI::App* heap_cmd = app.add_subcommand(
      "heap",
      "Replay an allocation trace on a chip's heap model (umm_malloc on the esp8266, ESP-IDF's multi_heap on TLSF on "
      "the esp32c3); one JSON line per operation");
  heap_cmd->add_option("--chip", heap_chip, "Which chip's allocator: esp8266 (umm_malloc) or esp32c3 (TLSF)")
      ->check(CLI::IsMember({"esp8266", "esp32c3"}))
      ->capture_default_str();
  heap_cmd
      ->add_option("--allocator", heap_allocator,
                   "Another allocator than the chip's: umm, tlsf, or sdk (the ESP8266 non-OS SDK's own heap, "
                   "which NodeMCU uses: FreeRTOS heap_5, first fit)")
      ->check(CLI::IsMember({"umm", "tlsf", "sdk"}));
  heap_cmd->add_option("--heap-bytes", heap_bytes,
                       "Heap size in bytes (esp8266: a multiple of 8, default 49152; esp32c3: the region, default "
                       "155648)");
  heap_cmd
      ->add_option("TRACE", trace,
                   "Trace file (malloc ID SIZE | free ID | realloc ID SIZE | calloc ID COUNT SIZE), '-' for stdin")
      ->required();
  espfleet::HeapMapRequest heap_map;
  heap_cmd->add_option("--map-svg", heap_map.svg_file,
                       "Also write the heap map after the trace as SVG (owner = the ID's prefix before '.' or ':')");
  heap_cmd->add_flag("--map", heap_map.ascii, "Print the heap map after the trace as ASCII instead of the JSON lines");

  espfleet::PkiOptions pki;
  CLI::App* pki_cmd = espfleet::add_pki_command(app, pki);
  espfleet::ProfileOptions profile;
  CLI::App* profile_cmd = espfleet::add_profile_command(app, profile);
  espfleet::FingerprintOptions fingerprint;
  CLI::App* fingerprint_cmd = espfleet::add_fingerprint_command(app, fingerprint);

  espfleet::ReplayOptions replay;
  CLI::App* replay_cmd = espfleet::add_replay_command(app, replay);
  espfleet::SketchOptions sketch;
  CLI::App* sketch_cmd = espfleet::add_sketch_command(app, sketch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and exit 0; every usage error is bad input: exit 2, as the
    // commands' own errors (CLI11's codes, 104–114, are not ours to document).
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (*run_cmd) return run.shards ? espfleet::cmd_run_shards(run) : espfleet::cmd_run(run);
  if (*merge_cmd) return espfleet::cmd_merge(merge);
  if (*report_cmd) return espfleet::cmd_report(report);
  if (*pki_cmd) return espfleet::cmd_pki(pki);
  if (*replay_cmd) {
    std::string line = "espfleet";
    for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
    return espfleet::cmd_replay(replay, line);
  }
  if (*profile_cmd) return espfleet::cmd_profile(profile);
  if (*fingerprint_cmd) return espfleet::cmd_fingerprint(fingerprint);
  if (*sketch_cmd) return espfleet::cmd_sketch(*sketch_cmd, sketch);
  if (*heap_cmd) {
    const espfleet::Chip chip = *espfleet::enum_parse(espfleet::kChipNames, heap_chip);
    if (!heap_bytes) heap_bytes = espfleet::chip_defaults(chip).heap_bytes;
    const espfleet::HeapKind kind = heap_allocator.empty()
                                        ? espfleet::chip_model(chip).heap
                                        : *espfleet::enum_parse(espfleet::kHeapKindNames, heap_allocator);
    if (trace == "-")
      return espfleet::run_heap_trace(std::cin, "<stdin>", chip, kind, heap_bytes, std::cout, std::cerr, heap_map);
    std::error_code ec;
    if (std::filesystem::is_directory(trace, ec)) {
      std::cerr << "espfleet heap: " << trace << ": is a directory, not a trace file\n";
      return 2;
    }
    std::ifstream in(trace);
    if (!in) {
      std::cerr << "espfleet heap: cannot open trace file '" << trace << "': " << std::strerror(errno) << "\n";
      return 2;
    }
    return espfleet::run_heap_trace(in, trace, chip, kind, heap_bytes, std::cout, std::cerr, heap_map);
  }
  return 0;
}
