// sim/sketch/sketch_link.h — the last step of a sketch build (`espfleet sketch link`, which the
// Arduino builder runs as its combine recipe): the sketch's and its libraries' objects become one
// shared object whose writable state — every global, static and function-local static — sits in
// one region (espfleet_state) and whose static constructors sit in another (espfleet_ctors), so
// each device can keep its own copy and run the constructors itself. Thread-local variables are
// refused; destructors of globals are dropped (the chip never runs them); the allocation and
// exit hooks a C library would take from the host go to the device instead.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace espfleet {

// The linker script that gathers the state (written next to the build by the platform files).
std::string sketch_gather_script();

// Links `objects` into `out` (a shared object; its intermediate objects beside it). Throws
// SketchError naming what the sketch does that a device cannot be given (thread-local state, a
// writable section left out).
void link_sketch(const std::vector<std::filesystem::path>& objects, const std::filesystem::path& script,
                 const std::filesystem::path& out);

}  // namespace espfleet
