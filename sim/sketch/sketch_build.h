// sim/sketch/sketch_build.h — building a user's sketch folder for the simulator. The Arduino
// IDE's own builder (Debian's arduino-builder, with arduino-ctags) does what it does for a board:
// the .ino preprocessing (Arduino.h, prototypes, several .ino files joined), finding the libraries
// the sketch includes among those given, compiling each; espfleet gives it a board of its own
// (an "espfleet:esp8266:host" platform written into the cache) whose compiler is the host's, whose
// headers are espfleet's ESP8266 platform (shims/), and whose link step is `espfleet sketch link`
// (sketch_link.h). Builds are cached by the content of every source file they read.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace espfleet {

struct SketchSource {
  std::filesystem::path dir;                     // the sketch folder (NAME/NAME.ino, more .ino, .cpp, .h)
  std::vector<std::filesystem::path> libraries;  // a library folder each, or a folder of libraries
  std::filesystem::path cache;                   // where builds are kept
};

struct SketchBuild {
  std::string name;           // the sketch's name (its main .ino's stem)
  std::filesystem::path so;   // the shared object SketchImage::load opens
  std::filesystem::path dir;  // its build folder (the builder's output, build.log)
  bool cached = false;        // found in the cache, not built now
};

// Throws SketchError with the builder's own output (the compiler's errors, which name the files
// and lines) when the sketch does not build, or naming the folder when there is no sketch.
SketchBuild build_sketch(const SketchSource& src, const std::filesystem::path& espfleet_exe);

class SketchImage;

// A sketch built (or found in the cache) by this espfleet and opened: what `run --firmware` and
// `sketch build` start from. Throws SketchError as build_sketch and SketchImage::load do.
struct LoadedSketch {
  SketchBuild build;
  std::unique_ptr<SketchImage> image;
  LoadedSketch();
  LoadedSketch(LoadedSketch&&) noexcept;
  LoadedSketch& operator=(LoadedSketch&&) noexcept;
  ~LoadedSketch();
};
LoadedSketch load_sketch(const SketchSource& src);

// The default cache: $XDG_CACHE_HOME/espfleet/sketches, else ~/.cache/espfleet/sketches.
std::filesystem::path default_sketch_cache();

}  // namespace espfleet
