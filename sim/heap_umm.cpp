// sim/heap_umm.cpp — umm_malloc's algorithms on the in-arena block layout (see heap_umm.h).
#include "heap_umm.h"

#include <cstring>
#include <stdexcept>

namespace espfleet {

namespace {
uint32_t isqrt(uint64_t v) {  // exact floor square root
  uint64_t r = 0, bit = uint64_t(1) << 62;
  while (bit > v) bit >>= 2;
  while (bit) {
    if (v >= r + bit) {
      v -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return uint32_t(r);
}
}  // namespace

UmmHeap::UmmHeap(void* mem, size_t bytes) : base_(static_cast<uint8_t*>(mem)), bytes_(bytes) {
  if (bytes % 8 != 0) throw std::invalid_argument("heap size " + std::to_string(bytes) + " is not a multiple of 8");
  if (bytes < 64) throw std::invalid_argument("heap size " + std::to_string(bytes) + " is below 64 bytes");
  if (bytes / 8 > 32768) throw std::invalid_argument("heap size " + std::to_string(bytes) + " exceeds 32768 blocks");
  last_ = uint16_t(bytes / 8 - 1);
  std::memset(base_, 0, 16);
  raw_next(0) = 1;
  pblock(0) = 0;
  nfree(0) = 1;
  pfree(0) = 1;
  raw_next(1) = uint16_t(last_ | kFree);
  pblock(1) = 0;
  nfree(1) = 0;
  pfree(1) = 0;
  raw_next(last_) = 0;
  pblock(last_) = 1;
}

uint32_t UmmHeap::blocks_for(size_t n) {
  if (n == 0) return 0;
  if (n <= 4) return 1;
  size_t b = 2 + (n - 5) / 8;
  return b >= 0x8000 ? 0 : uint32_t(b);
}

long UmmHeap::block_of(const void* p) const {
  auto* b = static_cast<const uint8_t*>(p);
  if (!contains(p)) return -1;
  size_t off = size_t(b - base_);
  if (off % 8 != 4) return -1;
  long c = long(off / 8);
  if (c < 1 || c >= last_ || is_free(uint16_t(c))) return -1;
  return c;
}

void UmmHeap::disconnect(uint16_t c) {
  nfree(pfree(c)) = nfree(c);
  pfree(nfree(c)) = pfree(c);
  raw_next(c) &= kMask;
}

void UmmHeap::assimilate_up(uint16_t c) {
  uint16_t next = nblock(c);
  if (is_free(next)) {
    disconnect(next);
    pblock(nblock(next)) = c;
    raw_next(c) = nblock(next);
  }
}

uint16_t UmmHeap::assimilate_down(uint16_t c, uint16_t freemask) {
  uint16_t prev = pblock(c);
  raw_next(prev) = uint16_t(nblock(c) | freemask);
  pblock(nblock(c)) = prev;
  return prev;
}

void UmmHeap::split(uint16_t c, uint16_t blocks, uint16_t freemask) {
  uint16_t tail = uint16_t(c + blocks);
  raw_next(tail) = uint16_t(nblock(c) | freemask);
  pblock(tail) = c;
  pblock(nblock(c)) = tail;
  raw_next(c) = tail;  // c keeps no free flag (callers set it)
}

void* UmmHeap::malloc_core(size_t n) {
  uint32_t blocks = blocks_for(n);
  if (blocks == 0) return nullptr;
  uint16_t best = 0;
  uint32_t best_size = 0x7FFF;
  for (uint16_t cf = nfree(0); cf != 0; cf = nfree(cf)) {
    uint32_t size = uint32_t(nblock(cf) - cf);
    if (size >= blocks && size < best_size) {
      best = cf;
      best_size = size;
    }
  }
  if (best_size == 0x7FFF) return nullptr;
  uint16_t cf = best;
  if (best_size == blocks) {
    disconnect(cf);
  } else {
    // Take the low end; the remainder keeps cf's place in the free list.
    split(cf, uint16_t(blocks), kFree);
    uint16_t rest = uint16_t(cf + blocks);
    nfree(pfree(cf)) = rest;
    pfree(nfree(cf)) = rest;
    pfree(rest) = pfree(cf);
    nfree(rest) = nfree(cf);
  }
  return data(cf);
}

void* UmmHeap::malloc(size_t n) {
  if (n == 0) return nullptr;
  void* p = malloc_core(n);
  if (!p) last_failed_ = n;
  return p;
}

void* UmmHeap::calloc(size_t count, size_t size) {
  if (count == 0 || size == 0) return nullptr;
  size_t total = (size > SIZE_MAX / count) ? SIZE_MAX : count * size;
  void* p = malloc(total);
  if (p) std::memset(p, 0, total);
  return p;
}

void UmmHeap::free_core(uint16_t c) {
  assimilate_up(c);
  if (is_free(pblock(c))) {
    assimilate_down(c, kFree);  // the previous chunk keeps its list slot
  } else {
    pfree(nfree(0)) = c;
    nfree(c) = nfree(0);
    pfree(c) = 0;
    nfree(0) = c;
    raw_next(c) |= kFree;
  }
}

void UmmHeap::free(void* p) {
  if (!p) return;
  long c = block_of(p);
  if (c < 0) {
    bad_frees_++;
    return;
  }
  free_core(uint16_t(c));
}

void* UmmHeap::realloc(void* ptr, size_t n) {
  if (!ptr) return malloc(n);
  if (n == 0) {
    free(ptr);
    return nullptr;
  }
  long cl = block_of(ptr);
  if (cl < 0) {
    bad_frees_++;
    return nullptr;
  }
  uint32_t blocks = blocks_for(n);
  if (blocks == 0) {
    last_failed_ = n;
    return nullptr;
  }
  uint16_t c = uint16_t(cl);
  uint32_t block_size = uint32_t(nblock(c) - c);
  size_t cur_bytes = size_t(block_size) * 8 - 4;
  uint16_t next = nblock(c), prev = pblock(c);
  uint32_t next_size = is_free(next) ? uint32_t(nblock(next) - next) : 0;
  uint32_t prev_size = is_free(prev) ? uint32_t(c - prev) : 0;

  if (prev_size && prev_size + block_size + next_size >= blocks) {  // (1) merge down, move data
    disconnect(prev);
    c = assimilate_down(c, 0);
    std::memmove(data(c), ptr, cur_bytes);
    ptr = data(c);
    block_size += prev_size;
    if (block_size < blocks) {
      assimilate_up(c);
      block_size += next_size;
    }
  } else if (block_size >= blocks) {  // (2) fits in place
  } else if (block_size + next_size >= blocks) {  // (3) absorb the next chunk
    assimilate_up(c);
    block_size += next_size;
  } else {  // (4) elsewhere, while the old block is still held
    void* np = malloc_core(n);
    if (!np) {
      last_failed_ = n;
      return nullptr;
    }
    std::memcpy(np, ptr, cur_bytes);
    free_core(c);
    return np;
  }
  if (block_size > blocks) {
    split(c, uint16_t(blocks), 0);
    free_core(uint16_t(c + blocks));
  }
  return ptr;
}

uint32_t UmmHeap::free_bytes() const {
  uint32_t blocks = 0;
  for (uint16_t cf = nfree(0); cf != 0; cf = nfree(cf)) blocks += uint32_t(nblock(cf) - cf);
  return blocks * 8;
}

uint32_t UmmHeap::max_free_block() const {
  uint32_t best = 0;
  for (uint16_t cf = nfree(0); cf != 0; cf = nfree(cf)) {
    uint32_t s = uint32_t(nblock(cf) - cf);
    if (s > best) best = s;
  }
  return best * 8;
}

uint8_t UmmHeap::fragmentation() const {
  uint64_t sum = 0, squares = 0;
  for (uint16_t cf = nfree(0); cf != 0; cf = nfree(cf)) {
    uint64_t s = uint64_t(nblock(cf) - cf);
    sum += s;
    squares += s * s;
  }
  if (sum == 0) return 0;
  return uint8_t(100 - uint64_t(isqrt(squares)) * 100 / sum);
}

std::string UmmHeap::check_integrity() const {
  // Physical chain.
  uint32_t free_phys = 0, steps = 0;
  bool prev_free = false;
  for (uint16_t c = nblock(0); c != last_; c = nblock(c)) {
    if (c == 0 || c > last_ || nblock(c) <= c) return "bad physical link at block " + std::to_string(c);
    if (pblock(nblock(c)) != c) return "prev link of block " + std::to_string(nblock(c)) + " does not point back";
    if (is_free(c)) {
      if (prev_free) return "two adjacent free chunks at block " + std::to_string(c);
      free_phys += uint32_t(nblock(c) - c);
    }
    prev_free = is_free(c);
    if (++steps > last_) return "physical chain loops";
  }
  // Free list.
  uint32_t free_list = 0;
  steps = 0;
  for (uint16_t cf = nfree(0), p = 0; cf != 0; p = cf, cf = nfree(cf)) {
    if (!is_free(cf)) return "block " + std::to_string(cf) + " on the free list is not marked free";
    if (pfree(cf) != p) return "free-list back link wrong at block " + std::to_string(cf);
    free_list += uint32_t(nblock(cf) - cf);
    if (++steps > last_) return "free list loops";
  }
  if (free_list != free_phys) return "free list (" + std::to_string(free_list) + " blocks) disagrees with the chain (" +
                                     std::to_string(free_phys) + ")";
  return "";
}

}  // namespace espfleet
