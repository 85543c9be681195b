// tests/sim/heap/test_heap_tlsf.cpp — the ESP32-C3 heap model (multi_heap on TLSF) against
// hand-derived layouts: the control structure's size per region size and the second-level split
// at 16 KiB and 256 KiB, request rounding to 4 and 12, the 16-byte split threshold, good-fit
// rounding (a block that would fit can be skipped; the largest free block is reported rounded
// down to its class), LIFO free lists, coalescing, realloc's cases, calloc, heap_caps' limits, the
// free counter and its minimum, bad frees; then the traces in tlsf_traces/, made by
// tools/tlsf-check with the published tlsf.c's results after each operation, replayed exactly.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "heap_tlsf.h"

using namespace espfleet;

namespace {

// A heap on its own zeroed region. off(p): the chip's offset of p from the region start.
struct Region {
  std::vector<uint8_t> mem;
  TlsfHeap heap;
  explicit Region(size_t bytes) : mem(TlsfHeap::arena_bytes(bytes)), heap(mem.data(), bytes) {}
  size_t off(const void* p) const { return heap.offset_of(p); }
};

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

using Block = std::tuple<uint32_t, uint32_t, bool>;  // data offset, size, used
std::vector<Block> blocks(const TlsfHeap& h) {
  std::vector<Block> v;
  h.for_each_block([&](uint32_t off, uint32_t size, bool used) { v.emplace_back(off, size, used); });
  return v;
}

}  // namespace

