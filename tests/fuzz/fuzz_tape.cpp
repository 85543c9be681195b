// tests/fuzz/fuzz_tape.cpp — a tape file as `espfleet replay` reads it (sim/replay/tape.h): magic,
// JSON header, events. Whatever the bytes, read_tape refuses them with an exception naming the
// file and a reason, or gives a tape whose events decode one by one until the end or an error
// that Tape::error() says; nothing is read past the bytes given, nothing allocated beyond them.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>

#include "tape.h"

using namespace espfleet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size), std::ios::binary);
  TapeHeader h;
  try {
    Tape t = read_tape(in, "fuzz.tape", h);
    size_t n = 0;
    uint64_t bytes = 0;
    while (const NetEvent* e = t.peek()) {
      bytes += e->bytes.size();
      t.pop();
      if (++n > size || bytes > size) std::abort();  // every event and its bytes come from the input
    }
    if (n < t.events() && t.error().empty()) std::abort();  // stopped short without saying why
  } catch (const std::exception& e) {
    if (std::string(e.what()).rfind("fuzz.tape: ", 0) != 0) std::abort();
  }
  return 0;
}
