// tests/sim/heap/test_heap_umm.cpp — the umm_malloc model against hand-derived layouts: block rounding,
// best fit and its ties, free coalescing, the fragmentation metric, calloc, bad frees, and a long
// seeded random run checked against a shadow model. Realloc's four cases: test_heap_umm_realloc.cpp;
// charging a size other than the host's: test_heap_umm_target.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "heap_umm.h"
#include "umm_test_support.h"

using namespace espfleet;
using namespace espfleet::umm_test;

namespace {

std::string construct_error(size_t bytes) {
  std::vector<uint64_t> mem(UmmHeap::arena_bytes(bytes) / 8 + 1);
  try {
    UmmHeap h(mem.data(), bytes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
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
  t.heap.free(b);                         // list: b, a, rest
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
  t.heap.free(b);                         // list: b(3), a(3), rest
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
  t.heap.free(h);                         // list: h(1), s(3), rest
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
