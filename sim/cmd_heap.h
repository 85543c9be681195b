// sim/cmd_heap.h — `espfleet heap --heap-bytes N TRACE`: replay an allocation trace on the
// umm_malloc model (UmmHeap) and print one JSON line of results and heap metrics per op.
#pragma once
#include <cstddef>
#include <iosfwd>
#include <string>

namespace espfleet {

// Trace lines: `malloc ID SIZE`, `free ID`, `realloc ID SIZE`, `calloc ID COUNT SIZE`; `#` starts a
// comment. Each op prints {"op": LINE, "ok": bool, "offset": N|null, "free": N, "max_block": N,
// "frag": N} to `out`. IDs act as a C caller's pointer variables. Returns 0; 2 on a bad heap size
// or a malformed line (message on `err`, naming `name:LINE:`; lines before it stay printed).
int run_heap_trace(std::istream& in, const std::string& name, size_t heap_bytes, std::ostream& out,
                   std::ostream& err);

}  // namespace espfleet