TEST_CASE("tlsf: a fresh 16 KiB region: 20 + 396 control bytes, one free block, largest rounded down") {
  Region r(16384);
  CHECK(r.heap.control_bytes() == 396);  // 36 + 4*10 + 4*10*8
  CHECK(r.heap.sl_index_count() == 8);
  CHECK(r.heap.fl_index_count() == 10);
  CHECK(r.heap.block_size_max() == 16384);
  CHECK(r.heap.free_bytes() == 16384 - 20 - 396);
  CHECK(r.heap.minimum_free_bytes() == 15968);
  CHECK(r.heap.first_data_offset() == 420);
  CHECK(blocks(r.heap) == std::vector<Block>{{420, 15960, false}});  // 15968 - 8, the sentinel's and its own size word
  CHECK(r.heap.largest_free_block() == 15360);  // 15960 down to its class: 1024-byte classes above 8 KiB
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("tlsf: the second-level count is 8, 16 or 32 as tlsf_create's bytes (region - 20) pass 16 KiB and 256 KiB") {
  struct Case {
    size_t region;
    uint32_t sl, fl, control;
  };
  for (auto c : {Case{16404, 8, 11, 432}, Case{16405, 16, 10, 716}, Case{262164, 16, 14, 988},
                 Case{262165, 32, 13, 1752}, Case{4096, 8, 8, 324}}) {
    CAPTURE(c.region);
    Region r(c.region);
    CHECK(r.heap.sl_index_count() == c.sl);
    CHECK(r.heap.fl_index_count() == c.fl);
    CHECK(r.heap.control_bytes() == c.control);
    CHECK(TlsfHeap::control_bytes_for(c.region) == c.control);
    CHECK(r.heap.free_bytes() == c.region - 20 - c.control);
    CHECK(r.heap.first_data_offset() == 20 + c.control + 4);
  }
}

TEST_CASE("tlsf: regions too small for the control structures and a block, or too large, are refused") {
  CHECK(TlsfHeap::size_problem(19) != "");
  CHECK(TlsfHeap::size_problem(128).find("control bytes") != std::string::npos);  // 144 control bytes > 108
  CHECK(TlsfHeap::size_problem(256) == "");
  CHECK(TlsfHeap::size_problem(TlsfHeap::kMaxRegionBytes + 1) != "");
  std::vector<uint8_t> mem(128);
  CHECK_THROWS_AS(TlsfHeap(mem.data(), 128), std::invalid_argument);
}

TEST_CASE("tlsf: a request takes at least 12 bytes, a multiple of 4, and 4 bytes of overhead") {
  Region r(16384);
  void* a = r.heap.malloc(1);
  CHECK(r.off(a) == 420);
  CHECK(r.heap.allocated_size(a) == 12);
  CHECK(r.heap.free_bytes() == 15968 - 16);
  void* b = r.heap.malloc(13);
  CHECK(r.off(b) == 436);  // 420 + 12 + the next size word
  CHECK(r.heap.allocated_size(b) == 16);
  CHECK(r.heap.free_bytes() == 15968 - 16 - 20);
  CHECK(r.heap.malloc(0) == nullptr);
  CHECK(r.heap.free_bytes() == 15968 - 36);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("tlsf: good fit skips a free block of the request's own class and takes one a class up") {
  Region r(16384);
  void* a = r.heap.malloc(100);  // block 100 at 420
  void* guard = r.heap.malloc(12);
  CHECK(r.off(guard) == 524);
  r.heap.free(a);                  // a 100-byte hole, class 96..103
  void* big = r.heap.malloc(100);  // searched from class 104..111: not the hole
  CHECK(r.off(big) == 540);
  void* fits = r.heap.malloc(96);  // 96 + 7 stays in class 96..103: the hole, whole (100 < 16 + 96)
  CHECK(r.off(fits) == 420);
  CHECK(r.heap.allocated_size(fits) == 100);
  CHECK(r.heap.free_bytes() == 15968 - 16 - 104 - 104);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("tlsf: a block is split only when 16 bytes (a free header) are left over") {
  Region r(16384);
  void* a = r.heap.malloc(100);
  r.heap.malloc(12);
  r.heap.free(a);
  void* p = r.heap.malloc(84);  // 100 >= 16 + 84: split, a 12-byte block at 508
  CHECK(r.off(p) == 420);
  CHECK(r.heap.allocated_size(p) == 84);
  void* q = r.heap.malloc(12);
  CHECK(r.off(q) == 508);
  r.heap.free(q);
  r.heap.free(p);               // merges back into the 100-byte hole
  void* s = r.heap.malloc(88);  // 100 < 16 + 88: the whole block
  CHECK(r.off(s) == 420);
  CHECK(r.heap.allocated_size(s) == 100);
}

TEST_CASE(
    "tlsf: the reported largest block is what a malloc surely gets; a bit more fails though the block is larger") {
  {
    Region r(16384);
    void* p = r.heap.malloc(r.heap.largest_free_block());
    CHECK(r.off(p) == 420);
  }
  {
    Region r(16384);
    CHECK(r.heap.malloc(15361) == nullptr);  // rounds up past the last first-level list
    CHECK(r.heap.malloc(15500) == nullptr);
    CHECK(r.heap.malloc(20000) == nullptr);  // not below 2^fl_index_max
    CHECK(r.heap.free_bytes() == 15968);
    CHECK(r.heap.malloc(15359) != nullptr);
  }
  {
    Region r(500000);  // heap_caps refuses more than HEAP_SIZE_MAX (0x64000) before TLSF sees it
    CHECK(r.heap.malloc(0x64001) == nullptr);
    CHECK(r.heap.malloc(0x64000) != nullptr);
  }
}

TEST_CASE("tlsf: free lists are LIFO: the block freed last is reused first") {
  Region r(16384);
  void* a = r.heap.malloc(40);
  CHECK(r.off(r.heap.malloc(12)) == 464);
  void* b = r.heap.malloc(40);
  CHECK(r.off(b) == 480);
  r.heap.malloc(12);
  r.heap.free(a);
  r.heap.free(b);
  CHECK(r.off(r.heap.malloc(40)) == 480);
  CHECK(r.off(r.heap.malloc(40)) == 420);
}

TEST_CASE("tlsf: a freed block merges with free physical neighbours on both sides") {
  Region r(16384);
  void* a = r.heap.malloc(100);
  void* b = r.heap.malloc(100);
  void* c = r.heap.malloc(100);
  void* d = r.heap.malloc(12);
  CHECK(r.off(d) == 732);
  r.heap.free(a);
  r.heap.free(c);
  CHECK(blocks(r.heap).size() == 5);
  r.heap.free(b);
  CHECK(blocks(r.heap) == std::vector<Block>{{420, 308, false}, {732, 12, true}, {748, 15960 - 3 * 104 - 16, false}});
  CHECK(r.heap.free_bytes() == 15968 - 16);
  CHECK(r.heap.largest_free_block() == 15360);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("tlsf: realloc grows in place into a free next block and returns its tail") {
  Region r(16384);
  void* a = r.heap.malloc(100);
  void* b = r.heap.malloc(100);
  r.heap.malloc(12);
  fill(a, 100, 3);
  r.heap.free(b);
  void* g = r.heap.realloc(a, 150);  // 100 + 4 + 100 = 204, cut to 152 and a 48-byte free block
  CHECK(g == a);
  CHECK(r.heap.allocated_size(g) == 152);
  CHECK(holds(g, 100, 3));
  CHECK(r.heap.free_bytes() == 15968 - 104 - 16 - 52);
  CHECK(r.heap.minimum_free_bytes() == 15968 - 104 - 104 - 16);
  CHECK(std::get<0>(blocks(r.heap)[1]) == 576);
  CHECK(std::get<1>(blocks(r.heap)[1]) == 48);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("tlsf: realloc shrinks in place, moves when the next block is used, and leaves the block when it fails") {
  Region r(16384);
  void* a = r.heap.malloc(200);
  r.heap.malloc(12);
  CHECK(r.heap.realloc(a, 100) == a);  // the 96-byte tail becomes a free block
  CHECK(r.off(r.heap.malloc(96)) == 524);

  Region m(16384);
  void* p = m.heap.malloc(100);
  m.heap.malloc(12);
  fill(p, 100, 9);
  void* q = m.heap.realloc(p, 200);
  CHECK(m.off(q) == 540);
  CHECK(holds(q, 100, 9));
  CHECK(m.heap.free_bytes() == 15968 - 16 - 204);
  // multi_heap books a realloc's net change only: the moment both blocks were held is no minimum.
  CHECK(m.heap.minimum_free_bytes() == 15968 - 16 - 204);
  CHECK(m.heap.realloc(q, 20000) == nullptr);  // not below 2^fl_index_max: q stays
  CHECK(holds(q, 100, 9));
  CHECK(m.heap.allocated_size(q) == 200);
  // Growing into the free next block takes no good-fit rounding: 15500 bytes fit in place
  // (200 + 4 + 15636), though a malloc of 15500 fails even on an empty region.
  CHECK(m.heap.realloc(q, 15500) == q);
  CHECK(m.heap.allocated_size(q) == 15500);
  CHECK(holds(q, 100, 9));
  CHECK(m.heap.free_bytes() == 15968 - 16 - 15504);
  CHECK(m.heap.realloc(q, 0) == nullptr);  // frees
  CHECK(m.heap.free_bytes() == 15968 - 16);
  CHECK(m.heap.minimum_free_bytes() == 15968 - 16 - 15504);
  CHECK(m.off(m.heap.realloc(nullptr, 10)) == 420);
  CHECK(m.heap.check_integrity() == "");
}

TEST_CASE("tlsf: calloc zeroes, and a product that overflows 32 bits fails") {
  Region r(16384);
  void* p = r.heap.malloc(100);
  fill(p, 100, 1);
  r.heap.free(p);
  auto* z = static_cast<uint8_t*>(r.heap.calloc(10, 10));
  REQUIRE(z);
  CHECK(r.off(z) == 420);
  bool zero = true;
  for (int i = 0; i < 100; ++i) zero = zero && z[i] == 0;
  CHECK(zero);
  CHECK(r.heap.calloc(0x10000, 0x10001) == nullptr);
  CHECK(r.heap.calloc(0, 5) == nullptr);
}

TEST_CASE("tlsf: frees of pointers that are no used block are counted and change nothing") {
  Region r(16384);
  auto* p = static_cast<uint8_t*>(r.heap.malloc(100));
  int outside = 0;
  r.heap.free(p + 4);
  r.heap.free(&outside);
  r.heap.free(nullptr);
  CHECK(r.heap.bad_frees() == 2);
  CHECK(r.heap.free_bytes() == 15968 - 104);
  r.heap.free(p);
  r.heap.free(p);  // its block is free now
  CHECK(r.heap.bad_frees() == 3);
  CHECK(r.heap.free_bytes() == 15968);
  CHECK(r.heap.check_integrity() == "");
}

TEST_CASE("tlsf: the traces of tools/tlsf-check replay with the published TLSF's results after every operation") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(__FILE__).parent_path() / "tlsf_traces";
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".trace") continue;
    ++files;
    CAPTURE(entry.path().filename().string());
    std::ifstream in(entry.path());
    std::string line;
    std::vector<uint8_t> mem;
    std::unique_ptr<TlsfHeap> heap;
    std::vector<void*> slot(4096, nullptr);
    int ops = 0, lineno = 0, mismatches = 0;
    bool ended = false;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#') continue;
      auto arrow = line.find(" => ");
      REQUIRE(arrow != std::string::npos);
      std::istringstream cmd(line.substr(0, arrow));
      std::string op, want = line.substr(arrow + 4), got;
      uint64_t a = 0, b = 0, c = 0;
      cmd >> op >> a >> b >> c;
      if (op == "pool") {
        mem.assign(TlsfHeap::arena_bytes(a), 0);
        heap = std::make_unique<TlsfHeap>(mem.data(), a);
        got = std::to_string(heap->control_bytes());
      } else if (op == "end") {
        REQUIRE(heap);
        got = heap->check_integrity().empty() ? "0" : heap->check_integrity();
        ended = true;
      } else {
        REQUIRE(heap);
        REQUIRE(a < slot.size());
        void* r = nullptr;
        if (op == "m") {
          r = slot[a] = heap->malloc(b);
        } else if (op == "c") {
          r = slot[a] = heap->calloc(b, c);
        } else if (op == "r") {
          r = heap->realloc(slot[a], b);
          if (r || b == 0) slot[a] = r;
        } else {
          REQUIRE(op == "f");
          heap->free(slot[a]);
          slot[a] = nullptr;
        }
        got = op == "f" ? "-" : r ? std::to_string(heap->offset_of(r)) : "-1";
        ++ops;
      }
      if (op != "end")
        got += " " + std::to_string(heap->free_bytes()) + " " + std::to_string(heap->largest_free_block()) + " " +
               std::to_string(heap->minimum_free_bytes());
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
  CHECK(files >= 3);
}

// Host bytes beyond the block (a 64-bit host object larger than the chip's) live beside the
// image: the chip's figures and offsets are those of the charged request alone.
TEST_CASE("tlsf: host bytes larger than the block are kept beside the region, the chip's figures unchanged") {
  Region plain(8192), wide(8192);
  void* a = plain.heap.malloc(100);
  void* b = wide.heap.malloc(100, 180);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(plain.off(a) == wide.off(b));                                      // the same block on the chip
  CHECK(plain.heap.free_bytes() == wide.heap.free_bytes());                // charged 100 alone
  CHECK(wide.heap.offset_of(b) < wide.heap.size());                        // names its block's data offset
  CHECK(static_cast<uint8_t*>(b) >= wide.heap.base() + wide.heap.size());  // but lives beside the image
  CHECK(wide.heap.room_at(b) >= 180);
  CHECK(wide.heap.key_of(b) == wide.heap.offset_of(b) / 4);
  fill(b, 180, 3);
  void* c = wide.heap.malloc(40, 40);  // an ordinary neighbour, in place
  CHECK(static_cast<uint8_t*>(c) < wide.heap.base() + wide.heap.size());
  fill(c, 40, 9);
  CHECK(holds(b, 180, 3));  // neither overwrites the other
  CHECK(wide.heap.check_integrity() == "");
  // Grown: the chip's realloc (here into a new block, c being in the way), the host bytes follow.
  void* d = wide.heap.realloc(b, 300, 500);
  REQUIRE(d);
  CHECK(holds(d, 180, 3));
  CHECK(holds(c, 40, 9));
  CHECK(wide.heap.room_at(d) >= 500);
  CHECK(wide.heap.check_integrity() == "");
  wide.heap.free(d);
  wide.heap.free(c);
  plain.heap.free(a);
  CHECK(wide.heap.free_bytes() == plain.heap.free_bytes());
  CHECK(wide.heap.check_integrity() == "");
  CHECK(wide.heap.bad_frees() == 0);
}

TEST_CASE("tlsf: a block whose host bytes will not fit its new size is set aside first, its bytes kept") {
  Region r(8192);
  void* p = r.heap.malloc(200, 120);  // host bytes fit the 200-byte block: in place
  REQUIRE(p);
  CHECK(static_cast<uint8_t*>(p) < r.heap.base() + r.heap.size());
  fill(p, 120, 5);
  void* q = r.heap.realloc(p, 64, 120);  // the block shrinks under the host bytes
  REQUIRE(q);
  CHECK(r.heap.room_at(q) >= 120);
  CHECK(holds(q, 120, 5));
  CHECK(r.heap.check_integrity() == "");
  r.heap.free(q);
  CHECK(r.heap.free_bytes() == Region(8192).heap.free_bytes());
}

TEST_CASE("tlsf: as a ChipHeap — chunks in 4-byte units cover the region after the control structure") {
  std::vector<uint8_t> mem(chip_heap_arena_bytes(HeapKind::tlsf, 16384));
  std::unique_ptr<ChipHeap> h = make_chip_heap(HeapKind::tlsf, mem.data(), 16384);
  CHECK(h->kind() == HeapKind::tlsf);
  CHECK(h->unit_bytes() == 4);
  void* a = h->malloc(500);
  void* b = h->malloc(32);
  REQUIRE(a);
  REQUIRE(b);
  h->free(a);
  uint64_t units = 0, used = 0;
  uint32_t first = 0, end = 0, keys = 0;
  h->for_each([&](const ChipHeap::Chunk& c) {
    if (!first) first = c.first;
    CHECK(c.first == (end ? end : c.first));  // contiguous
    end = c.first + c.units;
    units += c.units;
    if (c.used) {
      used += c.units;
      keys += c.key == h->key_of(b);
    }
  });
  const auto& t = static_cast<const TlsfHeap&>(*h);
  CHECK(first * 4 == t.first_data_offset() - 4);  // the first block's size word
  CHECK(used * 4 == 32 + 4);                      // b and its size word
  CHECK(keys == 1);
  // The counter counts the free blocks' size words too, and the sentinel's (region − 20 − control
  // at the start: the first block's size word, its bytes and the sentinel's size word).
  CHECK(h->free_bytes() == (units - used) * 4 + 4);
  CHECK(h->last_op().op == 'f');
}
