// tests/sim/heap/test_heap_umm.cpp — the umm_malloc model against hand-derived layouts: block
// rounding, best fit and its ties, free coalescing, the fragmentation metric, the four realloc
// cases, calloc, bad frees, and a long seeded random run checked against a shadow model; then
// charging a size other than the host's (target sizes): where such chunks keep their host bytes,
// that writing all of them harms no neighbour, realloc between the two placements, and a second
// random run mixing both.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "heap_umm.h"

using namespace espfleet;

namespace {

// A heap on its own zeroed memory (model and data arena). Block b's chunk is at offset 8b+4.
struct TestHeap {
  std::vector<uint64_t> mem;
  UmmHeap heap;
  explicit TestHeap(size_t bytes) : mem((UmmHeap::arena_bytes(bytes) + 7) / 8), heap(mem.data(), bytes) {}
  size_t off(const void* p) const { return heap.offset_of(p); }
  bool in_place(const void* p) const { return static_cast<const uint8_t*>(p) < heap.base() + heap.size(); }
};

std::string construct_error(size_t bytes) {
  std::vector<uint64_t> mem(UmmHeap::arena_bytes(bytes) / 8 + 1);
  try {
    UmmHeap h(mem.data(), bytes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

void fill(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
}

bool holds(const void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i] != uint8_t(seed + i * 7)) return false;
  return true;
}

}  // namespace

TEST_CASE("a fresh heap has one free chunk of N-16 bytes and no fragmentation") {
  TestHeap t(4096);
  CHECK(t.heap.free_bytes() == 4080);
  CHECK(t.heap.max_free_block() == 4080);
  CHECK(t.heap.fragmentation() == 0);
  CHECK(t.heap.check_integrity() == "");
  CHECK(t.heap.size() == 4096);
  CHECK(t.heap.last_failed_size() == 0);
  int chunks = 0;
  t.heap.for_each_chunk([&](size_t first, size_t n, bool used) {
    ++chunks;
    CHECK(first == 1);
    CHECK(n == 510);
    CHECK_FALSE(used);
  });
  CHECK(chunks == 1);

  TestHeap small(64);  // 8 blocks: head, 6 free, end marker
  CHECK(small.heap.free_bytes() == 48);
  CHECK(small.heap.max_free_block() == 48);
}

TEST_CASE("the constructor rejects sizes that are not a multiple of 8, below 64 or above 262144") {
  CHECK(construct_error(4095).find("multiple of 8") != std::string::npos);
  CHECK(construct_error(4095).find("4095") != std::string::npos);
  CHECK(construct_error(56).find("at least 64") != std::string::npos);
  CHECK(construct_error(0) != "");
  CHECK(construct_error(262152).find("262144") != std::string::npos);
  CHECK(construct_error(262144) == "");
  CHECK(construct_error(64) == "");
}

TEST_CASE("the first allocation is at offset 12 and the next one follows its blocks") {
  TestHeap t(4096);
  void* a = t.heap.malloc(1);
  REQUIRE(a);
  CHECK(t.off(a) == 12);
  CHECK(t.heap.contains(a));
  void* b = t.heap.malloc(1);
  CHECK(t.off(b) == 20);
  CHECK(t.heap.free_bytes() == 4080 - 16);
}

TEST_CASE("a request of n bytes takes ceil((n+4)/8) blocks") {
  CHECK(UmmHeap::blocks_for(0) == 0);
  CHECK(UmmHeap::blocks_for(1) == 1);
  CHECK(UmmHeap::blocks_for(4) == 1);
  CHECK(UmmHeap::blocks_for(5) == 2);
  CHECK(UmmHeap::blocks_for(12) == 2);
  CHECK(UmmHeap::blocks_for(13) == 3);
  CHECK(UmmHeap::blocks_for(SIZE_MAX) > UmmHeap::kMaxChunkBlocks);

  TestHeap t(4096);
  void* a = t.heap.malloc(4);  // 1 block
  CHECK(t.heap.free_bytes() == 4072);
  void* b = t.heap.malloc(5);  // 2 blocks, right after a
  CHECK(t.off(a) == 12);
  CHECK(t.off(b) == 20);
  CHECK(t.heap.free_bytes() == 4056);
  void* c = t.heap.malloc(13);  // 3 blocks
  CHECK(t.off(c) == 36);
  CHECK(t.off(t.heap.malloc(1)) == 60);
}

TEST_CASE("malloc(0) returns NULL without counting as a failure") {
  TestHeap t(4096);
  CHECK(t.heap.malloc(0) == nullptr);
  CHECK(t.heap.last_failed_size() == 0);
  CHECK(t.heap.free_bytes() == 4080);
}

TEST_CASE("out of memory returns NULL and records the failed size") {
  TestHeap t(4096);
  CHECK(t.heap.malloc(4077) == nullptr);  // 511 blocks > 510 free
  CHECK(t.heap.last_failed_size() == 4077);
  void* all = t.heap.malloc(4076);  // max block 4080 - 4: exactly 510 blocks
  REQUIRE(all);
  CHECK(t.off(all) == 12);
  CHECK(t.heap.free_bytes() == 0);
  CHECK(t.heap.max_free_block() == 0);
  CHECK(t.heap.fragmentation() == 0);
  CHECK(t.heap.malloc(1) == nullptr);
  CHECK(t.heap.last_failed_size() == 1);
  CHECK(t.heap.malloc(SIZE_MAX) == nullptr);
  CHECK(t.heap.last_failed_size() == SIZE_MAX);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("requests of more than 32767 blocks fail even on the largest heap") {
  TestHeap t(262144);  // 32766 free blocks
  CHECK(t.heap.free_bytes() == 262128);
  CHECK(t.heap.malloc(32767 * 8 - 4) == nullptr);  // 32767 blocks
  CHECK(t.heap.malloc(32767 * 8 - 3) == nullptr);  // 32768 blocks: over the cap
  CHECK(t.heap.last_failed_size() == 32767 * 8 - 3);
  void* all = t.heap.malloc(32766 * 8 - 4);
  REQUIRE(all);
  CHECK(t.off(all) == 12);
  CHECK(t.heap.free_bytes() == 0);
}

TEST_CASE("best fit takes the smaller hole even when a larger one is first in the free list") {
  TestHeap t(4096);
  void* a = t.heap.malloc(20);  // blocks 1..3
  t.heap.malloc(4);             // 4
  void* b = t.heap.malloc(12);  // 5..6
  t.heap.malloc(4);             // 7; the rest is 8..510
  t.heap.free(b);
  t.heap.free(a);  // list: a(3 blocks), b(2), rest(503)
  void* x = t.heap.malloc(12);
  CHECK(t.off(x) == 44);  // b's place, not a's lower, earlier-listed one
  void* y = t.heap.malloc(4);
  CHECK(t.off(y) == 12);  // a (3 blocks) beats the rest
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("on a tie the first chunk in free-list order wins: the most recently freed") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // blocks 1..2
  t.heap.malloc(4);             // 3
  void* b = t.heap.malloc(12);  // 4..5
  t.heap.malloc(4);             // 6
  t.heap.free(a);
  t.heap.free(b);  // list: b, a, rest
  CHECK(t.off(t.heap.malloc(12)) == 36);  // b, although a has the lower address
  CHECK(t.off(t.heap.malloc(12)) == 12);
}

TEST_CASE("on a tie between chunks larger than the request the first in free-list order wins") {
  TestHeap t(4096);
  void* a = t.heap.malloc(20);  // blocks 1..3
  t.heap.malloc(4);             // 4
  void* b = t.heap.malloc(20);  // 5..7
  t.heap.malloc(4);             // 8
  t.heap.free(a);
  t.heap.free(b);  // list: b(3), a(3), rest
  CHECK(t.off(t.heap.malloc(12)) == 44);  // low end of b
  CHECK(t.off(t.heap.malloc(12)) == 12);  // a; b's 1-block remainder is too small
  CHECK(t.off(t.heap.malloc(4)) == 60);   // b's remainder (block 7) before a's (block 3): list order
  CHECK(t.off(t.heap.malloc(4)) == 28);
}

TEST_CASE("the remainder of a split chunk keeps the chunk's slot in the free list") {
  TestHeap t(4096);
  void* s = t.heap.malloc(20);  // blocks 1..3
  t.heap.malloc(4);             // 4
  void* h = t.heap.malloc(4);   // 5
  t.heap.malloc(4);             // 6
  t.heap.free(s);
  t.heap.free(h);  // list: h(1), s(3), rest
  CHECK(t.off(t.heap.malloc(12)) == 12);  // low end of s; s's remainder (block 3) stays second
  CHECK(t.off(t.heap.malloc(4)) == 44);   // tie of 1-block chunks: h is first
  CHECK(t.off(t.heap.malloc(4)) == 28);   // then the remainder
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("free merges with free chunks on both sides") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // 1..2
  void* b = t.heap.malloc(12);  // 3..4
  void* c = t.heap.malloc(12);  // 5..6
  t.heap.malloc(12);            // 7..8; rest 9..510 = 502 blocks
  t.heap.free(a);
  t.heap.free(c);
  t.heap.free(b);  // one chunk 1..6
  CHECK(t.heap.check_integrity() == "");
  CHECK(t.heap.free_bytes() == 508 * 8);
  CHECK(t.heap.max_free_block() == 502 * 8);
  // s = {6, 502}: isqrt(36 + 252004) = 502; 502*100/508 = 98 -> 2
  CHECK(t.heap.fragmentation() == 2);
  std::vector<size_t> starts;
  t.heap.for_each_chunk([&](size_t first, size_t n, bool used) {
    if (!used) starts.push_back(first * 100 + n);
  });
  CHECK(starts == std::vector<size_t>{1 * 100 + 6, 9 * 100 + 502});
  CHECK(t.off(t.heap.malloc(44)) == 12);  // 6 blocks: exact fit
}

TEST_CASE("a chunk freed next to a free previous chunk takes that chunk's list slot, not the head") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // 1..2
  void* b = t.heap.malloc(12);  // 3..4
  void* c = t.heap.malloc(12);  // 5..6
  t.heap.malloc(4);             // 7
  void* e = t.heap.malloc(44);  // 8..13 (6 blocks)
  t.heap.malloc(4);             // 14; rest 15..510 = 496 blocks
  t.heap.free(a);
  t.heap.free(c);
  t.heap.free(e);  // list: e, c, a, rest
  t.heap.free(b);  // b absorbs c, merges into a: list e(6), a(6), rest
  CHECK(t.heap.check_integrity() == "");
  CHECK(t.heap.free_bytes() == 508 * 8);
  CHECK(t.heap.max_free_block() == 496 * 8);
  // s = {6, 6, 496}: isqrt(36 + 36 + 246016) = 496; 49600/508 = 97 -> 3
  CHECK(t.heap.fragmentation() == 3);
  CHECK(t.off(t.heap.malloc(44)) == 68);  // e is first in the list
  CHECK(t.off(t.heap.malloc(44)) == 12);
}

TEST_CASE("fragmentation follows 100 - isqrt(sum s^2)*100/sum s on a crafted pattern") {
  TestHeap t(128);  // blocks 1..14 free
  std::vector<void*> p;
  for (int i = 0; i < 14; ++i) p.push_back(t.heap.malloc(4));  // one block each: 1..14
  CHECK(t.heap.malloc(4) == nullptr);
  CHECK(t.heap.fragmentation() == 0);  // nothing free
  t.heap.free(p[0]);
  t.heap.free(p[2]);
  t.heap.free(p[4]);
  t.heap.free(p[6]);
  // s = {1,1,1,1}: isqrt(4) = 2; 200/4 = 50 -> 50
  CHECK(t.heap.fragmentation() == 50);
  CHECK(t.heap.free_bytes() == 32);
  CHECK(t.heap.max_free_block() == 8);
  t.heap.free(p[1]);
  // s = {3,1,1}: isqrt(11) = 3; 300/5 = 60 -> 40
  CHECK(t.heap.fragmentation() == 40);
  CHECK(t.heap.free_bytes() == 40);
  CHECK(t.heap.max_free_block() == 24);
  t.heap.free(p[8]);
  t.heap.free(p[9]);
  // s = {3,1,1,2}: isqrt(15) = 3; 300/7 = 42 -> 58
  CHECK(t.heap.fragmentation() == 58);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc case 1: a free previous chunk takes the data down, even when shrinking") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // 1..2
  void* b = t.heap.malloc(20);  // 3..5
  t.heap.malloc(4);             // 6; rest 7..510 = 504
  fill(b, 20, 1);
  t.heap.free(a);

  SUBCASE("shrinking: merge, move to 12, split; the 3-block tail goes to the head") {
    void* r = t.heap.realloc(b, 8);  // need 2 of prev 2 + cur 3
    REQUIRE(r);
    CHECK(t.off(r) == 12);
    CHECK(holds(r, 8, 1));
    CHECK(t.heap.free_bytes() == (3 + 504) * 8);
    CHECK(t.heap.max_free_block() == 504 * 8);
    CHECK(t.off(t.heap.malloc(20)) == 28);  // the tail, blocks 3..5
  }
  SUBCASE("same size: still moves down") {
    void* r = t.heap.realloc(b, 20);
    REQUIRE(r);
    CHECK(t.off(r) == 12);
    CHECK(holds(r, 20, 1));
    CHECK(t.heap.free_bytes() == (2 + 504) * 8);  // tail 4..5 freed
    CHECK(t.off(t.heap.malloc(12)) == 36);
  }
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc case 1 absorbs the next chunk too when prev+cur is not enough") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // 1..2
  void* b = t.heap.malloc(12);  // 3..4
  void* c = t.heap.malloc(12);  // 5..6
  t.heap.malloc(4);             // 7; rest 8..510 = 503
  fill(b, 12, 9);
  t.heap.free(a);
  t.heap.free(c);
  void* r = t.heap.realloc(b, 44);  // need 6 = 2 + 2 + 2
  REQUIRE(r);
  CHECK(t.off(r) == 12);
  CHECK(holds(r, 12, 9));
  CHECK(t.heap.free_bytes() == 503 * 8);
  CHECK(t.heap.fragmentation() == 0);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc case 1 wins over growing into the next chunk") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // 1..2
  void* b = t.heap.malloc(12);  // 3..4
  void* c = t.heap.malloc(20);  // 5..7
  t.heap.malloc(4);             // 8; rest 9..510 = 502
  fill(b, 12, 3);
  t.heap.free(a);
  t.heap.free(c);
  void* r = t.heap.realloc(b, 20);  // need 3: the next chunk alone would do, but prev is free
  REQUIRE(r);
  CHECK(t.off(r) == 12);
  CHECK(holds(r, 12, 3));
  // 1..4 split at 4: block 4 freed, absorbs 5..7 -> a 4-block chunk at the head
  CHECK(t.heap.free_bytes() == (4 + 502) * 8);
  CHECK(t.off(t.heap.malloc(28)) == 36);  // 4 blocks at block 4
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc case 2: a chunk that is big enough stays and frees its tail") {
  TestHeap t(4096);
  void* b = t.heap.malloc(20);  // 1..3

  SUBCASE("the tail is pushed on the head when the next chunk is used") {
    t.heap.malloc(4);  // 4; rest 5..510 = 506
    fill(b, 4, 5);
    void* r = t.heap.realloc(b, 4);
    CHECK(r == b);
    CHECK(holds(r, 4, 5));
    CHECK(t.heap.free_bytes() == (2 + 506) * 8);
    CHECK(t.off(t.heap.malloc(12)) == 20);  // best fit: the tail 2..3
  }
  SUBCASE("the tail merges forward into a free next chunk") {
    void* r = t.heap.realloc(b, 4);
    CHECK(r == b);
    CHECK(t.heap.free_bytes() == 509 * 8);
    CHECK(t.heap.max_free_block() == 509 * 8);
    CHECK(t.heap.fragmentation() == 0);
  }
  SUBCASE("the same block count changes nothing") {
    CHECK(t.heap.realloc(b, 17) == b);
    CHECK(t.heap.free_bytes() == 507 * 8);
  }
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc case 3: growing in place into a free next chunk") {
  TestHeap t(4096);
  void* b = t.heap.malloc(12);  // 1..2
  void* c = t.heap.malloc(20);  // 3..5
  t.heap.malloc(4);             // 6; rest 7..510 = 504
  fill(b, 12, 7);
  t.heap.free(c);
  void* r = t.heap.realloc(b, 20);  // 1..5, split at 4: tail 4..5 to the head
  CHECK(r == b);
  CHECK(holds(r, 12, 7));
  CHECK(t.heap.free_bytes() == (2 + 504) * 8);
  CHECK(t.off(t.heap.malloc(12)) == 36);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc case 4: best fit elsewhere, copy, then free the old chunk") {
  TestHeap t(4096);
  void* b = t.heap.malloc(12);  // 1..2
  t.heap.malloc(4);             // 3; rest 4..510
  fill(b, 12, 11);
  void* r = t.heap.realloc(b, 20);
  REQUIRE(r);
  CHECK(t.off(r) == 36);  // block 4
  CHECK(holds(r, 12, 11));
  CHECK(t.heap.free_bytes() == (2 + 504) * 8);
  CHECK(t.off(t.heap.malloc(12)) == 12);  // the old chunk is free again
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("a failed realloc returns NULL and leaves every byte of the heap unchanged") {
  TestHeap t(128);  // blocks 1..14
  void* a = t.heap.malloc(20);  // 1..3
  t.heap.malloc(4);             // 4; rest 5..14 = 10 blocks
  fill(a, 20, 13);
  std::vector<uint64_t> before = t.mem;
  uint32_t free_before = t.heap.free_bytes();
  CHECK(t.heap.realloc(a, 100) == nullptr);  // 13 blocks: nowhere
  CHECK(t.heap.last_failed_size() == 100);
  CHECK(t.mem == before);
  CHECK(t.heap.free_bytes() == free_before);
  CHECK(holds(a, 20, 13));
  CHECK(t.heap.realloc(a, SIZE_MAX) == nullptr);
  CHECK(t.heap.last_failed_size() == SIZE_MAX);
  CHECK(t.mem == before);
  t.heap.free(a);
  CHECK(t.heap.bad_frees() == 0);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("realloc(NULL, n) allocates and realloc(p, 0) frees and returns NULL") {
  TestHeap t(4096);
  void* p = t.heap.realloc(nullptr, 10);
  REQUIRE(p);
  CHECK(t.off(p) == 12);
  CHECK(t.heap.realloc(p, 0) == nullptr);
  CHECK(t.heap.free_bytes() == 4080);
  CHECK(t.heap.last_failed_size() == 0);
  CHECK(t.heap.realloc(nullptr, 0) == nullptr);
}

TEST_CASE("calloc zero-fills, returns NULL for a zero count or size and for an overflowing product") {
  TestHeap t(4096);
  void* dirty = t.heap.malloc(12);
  std::memset(dirty, 0xAA, 12);
  t.heap.free(dirty);
  auto* z = static_cast<uint8_t*>(t.heap.calloc(3, 4));
  REQUIRE(z);
  CHECK(t.off(z) == 12);
  for (int i = 0; i < 12; ++i) CHECK(z[i] == 0);
  CHECK(t.heap.free_bytes() == 4080 - 16);
  CHECK(t.heap.calloc(0, 5) == nullptr);
  CHECK(t.heap.calloc(5, 0) == nullptr);
  CHECK(t.heap.last_failed_size() == 0);
  CHECK(t.heap.calloc(SIZE_MAX / 2, 3) == nullptr);
  CHECK(t.heap.last_failed_size() == SIZE_MAX);  // saturated product
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("freeing pointers that are not live chunks is ignored and counted") {
  TestHeap t(4096);
  auto* p = static_cast<uint8_t*>(t.heap.malloc(20));  // 1..3
  t.heap.malloc(4);
  int local = 0;
  t.heap.free(nullptr);
  CHECK(t.heap.bad_frees() == 0);
  t.heap.free(&local);
  t.heap.free(p + 1);  // misaligned
  t.heap.free(p + 8);  // a block boundary inside the chunk
  CHECK(t.heap.bad_frees() == 3);
  CHECK(t.heap.realloc(&local, 10) == nullptr);
  CHECK(t.heap.bad_frees() == 4);
  t.heap.free(p);
  uint32_t after_free = t.heap.free_bytes();
  t.heap.free(p);  // double free
  CHECK(t.heap.bad_frees() == 5);
  CHECK(t.heap.free_bytes() == after_free);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("contains covers exactly the model arena, the data pool and the data map") {
  TestHeap t(4096);
  const uint8_t* b = t.heap.base();
  const uint8_t* pool = t.heap.pool_base();
  const uint8_t* map = t.heap.map_base();
  CHECK(t.heap.contains(b));
  CHECK(t.heap.contains(b + 4095));
  CHECK(pool >= b + 4096);
  CHECK(pool < b + 4096 + 16);
  CHECK(reinterpret_cast<uintptr_t>(pool) % 16 == 0);
  CHECK(map == pool + 2 * 4096);
  CHECK(t.heap.contains(pool));
  CHECK(t.heap.contains(map + 2 * 4096 - 1));
  CHECK_FALSE(t.heap.contains(map + 2 * 4096));
  CHECK_FALSE(t.heap.contains(b - 1));
  CHECK(map + 2 * 4096 <= reinterpret_cast<const uint8_t*>(t.mem.data() + t.mem.size()));
  int local = 0;
  CHECK_FALSE(t.heap.contains(&local));
  CHECK(t.heap.offset_of(&local) == SIZE_MAX);
  CHECK(t.heap.offset_of(b + 100) == 100);
  CHECK(t.heap.offset_of(pool + 16) == SIZE_MAX);  // no object there
}

TEST_CASE("for_each_chunk visits chunks in address order with their state") {
  TestHeap t(4096);
  void* a = t.heap.malloc(12);  // 1..2
  t.heap.malloc(20);            // 3..5
  t.heap.free(a);
  std::vector<std::tuple<size_t, size_t, bool>> seen;
  t.heap.for_each_chunk([&](size_t first, size_t n, bool used) { seen.emplace_back(first, n, used); });
  CHECK(seen == std::vector<std::tuple<size_t, size_t, bool>>{{1, 2, false}, {3, 3, true}, {6, 505, false}});
}

TEST_CASE("check_integrity reports a damaged header") {
  TestHeap t(4096);
  t.heap.malloc(12);  // 1..2
  t.heap.malloc(12);  // 3..4
  CHECK(t.heap.check_integrity() == "");
  uint16_t wrong = 7;
  std::memcpy(t.heap.base() + 3 * 8 + 2, &wrong, 2);  // block 3's prev link
  CHECK(t.heap.check_integrity() != "");
}

TEST_CASE("a long seeded random run keeps the heap consistent, best fit exact and data intact") {
  constexpr size_t kBytes = 8192;
  TestHeap t(kBytes);
  UmmHeap& h = t.heap;
  std::mt19937 rng(20240611);
  struct Live {
    uint8_t* p;
    size_t n;
    uint8_t seed;
  };
  std::vector<Live> live;
  uint8_t next_seed = 1;
  size_t ooms = 0, moves = 0;

  auto free_chunks = [&] {
    std::vector<std::pair<size_t, size_t>> v;  // (first block, blocks)
    h.for_each_chunk([&](size_t first, size_t n, bool used) {
      if (!used) v.emplace_back(first, n);
    });
    return v;
  };
  auto check_metrics = [&] {
    uint64_t sum = 0, sq = 0, big = 0, used_blocks = 0;
    for (auto& [first, n] : free_chunks()) {
      sum += n;
      sq += n * n;
      big = std::max<uint64_t>(big, n);
    }
    for (auto& l : live) used_blocks += UmmHeap::blocks_for(l.n);
    REQUIRE(h.free_bytes() == sum * 8);
    REQUIRE(sum + used_blocks == kBytes / 8 - 2);
    REQUIRE(h.max_free_block() == big * 8);
    uint64_t r = 0;
    while ((r + 1) * (r + 1) <= sq) ++r;
    REQUIRE(h.fragmentation() == (sum ? 100 - r * 100 / sum : 0));
  };

  for (int step = 0; step < 20000; ++step) {
    unsigned op = rng() % 10;
    if (live.size() > 40) op = 4;  // drain a little
    if (live.empty() && op >= 4 && op < 8) op = 0;
    if (op < 4) {  // malloc, checked against best fit over the chunks seen beforehand
      size_t n = 1 + rng() % 400;
      size_t need = UmmHeap::blocks_for(n), best = SIZE_MAX;
      auto before = free_chunks();
      for (auto& [first, s] : before)
        if (s >= need && s < best) best = s;
      auto* p = static_cast<uint8_t*>(h.malloc(n));
      if (best == SIZE_MAX) {
        REQUIRE(p == nullptr);
        REQUIRE(h.last_failed_size() == n);
        ++ooms;
      } else {
        REQUIRE(p != nullptr);
        size_t block = (t.off(p) - 4) / 8;
        bool from_best = false;
        for (auto& [first, s] : before) from_best |= first == block && s == best;
        REQUIRE(from_best);
        live.push_back({p, n, next_seed});
        fill(p, n, next_seed++);
      }
    } else if (op < 6) {  // free
      size_t i = rng() % live.size();
      REQUIRE(holds(live[i].p, live[i].n, live[i].seed));
      h.free(live[i].p);
      live.erase(live.begin() + long(i));
    } else if (op < 8) {  // realloc, sometimes to 0
      size_t i = rng() % live.size(), n = rng() % 500;
      Live& l = live[i];
      auto* p = static_cast<uint8_t*>(h.realloc(l.p, n));
      if (n == 0) {
        REQUIRE(p == nullptr);
        live.erase(live.begin() + long(i));
      } else if (!p) {
        REQUIRE(h.last_failed_size() == n);
        REQUIRE(holds(l.p, l.n, l.seed));
        ++ooms;
      } else {
        REQUIRE(holds(p, std::min(n, l.n), l.seed));
        moves += p != l.p;
        l = {p, n, next_seed};
        fill(p, n, next_seed++);
      }
    } else {  // calloc
      size_t count = 1 + rng() % 20, size = 1 + rng() % 20;
      auto* p = static_cast<uint8_t*>(h.calloc(count, size));
      if (p) {
        for (size_t k = 0; k < count * size; ++k) REQUIRE(p[k] == 0);
        live.push_back({p, count * size, next_seed});
        fill(p, count * size, next_seed++);
      }
    }
    REQUIRE(h.check_integrity() == "");
    check_metrics();
    if (step % 64 == 0)
      for (auto& l : live) REQUIRE(holds(l.p, l.n, l.seed));
  }
  for (auto& l : live) {
    REQUIRE(holds(l.p, l.n, l.seed));
    h.free(l.p);
  }
  CHECK(ooms > 0);   // the run did reach out-of-memory
  CHECK(moves > 0);  // and realloc did move blocks
  CHECK(h.bad_frees() == 0);
  CHECK(h.free_bytes() == kBytes - 16);
  CHECK(h.fragmentation() == 0);
  CHECK(h.check_integrity() == "");
}

// ---- charged (target) size vs host size ------------------------------------------------------

namespace {
// br_ssl_client_context on the chip and on x86-64 (docs/heap.md): 3408 B charged, 3720 B of host data.
constexpr size_t kChip = 3408, kHost = 3720;

std::vector<uint8_t> model_bytes(const TestHeap& t) {
  return std::vector<uint8_t>(t.heap.base(), t.heap.base() + t.heap.size());
}
}  // namespace

TEST_CASE("a request charged its target size takes the target's blocks and keeps its host bytes apart") {
  TestHeap t(49152);
  void* a = t.heap.malloc(20);  // blocks 1..3, in place
  auto* p = static_cast<uint8_t*>(t.heap.malloc(kChip, kHost));
  void* q = t.heap.malloc(100);
  REQUIRE(p);
  REQUIRE(q);
  CHECK(t.heap.free_bytes() == 49136 - 24 - 3416 - 104);  // 3408+4 → 427 blocks = 3416 B, not 3728
  CHECK(t.off(a) == 12);
  CHECK(t.off(p) == 36);              // block 4, as on the chip
  CHECK(t.off(q) == 36 + 3416);       // the next chunk starts after the chip's 427 blocks
  CHECK(t.heap.placement_of(a) == UmmHeap::Placement::in_place);
  CHECK(t.heap.placement_of(q) == UmmHeap::Placement::in_place);
  CHECK(t.heap.placement_of(p) == UmmHeap::Placement::pool);  // 3720 B do not fit 3412
  CHECK(p == t.heap.pool_base() + 16);  // the pool's first object, behind its tag row
  CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
  CHECK(t.heap.room_at(p) == 3728);  // 233 rows of 16
  CHECK(t.heap.room_at(q) == 13 * 8 - 4);
  CHECK(t.heap.contains(p));
  CHECK(t.heap.contains(p + kHost - 1));
  fill(a, 20, 1);
  fill(q, 100, 2);
  std::vector<uint8_t> before = model_bytes(t);
  // The whole host object is writable and touches nothing of the model or the neighbours.
  std::memset(p, 0xA5, kHost);
  CHECK(model_bytes(t) == before);
  CHECK(holds(a, 20, 1));
  CHECK(holds(q, 100, 2));
  CHECK(t.heap.check_integrity() == "");
  std::vector<std::tuple<size_t, size_t, bool>> seen;
  t.heap.for_each_chunk([&](size_t first, size_t n, bool used) { seen.emplace_back(first, n, used); });
  CHECK(seen == std::vector<std::tuple<size_t, size_t, bool>>{
                    {1, 3, true}, {4, 427, true}, {431, 13, true}, {444, 6143 - 444, false}});
  t.heap.free(p);
  CHECK(t.heap.bad_frees() == 0);
  CHECK(t.heap.free_bytes() == 49136 - 24 - 104);
  void* again = t.heap.malloc(kChip);  // the same chunk again, now in place
  CHECK(t.off(again) == 36);
  CHECK(t.heap.placement_of(again) == UmmHeap::Placement::in_place);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("charging the target size fails at the chip's moment, not the host's") {
  TestHeap t(3432);  // 427 free blocks: room for the chip's context, not the host's size
  CHECK(t.heap.max_free_block() == 3416);
  CHECK(t.heap.malloc(kHost) == nullptr);
  CHECK(t.heap.last_failed_size() == kHost);
  void* p = t.heap.malloc(kChip, kHost);
  REQUIRE(p);
  std::memset(p, 0x5A, kHost);
  CHECK(t.heap.free_bytes() == 0);
  CHECK(t.heap.check_integrity() == "");
  CHECK(t.heap.malloc(1, 1) == nullptr);
  CHECK(t.heap.malloc(kChip, kHost) == nullptr);
  CHECK(t.heap.last_failed_size() == kChip);  // the chip's request size is what failed
}

TEST_CASE("host bytes that fit the charged chunk stay in place; those that fit no room are charged") {
  TestHeap t(4096);
  void* fits = t.heap.malloc(24, 20);  // 4 blocks hold 28 bytes
  CHECK(t.in_place(fits));
  CHECK(t.heap.free_bytes() == 4080 - 32);
  void* edge = t.heap.malloc(20, 20);  // 3 blocks, 20 host bytes: exactly in place
  CHECK(t.in_place(edge));
  void* spread = t.heap.malloc(20, 21);  // one byte more: the pool
  CHECK(t.heap.placement_of(spread) == UmmHeap::Placement::pool);
  CHECK(t.heap.room_at(spread) == 32);
  void* twice = t.heap.malloc(20, 48);  // the largest host size the map could hold for 3 blocks
  CHECK(t.heap.placement_of(twice) == UmmHeap::Placement::pool);
  uint32_t before = t.heap.free_bytes();
  void* over = t.heap.malloc(20, 49);  // beyond: charged its host size, in place
  REQUIRE(over);
  CHECK(t.in_place(over));
  CHECK(before - t.heap.free_bytes() == 56);  // 49+4 → 7 blocks
  CHECK(t.heap.malloc(0, 0) == nullptr);
  CHECK(t.heap.last_failed_size() == 0);
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("the data pool packs objects first-fit from its start and reuses freed rows") {
  TestHeap t(8192);
  auto* a = static_cast<uint8_t*>(t.heap.malloc(96, 120));    // 1 tag + 8 rows: rows 0..8
  auto* b = static_cast<uint8_t*>(t.heap.malloc(1112, 1168));  // 1 + 73 rows: rows 9..82
  auto* c = static_cast<uint8_t*>(t.heap.malloc(20, 40));      // 1 + 3 rows: rows 83..86
  const uint8_t* pool = t.heap.pool_base();
  CHECK(a == pool + 16);
  CHECK(b == pool + 16 * 10);
  CHECK(c == pool + 16 * 84);
  fill(a, 120, 1);
  fill(b, 1168, 2);
  fill(c, 40, 3);
  t.heap.free(a);
  auto* d = static_cast<uint8_t*>(t.heap.malloc(20, 40));  // the first gap that fits: rows 0..3
  CHECK(d == pool + 16);
  auto* e = static_cast<uint8_t*>(t.heap.malloc(264, 312));  // 21 rows: not in the 5-row gap
  CHECK(e == pool + 16 * 88);
  CHECK(holds(b, 1168, 2));
  CHECK(holds(c, 40, 3));
  CHECK(t.off(d) == 12);  // a's chunk (block 1) was free again: best fit put d there
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("when the pool is full objects go to the data map, where room is certain") {
  TestHeap t(4096);  // a pool of 8192 bytes = 512 rows
  std::vector<uint8_t*> ps;
  for (int i = 0; i < 300; ++i) {
    auto* p = static_cast<uint8_t*>(t.heap.malloc(4, 8));  // 1 block; 2 pool rows each
    REQUIRE(p);
    fill(p, 8, uint8_t(i));
    ps.push_back(p);
  }
  for (int i = 0; i < 300; ++i) {
    CAPTURE(i);
    CHECK(t.heap.placement_of(ps[i]) == (i < 256 ? UmmHeap::Placement::pool : UmmHeap::Placement::map));
    CHECK(holds(ps[i], 8, uint8_t(i)));
  }
  CHECK(ps[256] == t.heap.map_base() + 16 * 257);  // block 257
  CHECK(t.heap.room_at(ps[256]) == 16);
  CHECK(t.heap.free_bytes() == 4080 - 300 * 8);
  CHECK(t.heap.check_integrity() == "");
  t.heap.free(ps[3]);
  t.heap.free(ps[280]);
  auto* back = static_cast<uint8_t*>(t.heap.malloc(4, 8));  // best fit: block 281 (freed last)
  CHECK(t.off(back) == 281 * 8 + 4);
  CHECK(back == t.heap.pool_base() + 16 * 7);  // the pool's freed rows 6..7
  for (int i = 0; i < 300; ++i)
    if (i != 3 && i != 280) CHECK(holds(ps[i], 8, uint8_t(i)));
  CHECK(t.heap.check_integrity() == "");
}

TEST_CASE("zalloc zeroes every host byte, also in the data pool") {
  TestHeap t(8192);
  void* d = t.heap.malloc(kChip, kHost);
  std::memset(d, 0xFF, kHost);
  t.heap.free(d);
  auto* z = static_cast<uint8_t*>(t.heap.zalloc(kChip, kHost));
  REQUIRE(z);
  CHECK(z == d);
  CHECK(std::all_of(z, z + kHost, [](uint8_t b) { return b == 0; }));
  CHECK(t.heap.free_bytes() == 8176 - 3416);
}

TEST_CASE("realloc moves host bytes between placements with the model's four cases") {
  TestHeap t(16384);

  SUBCASE("pool to in place: growing into the free next chunk (case 3)") {
    auto* p = static_cast<uint8_t*>(t.heap.malloc(kChip, kHost));
    fill(p, kHost, 3);
    void* r = t.heap.realloc(p, 4000);  // a plain request: 501 blocks, 4000 bytes fit in place
    REQUIRE(r);
    CHECK(t.off(r) == 12);
    CHECK(t.in_place(r));
    CHECK(holds(r, kHost, 3));
    CHECK(t.heap.free_bytes() == 16368 - 501 * 8);
    CHECK(t.heap.pool_base() + 16 == t.heap.malloc(20, 40));  // the pool object was released
  }
  SUBCASE("in place to pool: staying, then the tail freed (case 2)") {
    void* p = t.heap.malloc(4000);
    t.heap.malloc(4);
    fill(p, 200, 4);
    void* r = t.heap.realloc(p, kChip, kHost);
    REQUIRE(r);
    CHECK(t.off(r) == 12);
    CHECK(t.heap.placement_of(r) == UmmHeap::Placement::pool);
    CHECK(holds(r, 200, 4));
    CHECK(t.heap.free_bytes() == 16368 - 3416 - 8);
    CHECK(t.off(t.heap.malloc(8 * (501 - 427) - 4)) == 12 + 3416);  // the freed tail
  }
  SUBCASE("a pool object that still fits stays while its chunk moves down (case 1)") {
    void* x = t.heap.malloc(300);  // 1..38
    auto* p = static_cast<uint8_t*>(t.heap.malloc(1112, 1168));  // 39..177
    t.heap.malloc(4);
    fill(p, 1168, 5);
    t.heap.free(x);
    void* r = t.heap.realloc(p, 1112, 1168);
    CHECK(r == p);
    CHECK(t.off(r) == 12);  // the tag names the moved chunk
    CHECK(holds(r, 1168, 5));
    CHECK(t.heap.free_bytes() == 16368 - 1120 - 8);
    t.heap.free(r);
    CHECK(t.heap.bad_frees() == 0);
  }
  SUBCASE("pool to a larger pool object elsewhere (case 4), the old one released") {
    auto* p = static_cast<uint8_t*>(t.heap.malloc(96, 120));  // pool rows 0..8
    t.heap.malloc(4);
    fill(p, 120, 6);
    void* r = t.heap.realloc(p, 264, 312);
    REQUIRE(r);
    CHECK(r == t.heap.pool_base() + 16 * 10);  // rows 9..29: the old object was still held
    CHECK(t.off(r) == 12 + 104 + 8);
    CHECK(holds(r, 120, 6));
    CHECK(t.off(t.heap.malloc(100)) == 12);  // the old chunk is free again
    CHECK(t.heap.malloc(20, 40) == t.heap.pool_base() + 16);  // and its pool rows
  }
  SUBCASE("map to map, overlapping, into the free previous chunk (case 1)") {
    TestHeap m(4096);  // a pool of 512 rows
    for (int i = 0; i < 256; ++i) m.heap.malloc(4, 8);  // blocks 1..256 fill the pool
    void* x = m.heap.malloc(12);                         // 257..258
    auto* p = static_cast<uint8_t*>(m.heap.malloc(96, 120));  // 259..271, the map
    m.heap.malloc(4);
    REQUIRE(m.heap.placement_of(p) == UmmHeap::Placement::map);
    CHECK(p == m.heap.map_base() + 16 * 259);
    fill(p, 120, 8);
    m.heap.free(x);
    void* r = m.heap.realloc(p, 96, 120);
    CHECK(r == m.heap.map_base() + 16 * 257);  // 32 bytes down: source and target overlap
    CHECK(m.off(r) == 257 * 8 + 4);
    CHECK(holds(r, 120, 8));
    CHECK(m.heap.check_integrity() == "");
  }
  SUBCASE("a failed realloc of a pool object changes nothing") {
    TestHeap s(4096);
    auto* p = static_cast<uint8_t*>(s.heap.malloc(kChip, kHost));
    s.heap.malloc(4);
    fill(p, kHost, 7);
    std::vector<uint64_t> before = s.mem;
    CHECK(s.heap.realloc(p, 4000, 4000) == nullptr);  // 501 blocks: nowhere (case 4 fails)
    CHECK(s.mem == before);
    CHECK(s.heap.last_failed_size() == 4000);
    CHECK(s.heap.check_integrity() == "");
  }
  CHECK(t.heap.check_integrity() == "");
  CHECK(t.heap.bad_frees() == 0);
}

TEST_CASE("pool and map pointers are checked like in-place ones when freed") {
  TestHeap t(8192);
  auto* p = static_cast<uint8_t*>(t.heap.malloc(96, 120));  // block 1, pool rows 0..8
  t.heap.malloc(4);
  t.heap.free(p + 8);                          // inside the object
  t.heap.free(p + 16);                         // 16-aligned inside it: no tag row there
  t.heap.free(t.heap.pool_base() + 16 * 100);  // beyond the pool's objects
  t.heap.free(t.heap.map_base() + 16 * 500);   // the map row of a free chunk
  t.heap.free(t.heap.map_base() + 16 * 1);     // the map row of p's chunk: accepted (p's block)
  CHECK(t.heap.bad_frees() == 4);
  CHECK(t.heap.check_integrity() != "");  // the pool object now names a free chunk
}

TEST_CASE("check_integrity reports a damaged pool tag") {
  TestHeap t(8192);
  auto* p = static_cast<uint8_t*>(t.heap.malloc(96, 120));
  CHECK(t.heap.check_integrity() == "");
  p[-16] ^= 1;  // the tag row right before the object
  CHECK(t.heap.check_integrity().find("data pool") != std::string::npos);
}

TEST_CASE("a seeded random run mixing target-charged and plain requests keeps every byte and metric") {
  constexpr size_t kBytes = 16384;
  TestHeap t(kBytes);
  UmmHeap& h = t.heap;
  std::mt19937 rng(4242);
  // (charged, host) pairs of the kind the device platform makes (target_sizes.h), and plain sizes.
  const std::pair<size_t, size_t> kinds[] = {{3408, 3720}, {1112, 1168}, {264, 312}, {104, 168},
                                             {96, 120},    {20, 40},     {1148, 1216}};
  struct Live {
    uint8_t* p;
    size_t charge, host;
    uint8_t seed;
  };
  std::vector<Live> live;
  uint8_t next_seed = 1;
  size_t ooms = 0, pooled = 0, cross = 0;
  auto pick = [&]() -> std::pair<size_t, size_t> {
    if (rng() % 2) return kinds[rng() % std::size(kinds)];
    size_t n = 1 + rng() % 600;
    return {n, n};
  };
  for (int step = 0; step < 20000; ++step) {
    unsigned op = rng() % 10;
    if (live.size() > 30) op = 5;
    if (live.empty() && op >= 4) op = 0;
    if (op < 4) {
      auto [c, n] = pick();
      bool zero = rng() % 4 == 0;
      auto* p = static_cast<uint8_t*>(zero ? h.zalloc(c, n) : h.malloc(c, n));
      if (!p) {
        REQUIRE(h.last_failed_size() == c);
        ++ooms;
      } else {
        REQUIRE(h.room_at(p) >= n);
        if (zero) REQUIRE(std::all_of(p, p + n, [](uint8_t b) { return b == 0; }));
        pooled += h.placement_of(p) == UmmHeap::Placement::pool;
        live.push_back({p, c, n, next_seed});
        fill(p, n, next_seed++);  // every host byte
      }
    } else if (op < 7) {
      size_t i = rng() % live.size();
      REQUIRE(holds(live[i].p, live[i].host, live[i].seed));
      h.free(live[i].p);
      live.erase(live.begin() + long(i));
    } else {
      size_t i = rng() % live.size();
      Live& l = live[i];
      auto [c, n] = pick();
      auto* p = static_cast<uint8_t*>(h.realloc(l.p, c, n));
      if (!p) {
        REQUIRE(h.last_failed_size() == c);
        REQUIRE(holds(l.p, l.host, l.seed));
        ++ooms;
      } else {
        REQUIRE(holds(p, std::min(n, l.host), l.seed));
        cross += t.in_place(p) != t.in_place(l.p);
        l = {p, c, n, next_seed};
        fill(p, n, next_seed++);
      }
    }
    REQUIRE(h.check_integrity() == "");
    uint64_t used = 0;
    for (auto& l : live) used += UmmHeap::blocks_for(l.charge) * 8;
    REQUIRE(h.free_bytes() + used == kBytes - 16);  // charged sizes only
    if (step % 50 == 0)
      for (auto& l : live) REQUIRE(holds(l.p, l.host, l.seed));
  }
  for (auto& l : live) {
    REQUIRE(holds(l.p, l.host, l.seed));
    h.free(l.p);
  }
  CHECK(ooms > 0);
  CHECK(pooled > 0);
  CHECK(cross > 0);
  CHECK(h.bad_frees() == 0);
  CHECK(h.free_bytes() == kBytes - 16);
  CHECK(h.check_integrity() == "");
}
