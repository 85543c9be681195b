// sim/sketch/sketch_error.h — why a user's sketch cannot be built or run, in words that name the
// file, the symbol or the step (docs/sketches.md).
#pragma once
#include <stdexcept>

namespace espfleet {

class SketchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace espfleet
