// tests/sim/heap/test_heap_sdk_traces.cpp — the ESP8266 SDK heap model (SdkHeap, heap_5 over one
// region) replaying the traces in sdk_traces/, made by tools/heap5-check --write-trace with the
// published FreeRTOS-Kernel heap_5.c's results after each operation: every returned offset (or
// failure), the free bytes, the largest free block less its header and the minimum free bytes
// must be the published ones, and at each trace's end the region's image must be the published
// image byte for byte (its FNV-1a hash), the model consistent and no free refused. The trace
// format is in the files' headers and tools/heap5-check.d/harness.c.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "heap_sdk.h"

using namespace espfleet;

namespace {

// FNV-1a 32 of the chip's image of the region, 8 hex digits, as tools/heap5-check.d/harness.c.
std::string image_hash(const SdkHeap& h) {
  uint32_t x = 2166136261u;
  for (size_t i = 0; i < h.size(); ++i) x = (x ^ h.base()[i]) * 16777619u;
  char t[9];
  std::snprintf(t, sizeof t, "%08x", x);
  return t;
}

// A malloc whose n bytes are filled with (k + 131 i) mod 256, k the command's index in the trace
// (the m, x and y commands, as the harness does them).
void* filled_malloc(SdkHeap& h, int64_t n, uint32_t k) {
  const size_t bytes = n < 0 ? 0 : size_t(n);
  auto* p = static_cast<uint8_t*>(h.malloc(bytes));
  if (p)
    for (size_t i = 0; i < bytes; ++i) p[i] = uint8_t(k + 131 * i);
  return p;
}

}  // namespace

TEST_CASE("sdk heap: tools/heap5-check's traces replay with the published heap_5.c's results after every operation") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(__FILE__).parent_path() / "sdk_traces";
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".trace") continue;
    ++files;
    CAPTURE(entry.path().filename().string());
    std::ifstream in(entry.path());
    std::string line;
    std::vector<uint8_t> mem;
    std::unique_ptr<SdkHeap> heap;
    std::vector<void*> slot(4096, nullptr);
    int ops = 0, lineno = 0, mismatches = 0;
    uint32_t k = 0;
    bool ended = false;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#') continue;
      auto arrow = line.find(" => ");
      REQUIRE(arrow != std::string::npos);
      std::istringstream cmd(line.substr(0, arrow));
      std::string op, want = line.substr(arrow + 4), got;
      int64_t a = 0, b = 0, c = 0;
      cmd >> op >> a >> b >> c;
      if (op == "pool") {
        REQUIRE(SdkHeap::size_problem(size_t(a)) == "");
        mem.assign(SdkHeap::arena_bytes(size_t(a)), 0);
        heap = std::make_unique<SdkHeap>(mem.data(), size_t(a));
        k = 0;
      } else if (op == "end") {
        REQUIRE(heap);
        got = image_hash(*heap);
        CHECK(heap->check_integrity() == "");
        ended = true;
      } else {
        REQUIRE(heap);
        REQUIRE(a >= 0);
        REQUIRE(size_t(a) < slot.size());
        SdkHeap& h = *heap;
        void* r = nullptr;
        if (op == "m") {
          r = slot[a] = filled_malloc(h, b, k);
        } else if (op == "c") {
          r = slot[a] = h.calloc(size_t(b), size_t(c));
        } else if (op == "r") {
          r = h.realloc(slot[a], size_t(b));
          if (r || b == 0) slot[a] = r;
        } else if (op == "x") {
          r = slot[a] = filled_malloc(h, int64_t(h.max_free_block()) + b, k);
        } else if (op == "y") {
          r = slot[a] = filled_malloc(h, int64_t(h.free_bytes()) - 8 + b, k);
        } else {
          REQUIRE(op == "f");
          h.free(slot[a]);
          slot[a] = nullptr;
        }
        got = op == "f" ? "-" : r ? std::to_string(h.offset_of(r)) : "-1";
        ++ops;
        ++k;
      }
      if (op != "end") {
        if (!got.empty()) got += " ";
        got += std::to_string(heap->free_bytes()) + " " + std::to_string(heap->max_free_block()) + " " +
               std::to_string(heap->minimum_free_bytes());
      }
      if (got != want && ++mismatches <= 3) {
        CAPTURE(lineno);
        CHECK(got == want);
      }
    }
    CHECK(mismatches == 0);
    CHECK(ended);
    CHECK(ops >= 300);
    CHECK(heap->bad_frees() == 0);
  }
  CHECK(files >= 5);
}
