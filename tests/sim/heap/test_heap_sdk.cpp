// tests/sim/heap/test_heap_sdk.cpp — the ESP8266 SDK heap model (FreeRTOS heap_5 over one region,
// the allocator NodeMCU runs on) against hand-derived layouts: the fresh region (one free block up
// to the end marker), requests plus the 8-byte header rounded to 8, first fit from the lowest
// address, the split only when more than 16 bytes would be left, merging with both neighbours on
// free, the free counter and its minimum, refusals (zero, over the free bytes, 32-bit overflow),
// realloc as malloc + copy + free, host bytes beyond a block, bad frees, the image's addresses.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "heap_sdk.h"

using namespace espfleet;

namespace {

struct Region {
  std::vector<uint8_t> mem;
  SdkHeap heap;
  explicit Region(size_t bytes) : mem(SdkHeap::arena_bytes(bytes)), heap(mem.data(), bytes) {}
  size_t off(const void* p) const { return heap.offset_of(p); }
  uint32_t word(uint32_t off) const {
    uint32_t v;
    std::memcpy(&v, heap.base() + off, 4);
    return v;
  }
};

struct Seen {
  uint32_t first, units;
  bool used;
};
std::vector<Seen> chunks(const SdkHeap& h) {
  std::vector<Seen> v;
  h.for_each([&](const ChipHeap::Chunk& c) { v.push_back({c.first, c.units, c.used}); });
  return v;
}

}  // namespace

TEST_CASE("sdk heap: a fresh region is one free block from offset 0 to the end marker, in chip addresses") {
  Region r(1024);
  CHECK(r.heap.kind() == HeapKind::sdk);
  CHECK(r.heap.end_offset() == 1016);  // (1024 - 8) & ~7
  CHECK(r.heap.free_bytes() == 1016);
  CHECK(r.heap.minimum_free_bytes() == 1016);
  CHECK(r.heap.max_free_block() == 1008);  // the block less its header
  CHECK(r.heap.chip_base() == 0x3FFFC000 - 1024);
  CHECK(r.word(0) == r.heap.chip_base() + 1016);  // the block's next: pxEnd, as the chip's address
  CHECK(r.word(4) == 1016);
  CHECK(r.word(1016) == 0);  // pxEnd: next NULL, size 0
  CHECK(r.word(1020) == 0);
  CHECK(r.heap.check_integrity() == "");
  CHECK(SdkHeap::size_problem(1004) != "");  // not a multiple of 8
  CHECK(SdkHeap::size_problem(32) != "");
  CHECK(SdkHeap::size_problem(81920) == "");
  CHECK(SdkHeap::size_problem(81928) != "");
}

