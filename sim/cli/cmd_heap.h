// sim/cli/cmd_heap.h — `espfleet heap [--chip C] [--allocator A] [--heap-bytes N] TRACE`: replay an
// allocation trace on a chip's heap model (umm_malloc, UmmHeap, on the esp8266; multi_heap on TLSF,
// TlsfHeap, on the esp32c3; or the SDK's own heap NodeMCU uses, SdkHeap) and print one JSON line
// of results and heap metrics per op.
#pragma once
#include <cstddef>
#include <iosfwd>
#include <string>

#include "chip_heap.h"
#include "chip_kind.h"

namespace espfleet {

// Trace lines: `malloc ID SIZE`, `free ID`, `realloc ID SIZE`, `calloc ID COUNT SIZE`; `#` starts a
// comment. Each op prints {"op": LINE, "ok": bool, "offset": N|null, "free": N, "max_block": N,
// "frag": N} to `out`, with "warning": TEXT added for a free of an id that no line allocated or
// that was freed already (both free(NULL) in C: legal, and worth saying). IDs act as a C caller's pointer variables. Returns 0; 2 on a bad heap size
// or a malformed line (message on `err`, naming `name:LINE:`; lines before it stay printed).
// The heap map after the trace (sim/heap/heap_map.h): each chunk's owner is its ID's prefix before the
// first '.' or ':' when that names a tag (tls, tls_buffers, thunk, x509, lwip, mqtt, app, new,
// other: "mqtt.buf"), else "other". svg_file: written as SVG (2 if it cannot be written);
// ascii: the ASCII map is printed to `out` instead of the JSON lines.
struct HeapMapRequest {
  std::string svg_file;
  bool ascii = false;
};

// kind: the allocator (the chip's, or another one's: `--allocator`).
int run_heap_trace(std::istream& in, const std::string& name, Chip chip, HeapKind kind, size_t heap_bytes,
                   std::ostream& out, std::ostream& err, const HeapMapRequest& map = {});

}  // namespace espfleet
