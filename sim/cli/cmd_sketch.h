// sim/cli/cmd_sketch.h — `espfleet sketch build DIR`: a user's Arduino sketch built for the
// simulator (what it will cost each device: its state and constructors), and `espfleet sketch
// link`, the builder's link step (sim/sketch/sketch_link.h), which users do not call.
#pragma once
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace espfleet {

struct SketchOptions {
  std::string dir;                     // build: the sketch folder
  std::vector<std::string> libraries;  // --library DIR (repeatable)
  std::string cache;                   // --cache DIR (default: default_sketch_cache())
  bool json = false;
  // link (from arduino-builder's combine recipe)
  std::string script, out;
  std::vector<std::string> objects;
};

// Adds `sketch` (with `build` and `link`) to `app`; returns it.
CLI::App* add_sketch_command(CLI::App& app, SketchOptions& o);
// 0 on success; 2 with a message naming the folder, file or symbol on stderr.
int cmd_sketch(const CLI::App& cmd, const SketchOptions& o);

}  // namespace espfleet
