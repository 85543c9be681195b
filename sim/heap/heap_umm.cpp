// sim/heap/heap_umm.cpp — umm_malloc's algorithms (malloc, free, realloc, calloc, metrics) on the
// in-arena block layout described in heap_umm.h, step for step as docs/heap.md lays them out.
#include "heap_umm.h"

#include "rng.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace espfleet {

namespace {

// Exact floor square root, bit by bit.
uint64_t isqrt(uint64_t v) {
  uint64_t root = 0, bit = uint64_t(1) << 62;
  while (bit > v) bit >>= 2;
  for (; bit != 0; bit >>= 2) {
    if (v >= root + bit) {
      v -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
  }
  return root;
}

}  // namespace

std::string UmmHeap::size_problem(size_t bytes) {
  if (bytes % kBlockBytes != 0) return "must be a multiple of 8 (umm_malloc's block size)";
  if (bytes < 64) return "must be at least 64 bytes";
  if (bytes > kMaxBytes) return "must be at most 262144 bytes (32768 blocks: 15-bit block numbers)";
  return "";
}

namespace {
// The data pool and map follow the arena, 16-aligned (as the host's malloc), never formatted.
uint8_t* after_arena(void* mem, size_t bytes) {
  auto end = reinterpret_cast<uintptr_t>(mem) + bytes;
  return static_cast<uint8_t*>(mem) + ((end + 15) / 16 * 16 - reinterpret_cast<uintptr_t>(mem));
}
size_t checked_size(void* mem, size_t bytes) {
  if (std::string why = UmmHeap::size_problem(bytes); !why.empty())
    throw std::invalid_argument("UmmHeap: heap size " + std::to_string(bytes) + " " + why);
  if (!mem) throw std::invalid_argument("UmmHeap: no memory given");
  return bytes;
}
}  // namespace

UmmHeap::UmmHeap(void* mem, size_t bytes)
    : base_(static_cast<uint8_t*>(mem)),
      bytes_(checked_size(mem, bytes)),
      spill_(after_arena(mem, bytes), bytes, uint32_t(kBlockBytes)) {
  span_ = size_t(spill_.map_base() - base_) + bytes_ / kBlockBytes * kDataBytesPerBlock;
  // Like umm_init, minus clearing the whole arena (fresh mappings are zero already, and leaving
  // them alone keeps untouched pages uncommitted).
  last_ = uint32_t(bytes / kBlockBytes - 1);
  set_word(0, 0, 1);  // block 0: the free-list head, physically followed by block 1
  set_word(0, 1, 0);
  set_word(0, 2, 1);
  set_word(0, 3, 1);              // the head's prev-free link names the list's tail
  set_word(1, 0, last_ | kFree);  // one free chunk over blocks 1..last-1
  set_word(1, 1, 0);
  set_word(1, 2, 0);
  set_word(1, 3, 0);
  set_word(last_, 0, 0);  // the end marker
  set_word(last_, 1, 1);
  set_word(last_, 2, 0);
  set_word(last_, 3, 0);
  count_free(last_ - 1);
}

bool UmmHeap::live_chunk(uint32_t c) const {
  if (c == 0 || c >= last_ || is_free(c)) return false;
  // A live chunk is linked from both physical neighbours (rejects double frees and pointers
  // into the middle of a chunk).
  uint32_t n = next(c), p = prev(c);
  if (n <= c || n > last_ || prev(n) != c) return false;
  if (p >= c || next(p) != c) return false;
  return true;
}

uint32_t UmmHeap::chunk_of(const void* p) const {
  if (!contains(p)) return 0;
  auto a = reinterpret_cast<uintptr_t>(p);
  uint32_t c;
  if (a < reinterpret_cast<uintptr_t>(spill_.pool_base())) {  // in place: 8c+4 in the model arena
    size_t off = size_t(a - reinterpret_cast<uintptr_t>(base_));
    if (off >= bytes_ || off % kBlockBytes != 4) return 0;
    c = uint32_t(off / kBlockBytes);
  } else {  // a pool object names its chunk; mapped: 16c in the data map
    c = spill_.key_of(p);
    if (c == HostSpill::kNone) return 0;
  }
  return live_chunk(c) ? c : 0;
}

void UmmHeap::unlink(uint32_t c) {
  set_word(pfree(c), 2, nfree(c));
  set_word(nfree(c), 3, pfree(c));
  set_word(c, 0, next(c));
}

void UmmHeap::absorb_next(uint32_t c) {
  uint32_t n = next(c);
  if (!is_free(n)) return;
  uncount_free(next(n) - n);
  unlink(n);
  uint32_t nn = next(n);
  set_word(nn, 1, c);
  set_word(c, 0, nn | (word(c, 0) & kFree));
}

// Cut c after `blocks` blocks; c loses its free flag, the tail gets tail_flag. Lists untouched.
void UmmHeap::split(uint32_t c, uint32_t blocks, uint16_t tail_flag) {
  uint32_t tail = c + blocks, n = next(c);
  set_word(tail, 0, n | tail_flag);
  set_word(tail, 1, c);
  set_word(n, 1, tail);
  set_word(c, 0, tail);
}

uint32_t UmmHeap::alloc_blocks(uint32_t blocks) {
  uint32_t best = 0, best_size = kMaxChunkBlocks + 1;
  for (uint32_t cf = nfree(0); cf != 0; cf = nfree(cf)) {
    uint32_t s = next(cf) - cf;
    if (s >= blocks && s < best_size) {
      best = cf;
      best_size = s;
      if (s == blocks) break;  // nothing later can beat an exact fit (ties keep the first)
    }
  }
  if (best == 0) return 0;
  uncount_free(best_size);
  if (best_size == blocks) {
    unlink(best);
  } else {
    // Take the low end; the remainder inherits best's slot in the free list.
    split(best, blocks, kFree);
    uint32_t rest = best + blocks, nf = nfree(best), pf = pfree(best);
    set_word(rest, 2, nf);
    set_word(rest, 3, pf);
    set_word(pf, 2, rest);
    set_word(nf, 3, rest);
    count_free(best_size - blocks);
  }
  return best;
}

void UmmHeap::free_chunk(uint32_t c) {
  absorb_next(c);
  uint32_t p = prev(c), n = next(c);
  if (is_free(p)) {  // grow the previous chunk, which keeps its list slot
    uncount_free(c - p);
    set_word(p, 0, n | kFree);
    set_word(n, 1, p);
    count_free(n - p);
  } else {  // push on the head of the free list
    uint32_t head = nfree(0);
    set_word(head, 3, c);
    set_word(c, 2, head);
    set_word(c, 3, 0);
    set_word(0, 2, c);
    set_word(c, 0, n | kFree);
    count_free(n - c);
  }
}

void* UmmHeap::malloc_raw(size_t charge, size_t host_bytes, uint32_t& chunk) {
  chunk = 0;
  if (charge == 0) return nullptr;
  size_t blocks = blocks_for(charge);
  uint32_t c = blocks > kMaxChunkBlocks ? 0 : alloc_blocks(uint32_t(blocks));
  if (c == 0) {
    last_failed_ = charge;
    return nullptr;
  }
  chunk = c;
  return place(c, uint32_t(blocks), host_bytes);
}

void* UmmHeap::malloc(size_t charge, size_t host_bytes) {
  size_t took = effective_charge(charge, host_bytes);
  uint32_t c;
  void* p = malloc_raw(took, host_bytes, c);
  record('m', took, 0, c);
  return p;
}

void UmmHeap::free(void* p) {
  clear_op();
  if (!p) return;
  uint32_t c = chunk_of(p);
  free_raw(p, c);
  if (c) record('f', 0, c, 0);  // a pointer that is no chunk is counted (bad_frees), not recorded
}

void* UmmHeap::realloc(void* p, size_t charge, size_t host_bytes) {
  size_t took = effective_charge(charge, host_bytes);
  uint32_t from = p ? chunk_of(p) : 0, to = 0;
  void* q = realloc_raw(p, from, took, host_bytes, to);
  record('r', took, from, to);
  return q;
}

void* UmmHeap::zalloc(size_t charge, size_t host_bytes) {
  void* p = malloc(charge, host_bytes);
  if (p) std::memset(p, 0, host_bytes);
  return p;
}

void UmmHeap::free_raw(void* p, uint32_t c) {
  if (c == 0) {
    ++bad_frees_;
    return;
  }
  if (uint32_t row = spill_.pool_row_of(p); row != HostSpill::kNone) spill_.pool_release(row);
  free_chunk(c);
}

void* UmmHeap::realloc_raw(void* p, uint32_t c, size_t charge, size_t host_bytes, uint32_t& chunk) {
  chunk = 0;
  if (!p) return malloc_raw(charge, host_bytes, chunk);
  if (c == 0) {
    ++bad_frees_;
    return nullptr;
  }
  uint32_t old_row = spill_.pool_row_of(p);
  if (charge == 0) {
    if (old_row != HostSpill::kNone) spill_.pool_release(old_row);
    free_chunk(c);
    return nullptr;
  }
  size_t need_sz = blocks_for(charge);
  if (need_sz > kMaxChunkBlocks) {  // no chunk can ever be this large
    last_failed_ = charge;
    return nullptr;
  }
  uint32_t need = uint32_t(need_sz);
  uint32_t cur = next(c) - c, nx = next(c), pv = prev(c);
  uint32_t next_sz = is_free(nx) ? next(nx) - nx : 0;
  uint32_t prev_sz = is_free(pv) ? c - pv : 0;
  // What the old chunk may hold: its whole room wherever it is (the caller's size is not
  // recorded); what the new one keeps of it: no more than its host bytes.
  size_t old_room = room_at(p);
  size_t keep = std::min(old_room, host_bytes);
  uint32_t d = c, have = cur;
  bool moved_elsewhere = false;

  // The model steps below only write headers outside the old data and below the new data's end
  // (a split header lands at block d+need, past `keep` bytes in place), so one move after the
  // relinking and before the split is safe in every case and for every placement.
  if (prev_sz > 0 && prev_sz + cur + next_sz >= need) {  // (1) into the previous chunk
    uncount_free(prev_sz);
    unlink(pv);
    set_word(pv, 0, nx);
    set_word(nx, 1, pv);
    d = pv;
    have += prev_sz;
    if (have < need) {
      absorb_next(d);
      have += next_sz;
    }
  } else if (cur >= need) {            // (2) stays
  } else if (cur + next_sz >= need) {  // (3) grows into the next chunk
    absorb_next(c);
    have += next_sz;
  } else {  // (4) elsewhere, found while the old chunk is still held
    d = alloc_blocks(need);
    if (d == 0) {
      last_failed_ = charge;
      return nullptr;
    }
    moved_elsewhere = true;
  }
  uint8_t* dst;
  if (fits_in_place(need, host_bytes)) {
    dst = data(d);
  } else if (old_row != HostSpill::kNone && host_bytes <= old_room) {  // the pool object still fits: keep it
    dst = static_cast<uint8_t*>(p);
    spill_.set_pool_key(old_row, d);
  } else {
    dst = place(d, need, host_bytes);  // a new pool object (the old one is still held) or the map
  }
  if (dst != p) {
    std::memmove(dst, p, keep);
    if (old_row != HostSpill::kNone) spill_.pool_release(old_row);
  }
  if (moved_elsewhere) {
    free_chunk(c);
  } else if (have > need) {  // give the tail back through the normal free path
    split(d, need, 0);
    free_chunk(d + need);
  }
  chunk = d;
  return dst;
}

UmmHeap::Placement UmmHeap::placement_of(const void* p) const {
  if (chunk_of(p) == 0) return Placement::none;
  auto a = reinterpret_cast<uintptr_t>(p);
  if (a < reinterpret_cast<uintptr_t>(spill_.pool_base())) return Placement::in_place;
  return spill_.in_pool(p) ? Placement::pool : Placement::map;
}

size_t UmmHeap::offset_of(const void* p) const {
  if (!contains(p)) return SIZE_MAX;
  auto a = reinterpret_cast<uintptr_t>(p);
  if (a < reinterpret_cast<uintptr_t>(spill_.pool_base())) {
    size_t off = size_t(a - reinterpret_cast<uintptr_t>(base_));
    return off < bytes_ ? off : SIZE_MAX;  // not the alignment gap before the pool
  }
  uint32_t c = chunk_of(p);
  return c == 0 ? SIZE_MAX : c * kBlockBytes + 4;
}

size_t UmmHeap::room_at(const void* p) const {
  uint32_t c = chunk_of(p);
  if (c == 0) return 0;
  size_t blocks = next(c) - c;
  auto a = reinterpret_cast<uintptr_t>(p);
  if (a < reinterpret_cast<uintptr_t>(spill_.pool_base())) return blocks * kBlockBytes - 4;
  if (spill_.in_pool(p)) return spill_.pool_room(spill_.pool_row_of(p));
  return blocks * kDataBytesPerBlock;
}

uint32_t UmmHeap::max_free_block() const {
  uint32_t best = 0;
  for (uint32_t cf = nfree(0); cf != 0; cf = nfree(cf)) {
    uint32_t s = next(cf) - cf;
    if (s > best) best = s;
  }
  return best * uint32_t(kBlockBytes);
}

uint8_t UmmHeap::fragmentation() const {
  if (free_blocks_ == 0) return 0;
  return uint8_t(100 - isqrt(free_squares_) * 100 / free_blocks_);
}

std::string UmmHeap::check_integrity() const {
  auto at = [](const char* what, uint32_t c) { return std::string(what) + " at block " + std::to_string(c); };
  if (next(0) != 1 || prev(0) != 0 || is_free(0)) return "list head (block 0) header damaged";
  if (word(last_, 0) != 0) return "end marker damaged";
  // Physical chain from block 1 to the end marker.
  std::vector<bool> free_start(last_ + 1, false);
  uint32_t free_chunks = 0, blocks = 0, sum = 0;
  uint64_t squares = 0;
  bool prev_was_free = false;
  for (uint32_t c = 1, p = 0; c != last_; p = c, c = next(c)) {
    uint32_t n = next(c);
    if (n <= c || n > last_) return at("bad next link", c);
    if (prev(c) != p) return at("prev link disagrees with the chain", c);
    if (is_free(c)) {
      if (prev_was_free) return at("two adjacent free chunks", c);
      free_start[c] = true;
      ++free_chunks;
      sum += n - c;
      squares += uint64_t(n - c) * (n - c);
    }
    prev_was_free = is_free(c);
    blocks += n - c;
  }
  if (blocks != last_ - 1) return "chunk sizes do not add up to the heap";
  // Free list: a cycle through block 0 visiting exactly the free chunks.
  uint32_t listed = 0, p = 0;
  for (uint32_t cf = nfree(0); cf != 0; p = cf, cf = nfree(cf)) {
    if (cf >= last_ || !free_start[cf]) return at("free list loops or holds a chunk that is not free", cf);
    if (pfree(cf) != p) return at("free-list back link wrong", cf);
    free_start[cf] = false;  // a second visit means a loop
    ++listed;
  }
  if (pfree(0) != p) return "list head's back link does not name the tail";
  if (listed != free_chunks) return "free list misses free chunks";
  if (sum != free_blocks_ || squares != free_squares_) return "free-block counters disagree with the heap";
  // The data pool: each object belonging to a different used chunk.
  return spill_.check([this](uint32_t c) { return live_chunk(c); });
}

}  // namespace espfleet
