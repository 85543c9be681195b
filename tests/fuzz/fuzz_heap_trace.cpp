// tests/fuzz/fuzz_heap_trace.cpp — an allocation trace as `espfleet heap` replays it
// (sim/cli/cmd_heap.h): any text is either replayed on the umm_malloc model, line by line, or
// refused at a line named "NAME:LINE:" with exit status 2; the heap map after it is drawn too.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cmd_heap.h"

using namespace espfleet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool ascii : {false, true}) {
    std::istringstream in(text);
    std::ostringstream out, err;
    HeapMapRequest map;
    map.ascii = ascii;
    const int rc = run_heap_trace(in, "fuzz.trace", Chip::esp8266, HeapKind::umm, 8192, out, err, map);
    if (rc != 0 && rc != 2) std::abort();
    if (rc == 2 && err.str().rfind("fuzz.trace:", 0) != 0) std::abort();  // a refusal names the trace and its line
    if (rc == 0 && !err.str().empty()) std::abort();
  }
  return 0;
}
