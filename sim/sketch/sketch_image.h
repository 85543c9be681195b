// sim/sketch/sketch_image.h — a built sketch loaded into the simulator: its shared object opened
// once, the region holding its writable state and a pristine copy of it, its static constructors
// and its setup/loop, as the ProgramImage every device running it copies (sim/device/chip.h).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chip.h"

namespace espfleet {

class SketchImage {
 public:
  // Opens `so` (from build_sketch). Throws SketchError: a symbol the platform lacks (named,
  // demangled), no setup() or loop(), no state region.
  static std::unique_ptr<SketchImage> load(const std::filesystem::path& so, std::string name);
  ~SketchImage();
  SketchImage(const SketchImage&) = delete;
  SketchImage& operator=(const SketchImage&) = delete;

  Program program() const { return Program{name_.c_str(), nullptr, &image_}; }
  const ProgramImage& image() const { return image_; }
  const std::string& name() const { return name_; }

 private:
  SketchImage() = default;
  void* handle_ = nullptr;
  std::string name_;
  std::vector<uint8_t> pristine_;
  ProgramImage image_;
};

}  // namespace espfleet
