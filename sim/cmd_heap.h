// sim/cmd_heap.h — `espfleet heap`: replay an allocation trace on the umm_malloc model.
#pragma once
#include <cstddef>
#include <iosfwd>
#include <string>

namespace espfleet {
// Reads ops from `in` (named `name` in errors), prints one JSON line per op to `out`.
// Returns 0, or 2 on a malformed trace / bad heap size (message on `err`).
int run_heap_trace(std::istream& in, const std::string& name, size_t heap_bytes, std::ostream& out,
                   std::ostream& err);
}  // namespace espfleet
