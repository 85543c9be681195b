// sim/heap/heap_sdk.cpp — the non-OS SDK's heap as FreeRTOS's heap_5 over one region (heap_sdk.h).
#include "heap_sdk.h"

#include <stdexcept>

namespace espfleet {

namespace {
// The pool and map follow the bitmap, 16-aligned (as the host's malloc).
uint8_t* after_bitmap(void* mem, size_t region_bytes) {
  auto end = reinterpret_cast<uintptr_t>(mem) + region_bytes + (region_bytes / SdkHeap::kAlign + 7) / 8;
  return static_cast<uint8_t*>(mem) + ((end + 15) / 16 * 16 - reinterpret_cast<uintptr_t>(mem));
}
}  // namespace

std::string SdkHeap::size_problem(size_t bytes) {
  if (bytes < kMinRegionBytes || bytes > kMaxRegionBytes)
    return "an SDK heap region must be " + std::to_string(kMinRegionBytes) + " to " + std::to_string(kMaxRegionBytes) +
           " bytes, not " + std::to_string(bytes);
  if (bytes % kAlign) return "an SDK heap region must be a multiple of 8 bytes, not " + std::to_string(bytes);
  return {};
}

SdkHeap::SdkHeap(void* mem, size_t region_bytes)
    : base_(static_cast<uint8_t*>(mem)),
      bytes_(uint32_t(region_bytes)),
      live_(base_ + region_bytes),
      spill_(after_bitmap(mem, region_bytes), region_bytes, kAlign) {
  if (std::string e = size_problem(region_bytes); !e.empty()) throw std::invalid_argument(e);
  if (!mem) throw std::invalid_argument("SdkHeap: no memory given");
  std::memset(base_, 0, bytes_);
  std::memset(live_, 0, (region_bytes / kAlign + 7) / 8);
  span_ = size_t(spill_.map_base() - base_) + 2 * region_bytes;
  chip_base_ = kRegionEnd - bytes_;  // 8-aligned: no bytes lost to alignment
  // vPortDefineHeapRegions: xStart → the first block; pxEnd at the region's end less a header,
  // aligned down; one free block between them.
  start_next_ = addr(0);
  end_ = (bytes_ - kHeader) & ~(kAlign - 1);
  set_word(end_, 0);
  set_word(end_ + 4, 0);
  set_word(0, addr(end_));
  set_word(4, end_);
  free_ = min_free_ = end_;
}

uint32_t SdkHeap::p_malloc(uint32_t wanted) {
  // The header, then up to the alignment (an overflow gives 0, refused below).
  if (wanted > 0) {
    wanted = wanted > UINT32_MAX - kHeader ? 0 : wanted + kHeader;
    if (wanted & (kAlign - 1)) wanted = wanted > UINT32_MAX - kAlign ? 0 : (wanted | (kAlign - 1)) + 1;
  }
  if ((wanted & kAllocated) || wanted == 0 || wanted > free_) return 0;
  // First fit from the lowest address; prev = 0xFFFFFFFF stands for xStart.
  constexpr uint32_t kStart = 0xFFFFFFFF;
  uint32_t prev = kStart, b = off_of(start_next_);
  while (bsize(b) < wanted && next_of(b) != 0) {
    prev = b;
    b = off_of(next_of(b));
  }
  if (b == end_) return 0;
  auto set_prev_next = [&](uint32_t a) {
    if (prev == kStart)
      start_next_ = a;
    else
      set_word(prev, a);
  };
  set_prev_next(next_of(b));
  if (bsize(b) - wanted > kMinimumBlock) {
    const uint32_t nb = b + wanted;
    set_word(nb + 4, bsize(b) - wanted);
    set_word(b + 4, wanted);
    set_word(nb, prev == kStart ? start_next_ : word(prev));
    set_prev_next(addr(nb));
  }
  free_ -= bsize(b);
  min_free_ = std::min(min_free_, free_);
  set_word(b + 4, raw_size(b) | kAllocated);
  set_word(b, 0);
  return b + kHeader;
}

void SdkHeap::insert_free(uint32_t b) {
  // The list is walked from xStart to the first block above b (xStart is below every block).
  constexpr uint32_t kStart = 0xFFFFFFFF;
  uint32_t it = kStart;
  auto it_next = [&]() { return it == kStart ? start_next_ : word(it); };
  while (off_of(it_next()) < b) it = off_of(it_next());
  // Merge with the block before (xStart has size 0 and is outside the region: never adjacent).
  if (it != kStart && it + bsize(it) == b) {
    set_word(it + 4, bsize(it) + bsize(b));
    b = it;
  }
  // ... and with the block after, unless that is the end marker.
  const uint32_t after = off_of(it_next());
  if (b + bsize(b) == after) {
    if (after != end_) {
      set_word(b + 4, bsize(b) + bsize(after));
      set_word(b, next_of(after));
    } else {
      set_word(b, addr(end_));
    }
  } else {
    set_word(b, it_next());
  }
  if (it != b) {
    if (it == kStart)
      start_next_ = addr(b);
    else
      set_word(it, addr(b));
  }
}

void SdkHeap::p_free(uint32_t data) {
  const uint32_t b = data - kHeader;
  set_word(b + 4, bsize(b));  // no longer allocated
  free_ += bsize(b);
  insert_free(b);
}

uint32_t SdkHeap::max_free_block() const {
  uint32_t best = 0;
  for (uint32_t b = off_of(start_next_); b != end_; b = off_of(next_of(b))) best = std::max(best, bsize(b));
  return best > kHeader ? best - kHeader : 0;
}

uint8_t SdkHeap::fragmentation() const {
  if (!free_) return 0;
  const uint32_t largest = max_free_block();
  return uint8_t(largest >= free_ ? 0 : 100 - uint64_t(largest) * 100 / free_);
}

uint32_t SdkHeap::block_size(const void* p) const {
  const uint32_t d = chunk_data(p);
  return d ? bsize(d - kHeader) : 0;
}

uint32_t SdkHeap::data_of(const void* p) const {
  auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
  if (a < b || a - b >= bytes_) return 0;
  const uint32_t off = uint32_t(a - b);
  if (off < kHeader || off % kAlign != 0 || off >= end_) return 0;
  return live(off) ? off : 0;
}

uint32_t SdkHeap::chunk_data(const void* p) const {
  if (!contains(p)) return 0;
  if (!spill_.in_pool(p) && !spill_.in_map(p)) return data_of(p);
  const uint32_t key = spill_.key_of(p);
  if (key == HostSpill::kNone || uint64_t(key) * kAlign >= bytes_) return 0;
  return data_of(base_ + size_t(key) * kAlign);
}

size_t SdkHeap::offset_of(const void* p) const {
  auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
  if (a >= b && a - b < bytes_) return size_t(a - b);
  const uint32_t d = chunk_data(p);
  return d ? d : SIZE_MAX;
}

size_t SdkHeap::room_at(const void* p) const {
  const uint32_t d = chunk_data(p);
  if (!d) return 0;
  const size_t data_bytes = bsize(d - kHeader) - kHeader;
  if (spill_.in_pool(p)) return spill_.pool_room(spill_.pool_row_of(p));
  return spill_.in_map(p) ? 2 * size_t(bsize(d - kHeader)) : data_bytes;
}

uint8_t* SdkHeap::place(uint32_t data, size_t host_bytes) {
  if (host_bytes <= bsize(data - kHeader) - kHeader) return base_ + data;
  uint8_t* p = spill_.pool_place(data / kAlign, host_bytes);
  return p ? p : spill_.mapped(data / kAlign);
}

uint32_t SdkHeap::take(size_t took) {
  const uint32_t r = took > UINT32_MAX ? 0 : p_malloc(uint32_t(took));
  if (took && !r) last_failed_ = took;
  set_live(r, true);
  return r;
}

void* SdkHeap::malloc(size_t charge, size_t host_bytes) {
  const size_t took = effective_charge(charge, host_bytes);
  const uint32_t r = take(took);
  record('m', took, 0, r / kAlign);
  return r ? place(r, host_bytes) : nullptr;
}

void* SdkHeap::zalloc(size_t charge, size_t host_bytes) {
  void* p = malloc(charge, host_bytes);
  if (p) std::memset(p, 0, host_bytes);
  return p;
}

void* SdkHeap::calloc(size_t count, size_t size) {
  const uint64_t bytes = uint64_t(count) * uint64_t(size);
  if (count > UINT32_MAX || size > UINT32_MAX || bytes > UINT32_MAX) {  // 32-bit size_t overflow
    record('m', 0, 0, 0);
    return nullptr;
  }
  return zalloc(size_t(bytes), size_t(bytes));
}

void SdkHeap::free(void* p) {
  clear_op();
  if (!p) return;
  const uint32_t d = chunk_data(p);
  if (!d) {
    ++bad_frees_;
    return;
  }
  if (uint32_t row = spill_.pool_row_of(p); row != HostSpill::kNone) spill_.pool_release(row);
  set_live(d, false);
  p_free(d);
  record('f', 0, d / kAlign, 0);
}

void* SdkHeap::realloc(void* p, size_t charge, size_t host_bytes) {
  const size_t took = effective_charge(charge, host_bytes);
  if (!p) {
    const uint32_t r = take(took);
    record('r', took, 0, r / kAlign);
    return r ? place(r, host_bytes) : nullptr;
  }
  const uint32_t d = chunk_data(p);
  if (!d) {
    ++bad_frees_;
    record('r', took, 0, 0);
    return nullptr;
  }
  uint32_t row = spill_.pool_row_of(p);
  if (took == 0) {
    if (row != HostSpill::kNone) spill_.pool_release(row);
    set_live(d, false);
    p_free(d);
    record('r', 0, d / kAlign, 0);
    return nullptr;
  }
  // malloc, copy, free: the new block never overlaps the old one, so the host bytes can move
  // straight from wherever they are to wherever the new block's go.
  const size_t keep = std::min(room_at(p), host_bytes);
  const uint32_t r = take(took);
  if (!r) {
    record('r', took, d / kAlign, 0);
    return nullptr;
  }
  uint8_t* dst;
  if (host_bytes <= bsize(r - kHeader) - kHeader) {
    dst = base_ + r;
  } else if (row != HostSpill::kNone && host_bytes <= spill_.pool_room(row)) {  // the pool object still fits
    dst = static_cast<uint8_t*>(p);
    spill_.set_pool_key(row, r / kAlign);
    row = HostSpill::kNone;
  } else {
    dst = place(r, host_bytes);
  }
  if (dst != p) std::memmove(dst, p, keep);
  if (row != HostSpill::kNone) spill_.pool_release(row);
  set_live(d, false);
  p_free(d);
  record('r', took, d / kAlign, r / kAlign);
  return dst;
}

void SdkHeap::for_each(const std::function<void(const Chunk&)>& f) const {
  for (uint32_t b = 0; b < end_;) {
    const uint32_t s = bsize(b);
    if (s == 0 || b + s > end_) return;  // corrupt: check_integrity says so
    const bool used = raw_size(b) & kAllocated;
    f(Chunk{b / kAlign, s / kAlign, used, used ? (b + kHeader) / kAlign : 0});
    b += s;
  }
}

std::string SdkHeap::check_integrity() const {
  uint64_t listed = 0;
  uint32_t prev_end = 0;
  bool first = true;
  for (uint32_t b = off_of(start_next_);; b = off_of(next_of(b))) {
    if (b > end_ || b % kAlign) return "a free-list link leaves the region";
    if (b == end_) break;
    if (raw_size(b) & kAllocated) return "an allocated block is in the free list";
    if (!first && b < prev_end) return "the free list is not in address order";
    if (!first && b == prev_end) return "two adjacent free blocks were not merged";
    listed += bsize(b);
    prev_end = b + bsize(b);
    first = false;
  }
  if (listed != free_) return "the free counter is not the free list's sum";
  uint32_t b = 0;
  while (b < end_) {
    const uint32_t s = bsize(b);
    if (s < kHeader || s % kAlign || b + s > end_) return "a block's size leaves the region";
    if ((raw_size(b) & kAllocated) && word(b) != 0) return "an allocated block has a free-list link";
    if (((raw_size(b) & kAllocated) != 0) != live(b + kHeader)) return "the live-block bitmap disagrees with a block";
    b += s;
  }
  if (b != end_) return "the blocks do not end at pxEnd";
  if (word(end_) != 0 || word(end_ + 4) != 0) return "the end marker was overwritten";
  return spill_.check([this](uint32_t key) { return uint64_t(key) * kAlign < bytes_ && live(key * kAlign); });
}

}  // namespace espfleet
