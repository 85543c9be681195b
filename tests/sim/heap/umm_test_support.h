// tests/sim/heap/umm_test_support.h — what the umm model's tests share: a heap on its own memory,
// and a byte pattern to fill a block with and find again.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "heap_umm.h"

namespace espfleet::umm_test {

// A heap on its own zeroed memory (model and data arena). Block b's chunk is at offset 8b+4.
struct TestHeap {
  std::vector<uint64_t> mem;
  UmmHeap heap;
  explicit TestHeap(size_t bytes) : mem((UmmHeap::arena_bytes(bytes) + 7) / 8), heap(mem.data(), bytes) {}
  size_t off(const void* p) const { return heap.offset_of(p); }
  bool in_place(const void* p) const { return static_cast<const uint8_t*>(p) < heap.base() + heap.size(); }
};

// A pattern of n bytes from `seed`, and whether p still holds it.
inline void fill(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
}

inline bool holds(const void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i] != uint8_t(seed + i * 7)) return false;
  return true;
}

}  // namespace espfleet::umm_test
