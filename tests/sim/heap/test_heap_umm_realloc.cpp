// tests/sim/heap/test_heap_umm_realloc.cpp — the umm_malloc model's realloc, case by case as umm_realloc orders
// them (a free previous chunk, big enough in place, growing into the next chunk, moving), a failed
// realloc that changes nothing, and realloc's NULL and 0 forms.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "heap_umm.h"
#include "umm_test_support.h"

using namespace espfleet;
using namespace espfleet::umm_test;

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
  TestHeap t(128);              // blocks 1..14
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