TEST_CASE("sdk heap: requests take their size + 8 rounded to 8; first fit; split only above 16 bytes left") {
  Region r(1024);
  void* a = r.heap.malloc(1);    // 1 + 8 -> 16
  void* b = r.heap.malloc(8);    // 16
  void* c = r.heap.malloc(100);  // 108 -> 112
  void* g = r.heap.malloc(8);    // after c: c's block, once free, is a hole between b and g
  (void)g;
  CHECK(r.off(a) == 8);
  CHECK(r.off(b) == 24);
  CHECK(r.off(c) == 40);
  CHECK(r.heap.block_size(c) == 112);
  CHECK(r.heap.free_bytes() == 1016 - 16 - 16 - 112 - 16);
  CHECK(r.word(0 + 4) == (16u | SdkHeap::kAllocated));
  CHECK(r.word(0) == 0);  // an allocated block's link is NULL
  // Free the first: a hole of 16 at offset 0; a request of 8 (16) fits it exactly — first fit.
  r.heap.free(a);
  void* d = r.heap.malloc(8);
  CHECK(r.off(d) == 8);
  // A request that leaves exactly 16 takes the whole block (no split: not more than 16 left).
  r.heap.free(c);               // a hole of 112 at 32, between b and g
  void* e = r.heap.malloc(80);  // 88: 112 - 88 = 24 > 16, split
  CHECK(r.off(e) == 40);
  CHECK(r.heap.block_size(e) == 88);
  r.heap.free(e);
  void* f = r.heap.malloc(88);  // 96: 112 - 96 = 16, not more than 16: the whole 112
  CHECK(r.off(f) == 40);
  CHECK(r.heap.block_size(f) == 112);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("sdk heap: a free merges with the free blocks on both sides; the list stays in address order") {
  Region r(1024);
  void* a = r.heap.malloc(24);  // 32 at 0
  void* b = r.heap.malloc(24);  // 32 at 32
  void* c = r.heap.malloc(24);  // 32 at 64
  void* keep = r.heap.malloc(24);
  (void)keep;
  r.heap.free(a);
  r.heap.free(c);
  CHECK(chunks(r.heap)[0].used == false);
  CHECK(chunks(r.heap)[1].used == true);
  CHECK(chunks(r.heap)[2].used == false);
  r.heap.free(b);  // plugs the gap: one block of 96 at 0
  auto v = chunks(r.heap);
  REQUIRE(v.size() >= 2);
  CHECK(v[0].first == 0);
  CHECK(v[0].units == 12);
  CHECK(v[0].used == false);
  CHECK(r.heap.check_integrity() == "");
  // Free everything: back to one block.
  r.heap.free(keep);
  CHECK(r.heap.free_bytes() == 1016);
  CHECK(chunks(r.heap).size() == 1);
  CHECK(r.heap.max_free_block() == 1008);
}

TEST_CASE("sdk heap: refusals — zero, more than the free bytes, a 32-bit overflow — and the minimum") {
  Region r(1024);
  CHECK(r.heap.malloc(0) == nullptr);
  CHECK(r.heap.malloc(1009) == nullptr);  // 1017 -> 1024 > 1016 free
  CHECK(r.heap.last_failed_size() == 1009);
  void* all = r.heap.malloc(1008);  // exactly the block
  CHECK(all != nullptr);
  CHECK(r.heap.free_bytes() == 0);
  CHECK(r.heap.minimum_free_bytes() == 0);
  CHECK(r.heap.max_free_block() == 0);
  r.heap.free(all);
  CHECK(r.heap.minimum_free_bytes() == 0);  // the lowest ever stays
  CHECK(r.heap.calloc(0x10000, 0x10001) == nullptr);
  CHECK(r.heap.malloc(0xFFFFFFFCu) == nullptr);  // + 8 overflows 32 bits: refused
  // Free bytes alone do not make a fit: two 400-byte holes, a 500-byte request fails.
  void* x = r.heap.malloc(392);
  void* y = r.heap.malloc(8);
  void* z = r.heap.malloc(392);
  (void)y;
  r.heap.free(x);
  (void)z;
  CHECK(r.heap.free_bytes() >= 500);
  CHECK(r.heap.malloc(500) == nullptr);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("sdk heap: realloc is malloc, copy, free — never in place; NULL and 0 as malloc and free") {
  Region r(1024);
  auto* p = static_cast<uint8_t*>(r.heap.malloc(40));
  for (int i = 0; i < 40; ++i) p[i] = uint8_t(i * 3);
  auto* q = static_cast<uint8_t*>(r.heap.realloc(p, 20));  // shrink: still a new block
  CHECK(q != p);
  CHECK(r.off(q) == 56);  // after p's 48-byte block (the new block is taken before p is freed)
  for (int i = 0; i < 20; ++i) CHECK(q[i] == uint8_t(i * 3));
  CHECK(r.heap.block_size(q) == 32);
  // p's block is free again: the next small request lands there.
  void* s = r.heap.malloc(8);
  CHECK(r.off(s) == 8);
  // realloc of NULL mallocs; to 0 frees.
  void* t = r.heap.realloc(nullptr, 16);
  CHECK(t != nullptr);
  CHECK(r.heap.realloc(t, 0) == nullptr);
  CHECK(r.heap.key_of(t) == 0);
  // A realloc that cannot get a block leaves the old one alone.
  CHECK(r.heap.realloc(q, 2000) == nullptr);
  CHECK(r.heap.key_of(q) != 0);
  for (int i = 0; i < 20; ++i) CHECK(q[i] == uint8_t(i * 3));
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("sdk heap: host bytes beyond a block live beside the image; bad frees are counted, not taken") {
  Region r(1024);
  // A 64-bit host object of 48 bytes charged as the chip's 24.
  auto* p = static_cast<uint8_t*>(r.heap.malloc(24, 48));
  REQUIRE(p != nullptr);
  CHECK(r.heap.block_size(p) == 32);
  CHECK(!(p >= r.heap.base() && p < r.heap.base() + 1024));  // beside the image
  CHECK(r.heap.room_at(p) >= 48);
  std::memset(p, 0x5a, 48);
  CHECK(r.off(p) == 8);
  auto* q = static_cast<uint8_t*>(r.heap.realloc(p, 40, 80));
  REQUIRE(q != nullptr);
  CHECK(q[0] == 0x5a);
  CHECK(q[47] == 0x5a);
  r.heap.free(q);
  int local = 0;
  r.heap.free(&local);
  r.heap.free(r.heap.base() + 12);  // inside the image but no block's data
  CHECK(r.heap.bad_frees() == 2);
  CHECK(r.heap.free_bytes() == 1016);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("sdk heap: the same requests give the same digest; a different order another") {
  auto run = [](bool swap) {
    Region r(2048);
    void* a = r.heap.malloc(swap ? 64 : 32);
    void* b = r.heap.malloc(swap ? 32 : 64);
    r.heap.free(a);
    r.heap.free(b);
    return r.heap.digest();
  };
  CHECK(run(false) == run(false));
  CHECK(run(false) != run(true));
}
