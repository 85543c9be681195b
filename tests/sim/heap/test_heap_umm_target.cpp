// tests/sim/heap/test_heap_umm_target.cpp — the umm_malloc model charging a size other than the host's (target
// sizes): where such chunks keep their host bytes, that writing all of them harms no neighbour,
// realloc between the two placements, and a seeded random run mixing both kinds of request.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "heap_umm.h"
#include "umm_test_support.h"

using namespace espfleet;
using namespace espfleet::umm_test;

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
  CHECK(t.off(p) == 36);         // block 4, as on the chip
  CHECK(t.off(q) == 36 + 3416);  // the next chunk starts after the chip's 427 blocks
  CHECK(t.heap.placement_of(a) == UmmHeap::Placement::in_place);
  CHECK(t.heap.placement_of(q) == UmmHeap::Placement::in_place);
  CHECK(t.heap.placement_of(p) == UmmHeap::Placement::pool);  // 3720 B do not fit 3412
  CHECK(p == t.heap.pool_base() + 16);                        // the pool's first object, behind its tag row
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
  auto* a = static_cast<uint8_t*>(t.heap.malloc(96, 120));     // 1 tag + 8 rows: rows 0..8
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
    void* x = t.heap.malloc(300);                                // 1..38
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
    CHECK(t.off(t.heap.malloc(100)) == 12);                   // the old chunk is free again
    CHECK(t.heap.malloc(20, 40) == t.heap.pool_base() + 16);  // and its pool rows
  }
  SUBCASE("map to map, overlapping, into the free previous chunk (case 1)") {
    TestHeap m(4096);                                         // a pool of 512 rows
    for (int i = 0; i < 256; ++i) m.heap.malloc(4, 8);        // blocks 1..256 fill the pool
    void* x = m.heap.malloc(12);                              // 257..258
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
  const std::pair<size_t, size_t> kinds[] = {{3408, 3720}, {1112, 1168}, {264, 312},  {104, 168},
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
