// sim/cli/cmd_sketch.cpp — `espfleet sketch build` and `espfleet sketch link` (cmd_sketch.h).
#include "cmd_sketch.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_error.h"
#include "sketch_build.h"
#include "sketch_error.h"
#include "sketch_image.h"
#include "sketch_link.h"

namespace espfleet {

namespace fs = std::filesystem;

CLI::App* add_sketch_command(CLI::App& app, SketchOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("sketch", "Build a user's Arduino sketch to run as fleet devices (docs/sketches.md)");
  cmd->require_subcommand(1);
  CLI::App* build = cmd->add_subcommand(
      "build",
      "Build a sketch folder with its libraries; print what each device will hold (its globals, constructors)");
  build->add_option("DIR", o.dir, "Sketch folder (NAME/NAME.ino, more .ino, .cpp, .h)")->required();
  build->add_option("--library", o.libraries,
                    "A library folder (Arduino layout: library.properties, src/), or a folder of them (repeatable)");
  build->add_option("--cache", o.cache, "Where builds are kept (default: ~/.cache/espfleet/sketches)");
  build->add_flag("--json", o.json, "Print the result as one JSON object");
  CLI::App* link = cmd->add_subcommand("link", "The builder's link step (run by arduino-builder, not by hand)");
  link->add_option("--script", o.script, "The gather linker script")->required();
  link->add_option("--out", o.out, "The shared object to write")->required();
  link->add_option("OBJECTS", o.objects, "The sketch's and its libraries' objects")->required();
  return cmd;
}

namespace {

int sketch_build(const SketchOptions& o) {
  SketchSource src;
  src.dir = o.dir;
  for (const std::string& l : o.libraries) src.libraries.push_back(l);
  src.cache = o.cache.empty() ? default_sketch_cache() : fs::path(o.cache);
  if (!o.json) std::fprintf(stderr, "espfleet sketch: building %s ...\n", o.dir.c_str());
  const LoadedSketch s = load_sketch(src);
  const SketchBuild& b = s.build;
  const ProgramImage& im = s.image->image();
  if (o.json) {
    nlohmann::ordered_json j{{"sketch", b.name},
                             {"so", b.so.string()},
                             {"cached", b.cached},
                             {"state_bytes", im.state_bytes},
                             {"constructors", im.ctor_count}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("sketch %s: %s%s\n  per device: %zu bytes of globals and statics, %zu static constructor%s\n",
                b.name.c_str(), b.so.c_str(), b.cached ? " (cached)" : "", im.state_bytes, im.ctor_count,
                im.ctor_count == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace

int cmd_sketch(const CLI::App& cmd, const SketchOptions& o) {
  try {
    if (cmd.got_subcommand("link")) {
      std::vector<fs::path> objs(o.objects.begin(), o.objects.end());
      link_sketch(objs, o.script, o.out);
      return 0;
    }
    return sketch_build(o);
  } catch (const std::exception& e) {
    return report_command_error("sketch", e);
  }
}

}  // namespace espfleet
