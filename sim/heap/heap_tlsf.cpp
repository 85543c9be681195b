// sim/heap/heap_tlsf.cpp — the ESP32-C3 heap model (heap_tlsf.h): TLSF's free lists, splits and
// merges, and multi_heap's counters, on the region's image in 32-bit words.
#include "heap_tlsf.h"

#include <algorithm>
#include <stdexcept>

namespace espfleet {

namespace {

constexpr uint32_t kNull = TlsfHeap::kControlOffset;  // control->block_null: the empty lists' end

int fls32(uint32_t x) { return x ? 31 - __builtin_clz(x) : -1; }
int ffs32(uint32_t x) { return x ? __builtin_ctz(x) : -1; }

// The class parameters control_construct derives from the bytes handed to tlsf_create.
struct Params {
  uint32_t fl_max, sl_log2, fl_shift, fl_count, small, control;
};
// The first free block's size tlsf_add_pool makes of the bytes after the control block (0 when
// they cannot hold the block and the sentinel).
uint32_t pool_block_bytes(uint32_t tlsf_bytes, const Params& p) {
  if (tlsf_bytes < p.control + 2 * TlsfHeap::kBlockOverhead) return 0;
  return ((tlsf_bytes - p.control) - 2 * TlsfHeap::kBlockOverhead) & ~(TlsfHeap::kAlign - 1);
}
Params params_for(uint32_t tlsf_bytes) {
  Params p;
  p.fl_max = uint32_t(32 - __builtin_clz(tlsf_bytes));
  p.sl_log2 = tlsf_bytes <= 16 * 1024 ? 3 : tlsf_bytes <= 256 * 1024 ? 4 : 5;
  p.fl_shift = p.sl_log2 + 2;  // + ALIGN_SIZE_LOG2
  p.fl_count = p.fl_max - p.fl_shift + 1;
  p.small = 1u << p.fl_shift;
  p.control = TlsfHeap::kControlStructBytes + 4 * p.fl_count + 4 * p.fl_count * (1u << p.sl_log2);
  return p;
}

}  // namespace

std::string TlsfHeap::size_problem(size_t bytes) {
  if (bytes > kMaxRegionBytes)
    return "a TLSF heap region is at most " + std::to_string(kMaxRegionBytes) + " bytes, not " + std::to_string(bytes);
  if (bytes < kHeapStructBytes + kControlStructBytes)
    return "a TLSF heap region of " + std::to_string(bytes) +
           " bytes cannot hold multi_heap's and TLSF's control structures";
  uint32_t b = uint32_t(bytes) - kHeapStructBytes;
  Params p = params_for(b);
  if (b < p.control + kBlockSizeMin)
    return "a TLSF heap region of " + std::to_string(bytes) + " bytes cannot hold its " + std::to_string(p.control) +
           " control bytes and a block";
  if (pool_block_bytes(b, p) < kBlockSizeMin)
    return "a TLSF heap region of " + std::to_string(bytes) + " bytes leaves no block after its " +
           std::to_string(p.control) + " control bytes";
  return "";
}

uint32_t TlsfHeap::control_bytes_for(size_t bytes) {
  return bytes > kHeapStructBytes && bytes <= kMaxRegionBytes ? params_for(uint32_t(bytes) - kHeapStructBytes).control
                                                              : 0;
}

namespace {
// The pool and map follow the bitmap, 16-aligned (as the host's malloc).
uint8_t* after_bitmap(void* mem, size_t region_bytes) {
  auto end = reinterpret_cast<uintptr_t>(mem) + region_bytes + (region_bytes / TlsfHeap::kAlign + 7) / 8;
  return static_cast<uint8_t*>(mem) + ((end + 15) / 16 * 16 - reinterpret_cast<uintptr_t>(mem));
}
}  // namespace

TlsfHeap::TlsfHeap(void* mem, size_t region_bytes)
    : base_(static_cast<uint8_t*>(mem)),
      bytes_(uint32_t(region_bytes)),
      live_(base_ + region_bytes),
      spill_(after_bitmap(mem, region_bytes), region_bytes, kAlign) {
  if (std::string e = size_problem(region_bytes); !e.empty()) throw std::invalid_argument(e);
  if (!mem) throw std::invalid_argument("TlsfHeap: no memory given");
  std::memset(live_, 0, (region_bytes / kAlign + 7) / 8);
  span_ = size_t(spill_.map_base() - base_) + 2 * region_bytes;
  const uint32_t b = bytes_ - kHeapStructBytes;
  const Params p = params_for(b);
  fl_max_ = p.fl_max;
  sl_log2_ = p.sl_log2;
  fl_shift_ = p.fl_shift;
  fl_count_ = p.fl_count;
  small_ = p.small;
  control_size_ = p.control;
  sl_bitmap_ = kControlOffset + kControlStructBytes;
  blocks_ = sl_bitmap_ + 4 * fl_count_;
  pool_ = kControlOffset + control_size_;

  // control_construct: block_null's links, the bitfields, the size, empty bitmaps and lists.
  set_word(kControlOffset + 0, 0);
  set_word(kControlOffset + 4, 0);
  set_word(kControlOffset + 8, kNull);
  set_word(kControlOffset + 12, kNull);
  set_word(kControlOffset + 16,
           fl_count_ | fl_shift_ << 5 | fl_max_ << 8 | (1u << sl_log2_) << 14 | sl_log2_ << 20 | small_ << 23);
  set_word(kControlOffset + 20, control_size_);
  set_fl_bitmap(0);
  set_word(kControlOffset + 28, sl_bitmap_);
  set_word(kControlOffset + 32, blocks_);
  for (uint32_t fl = 0; fl < fl_count_; ++fl) {
    set_sl_bitmap(fl, 0);
    for (uint32_t sl = 0; sl < (1u << sl_log2_); ++sl) set_word(head_slot(fl, sl), kNull);
  }

  // tlsf_add_pool: one free block whose header starts 4 bytes before the pool (its prev_phys is
  // never used), then the used sentinel of size 0.
  const uint32_t pool_bytes = pool_block_bytes(b, p);
  const uint32_t first = pool_ - kBlockOverhead;
  set_word(first + 4, 0);
  set_size(first, pool_bytes);
  set_bits(first, kFreeBit);
  clear_bits(first, kPrevFreeBit);
  block_insert(first);
  const uint32_t sentinel = link_next(first);
  set_word(sentinel + 4, 0);
  set_bits(sentinel, kPrevFreeBit);

  // multi_heap_register: heap_t.
  set_word(0, 0);                  // lock
  set_word(4, b - control_size_);  // free_bytes
  set_word(8, b - control_size_);  // minimum_free_bytes
  set_word(12, b);                 // pool_size
  set_word(16, kControlOffset);    // heap_data
}

// ---- TLSF ------------------------------------------------------------------------------------

void TlsfHeap::mark_free(uint32_t b) {
  uint32_t n = link_next(b);
  set_bits(n, kPrevFreeBit);
  set_bits(b, kFreeBit);
}

void TlsfHeap::mark_used(uint32_t b) {
  clear_bits(next_of(b), kPrevFreeBit);
  clear_bits(b, kFreeBit);
}

void TlsfHeap::mapping_insert(uint32_t size, uint32_t& fl, uint32_t& sl) const {
  if (size < small_) {
    fl = 0;
    sl = size / (small_ >> sl_log2_);
  } else {
    int f = fls32(size);
    sl = (size >> (uint32_t(f) - sl_log2_)) ^ (1u << sl_log2_);
    fl = uint32_t(f) - (fl_shift_ - 1);
  }
}

void TlsfHeap::mapping_search(uint32_t size, uint32_t& fl, uint32_t& sl) const {
  if (size >= small_) size += (1u << (uint32_t(fls32(size)) - sl_log2_)) - 1;  // good fit
  mapping_insert(size, fl, sl);
}

uint32_t TlsfHeap::adjust_request(uint32_t size) const {
  if (size == 0) return 0;
  uint32_t aligned = (size + (kAlign - 1)) & ~(kAlign - 1);
  return aligned < block_size_max() ? std::max(aligned, kBlockSizeMin) : 0;
}

uint32_t TlsfHeap::search_suitable(uint32_t& fl, uint32_t& sl) const {
  uint32_t sl_map = sl_bitmap(fl) & (~0u << sl);
  if (!sl_map) {
    uint32_t fl_map = fl_bitmap() & (~0u << (fl + 1));
    if (!fl_map) return 0;
    fl = uint32_t(ffs32(fl_map));
    sl_map = sl_bitmap(fl);
  }
  sl = uint32_t(ffs32(sl_map));
  return head(fl, sl);
}

void TlsfHeap::remove_free(uint32_t b, uint32_t fl, uint32_t sl) {
  uint32_t prev = prev_free(b), next = next_free(b);
  set_prev_free(next, prev);
  set_next_free(prev, next);
  if (head(fl, sl) == b) {
    set_word(head_slot(fl, sl), next);
    if (next == kNull) {
      set_sl_bitmap(fl, sl_bitmap(fl) & ~(1u << sl));
      if (!sl_bitmap(fl)) set_fl_bitmap(fl_bitmap() & ~(1u << fl));
    }
  }
}

void TlsfHeap::insert_free(uint32_t b, uint32_t fl, uint32_t sl) {
  uint32_t current = head(fl, sl);
  set_next_free(b, current);
  set_prev_free(b, kNull);
  set_prev_free(current, b);
  set_word(head_slot(fl, sl), b);
  set_fl_bitmap(fl_bitmap() | 1u << fl);
  set_sl_bitmap(fl, sl_bitmap(fl) | 1u << sl);
}

void TlsfHeap::block_remove(uint32_t b) {
  uint32_t fl, sl;
  mapping_insert(bsize(b), fl, sl);
  remove_free(b, fl, sl);
}

void TlsfHeap::block_insert(uint32_t b) {
  uint32_t fl, sl;
  mapping_insert(bsize(b), fl, sl);
  insert_free(b, fl, sl);
}

uint32_t TlsfHeap::split(uint32_t b, uint32_t size) {
  uint32_t rest = b + kBlockOverhead + size;
  uint32_t rest_size = bsize(b) - (size + kBlockOverhead);
  set_size(rest, rest_size);
  set_size(b, size);
  mark_free(rest);
  return rest;
}

uint32_t TlsfHeap::absorb(uint32_t prev, uint32_t b) {
  set_word(prev + 4, raw_size(prev) + bsize(b) + kBlockOverhead);  // flags untouched
  link_next(prev);
  return prev;
}

uint32_t TlsfHeap::merge_prev(uint32_t b) {
  if (is_prev_free(b)) {
    uint32_t prev = prev_phys(b);
    block_remove(prev);
    b = absorb(prev, b);
  }
  return b;
}

uint32_t TlsfHeap::merge_next(uint32_t b) {
  uint32_t next = next_of(b);
  if (is_free(next)) {
    block_remove(next);
    b = absorb(b, next);
  }
  return b;
}

void TlsfHeap::trim_free(uint32_t b, uint32_t size) {
  if (bsize(b) >= kHeaderBytes + size) {
    uint32_t rest = split(b, size);
    link_next(b);
    set_bits(rest, kPrevFreeBit);
    block_insert(rest);
  }
}

void TlsfHeap::trim_used(uint32_t b, uint32_t size) {
  if (bsize(b) >= kHeaderBytes + size) {
    uint32_t rest = split(b, size);
    clear_bits(rest, kPrevFreeBit);
    rest = merge_next(rest);
    block_insert(rest);
  }
}

uint32_t TlsfHeap::locate_free(uint32_t size) {
  if (!size) return 0;
  uint32_t fl, sl, b = 0;
  mapping_search(size, fl, sl);
  if (fl < fl_count_) b = search_suitable(fl, sl);  // sizes near the top map past the last list
  if (b) remove_free(b, fl, sl);
  return b;
}

uint32_t TlsfHeap::prepare_used(uint32_t b, uint32_t size) {
  if (!b) return 0;
  trim_free(b, size);
  mark_used(b);
  return b + 8;
}

uint32_t TlsfHeap::t_malloc(uint32_t size) {
  uint32_t adjust = adjust_request(size);
  return prepare_used(locate_free(adjust), adjust);
}

void TlsfHeap::t_free(uint32_t data) {
  uint32_t b = block_of(data);
  mark_free(b);
  b = merge_prev(b);
  b = merge_next(b);
  block_insert(b);
}

uint32_t TlsfHeap::t_realloc(uint32_t data, uint32_t size) {
  if (data && size == 0) {
    t_free(data);
    return 0;
  }
  if (!data) return t_malloc(size);
  uint32_t b = block_of(data), next = next_of(b);
  uint32_t cur = bsize(b), combined = cur + bsize(next) + kBlockOverhead;
  uint32_t adjust = adjust_request(size);
  if (adjust == 0) return 0;
  if (adjust > cur && (!is_free(next) || adjust > combined)) {
    uint32_t p = t_malloc(size);
    if (p) {
      std::memmove(base_ + p, base_ + data, std::min(cur, size));
      t_free(data);
    }
    return p;
  }
  if (adjust > cur) {
    merge_next(b);
    mark_used(b);
  }
  trim_used(b, adjust);
  return data;
}

// ---- multi_heap and heap_caps ----------------------------------------------------------------

void TlsfHeap::add_free(int64_t delta) {
  uint32_t f = uint32_t(int64_t(free_bytes()) + delta);
  set_word(4, f);
  if (f < minimum_free_bytes()) set_word(8, f);
}

uint32_t TlsfHeap::mh_malloc(uint32_t size) {
  if (size == 0) return 0;
  uint32_t r = t_malloc(size);
  if (r) add_free(-int64_t(bsize(block_of(r))) - kBlockOverhead);
  return r;
}

void TlsfHeap::mh_free(uint32_t data) {
  set_word(4, free_bytes() + bsize(block_of(data)) + kBlockOverhead);
  t_free(data);
}

uint32_t TlsfHeap::mh_realloc(uint32_t data, uint32_t size) {
  uint32_t before = bsize(block_of(data));
  uint32_t r = t_realloc(data, size);
  if (r) add_free(int64_t(before) - int64_t(bsize(block_of(r))));
  return r;
}

uint32_t TlsfHeap::data_of(const void* p) const {
  auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
  if (a < b || a - b >= bytes_) return 0;
  const uint32_t off = uint32_t(a - b);
  if (off < first_data_offset() || off % kAlign != 0 || off + 8 > bytes_) return 0;
  return live(off) ? off : 0;
}

uint32_t TlsfHeap::chunk_data(const void* p) const {
  if (!contains(p)) return 0;
  if (!spill_.in_pool(p) && !spill_.in_map(p)) return data_of(p);
  const uint32_t key = spill_.key_of(p);
  if (key == HostSpill::kNone || uint64_t(key) * kAlign >= bytes_) return 0;
  return data_of(base_ + size_t(key) * kAlign);
}

size_t TlsfHeap::offset_of(const void* p) const {
  auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
  if (a >= b && a - b < bytes_) return size_t(a - b);
  uint32_t d = chunk_data(p);
  return d ? d : SIZE_MAX;
}

size_t TlsfHeap::room_at(const void* p) const {
  uint32_t d = chunk_data(p);
  if (!d) return 0;
  if (spill_.in_pool(p)) return spill_.pool_room(spill_.pool_row_of(p));
  return spill_.in_map(p) ? 2 * size_t(bsize(block_of(d))) : bsize(block_of(d));
}

uint8_t* TlsfHeap::place(uint32_t data, size_t host_bytes) {
  if (host_bytes <= bsize(block_of(data))) return base_ + data;
  uint8_t* p = spill_.pool_place(data / kAlign, host_bytes);
  return p ? p : spill_.mapped(data / kAlign);
}

void* TlsfHeap::malloc(size_t charge, size_t host_bytes) {
  const size_t took = effective_charge(charge, host_bytes);
  uint32_t r = took == 0 || took > kHeapSizeMax ? 0 : mh_malloc(uint32_t(took));
  if (took && !r) last_failed_ = took;
  set_live(r, true);
  record('m', took, 0, r / kAlign);
  return r ? place(r, host_bytes) : nullptr;
}

void* TlsfHeap::zalloc(size_t charge, size_t host_bytes) {
  void* p = malloc(charge, host_bytes);
  if (p) std::memset(p, 0, host_bytes);
  return p;
}

void* TlsfHeap::calloc(size_t count, size_t size) {
  uint64_t bytes = uint64_t(count) * uint64_t(size);
  if (count > UINT32_MAX || size > UINT32_MAX || bytes > UINT32_MAX) {  // 32-bit size_t overflow
    record('m', 0, 0, 0);
    return nullptr;
  }
  return zalloc(size_t(bytes), size_t(bytes));
}

void TlsfHeap::free(void* p) {
  clear_op();
  if (!p) return;
  uint32_t d = chunk_data(p);
  if (!d) {
    ++bad_frees_;
    return;
  }
  if (uint32_t row = spill_.pool_row_of(p); row != HostSpill::kNone) spill_.pool_release(row);
  set_live(d, false);
  mh_free(d);
  record('f', 0, d / kAlign, 0);
}

uint32_t TlsfHeap::chip_realloc(uint32_t d, uint32_t n) {
  if (uint32_t r = mh_realloc(d, n)) return r;
  // heap_caps_realloc's fallback: a fresh block, copy, free (it fails too when TLSF's own
  // realloc did, with one heap: tlsf_realloc already tried the same malloc).
  uint32_t fresh = mh_malloc(n);
  if (!fresh) return 0;
  std::memcpy(base_ + fresh, base_ + d, std::min<uint32_t>(n, bsize(block_of(d))));
  mh_free(d);
  return fresh;
}

void* TlsfHeap::realloc(void* p, size_t charge, size_t host_bytes) {
  const size_t took = effective_charge(charge, host_bytes);
  if (!p) {
    uint32_t r = took == 0 || took > kHeapSizeMax ? 0 : mh_malloc(uint32_t(took));
    if (took && !r) last_failed_ = took;
    set_live(r, true);
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
    mh_free(d);
    record('r', 0, d / kAlign, 0);
    return nullptr;
  }
  if (took > kHeapSizeMax) {
    last_failed_ = took;
    record('r', took, d / kAlign, 0);
    return nullptr;
  }
  const size_t keep = std::min(room_at(p), host_bytes);
  uint8_t* src = static_cast<uint8_t*>(p);
  bool in_image = src == base_ + d, set_aside = false;
  if (in_image && host_bytes > adjust_request(uint32_t(took))) {
    // The new block may be too small for the host bytes, and tlsf_realloc copies no more than
    // the new size: set them aside beside the image first.
    uint8_t* q = spill_.pool_place(d / kAlign, keep);
    src = q ? q : spill_.mapped(d / kAlign);
    std::memcpy(src, p, keep);
    row = q ? spill_.pool_row_of(q) : HostSpill::kNone;
    in_image = false;
    set_aside = true;
  }
  const uint32_t r = chip_realloc(d, uint32_t(took));
  if (!r) {
    if (set_aside && row != HostSpill::kNone) spill_.pool_release(row);  // p still holds them
    last_failed_ = took;
    record('r', took, d / kAlign, 0);
    return nullptr;
  }
  set_live(d, false);
  set_live(r, true);
  uint8_t* dst;
  if (host_bytes <= bsize(block_of(r))) {
    dst = base_ + r;
  } else if (row != HostSpill::kNone && host_bytes <= spill_.pool_room(row)) {  // the pool object still fits
    dst = src;
    spill_.set_pool_key(row, r / kAlign);
  } else {
    dst = place(r, host_bytes);
  }
  // In the image tlsf_realloc has moved the bytes itself; from beside it they move here.
  if (!in_image && dst != src) {
    std::memmove(dst, src, keep);
    if (row != HostSpill::kNone) spill_.pool_release(row);
  }
  record('r', took, d / kAlign, r / kAlign);
  return dst;
}

uint8_t TlsfHeap::fragmentation() const {
  const uint32_t f = free_bytes();
  if (f == 0) return 0;
  const int64_t v = 100 - int64_t(largest_free_block()) * 100 / f;
  return uint8_t(std::clamp<int64_t>(v, 0, 100));
}

uint32_t TlsfHeap::fit_size(uint32_t size) const {
  if (size == 0) return 0;
  if (size < small_) return adjust_request(size);
  uint32_t interval = (1u << uint32_t(fls32(size))) >> sl_log2_;
  return size & ~(interval - 1);
}

uint32_t TlsfHeap::largest_free_block() const {
  uint32_t largest = 0;
  for_each_block([&](uint32_t, uint32_t s, bool used) {
    if (!used && s > largest) largest = s;
  });
  return fit_size(largest);
}

uint32_t TlsfHeap::allocated_size(const void* p) const {
  uint32_t d = chunk_data(p);
  return d ? bsize(block_of(d)) : 0;
}

std::string TlsfHeap::check_integrity() const {
  const uint32_t sl_count = 1u << sl_log2_;
  uint64_t listed = 0;
  for (uint32_t fl = 0; fl < fl_count_; ++fl) {
    bool fl_bit = fl_bitmap() >> fl & 1;
    if (fl_bit != (sl_bitmap(fl) != 0)) return "fl bitmap disagrees with sl bitmap " + std::to_string(fl);
    for (uint32_t sl = 0; sl < sl_count; ++sl) {
      bool bit = sl_bitmap(fl) >> sl & 1;
      uint32_t b = head(fl, sl);
      if (!bit) {
        if (b != kNull) return "list " + std::to_string(fl) + "/" + std::to_string(sl) + " not empty but unmarked";
        continue;
      }
      if (b == kNull) return "list " + std::to_string(fl) + "/" + std::to_string(sl) + " marked but empty";
      uint32_t prev = kNull;
      for (uint32_t steps = 0; b != kNull; ++steps) {
        if (steps > bytes_ / kHeaderBytes || b < pool_ - kBlockOverhead || b + kHeaderBytes > bytes_)
          return "free list " + std::to_string(fl) + "/" + std::to_string(sl) + " runs wild";
        uint32_t f, s;
        mapping_insert(bsize(b), f, s);
        if (!is_free(b) || is_prev_free(b) || bsize(b) < kBlockSizeMin || f != fl || s != sl || prev_free(b) != prev ||
            is_free(next_of(b)) || !is_prev_free(next_of(b)) || prev_phys(next_of(b)) != b)
          return "bad free block at " + std::to_string(b + 8);
        ++listed;
        prev = b;
        b = next_free(b);
      }
    }
  }
  uint64_t free_blocks = 0, used_charge = 0, used_blocks = 0;
  bool prev_was_free = false;
  uint32_t b = pool_ - kBlockOverhead;
  for (;;) {
    if (uint64_t(b) + 8 > bytes_) return "block chain leaves the region";
    if (is_prev_free(b) != prev_was_free) return "prev-free flag wrong at " + std::to_string(b + 8);
    uint32_t s = bsize(b);
    if (s == 0) break;
    if (live(b + 8) == is_free(b)) return "live-block bitmap disagrees at " + std::to_string(b + 8);
    if (is_free(b)) {
      ++free_blocks;
    } else {
      used_charge += s + kBlockOverhead;
      ++used_blocks;
    }
    prev_was_free = is_free(b);
    b = next_of(b);
  }
  if (is_free(b)) return "sentinel marked free";
  if (free_blocks != listed) return "free blocks not all listed";
  uint64_t marked = 0;
  for (size_t i = 0; i < (bytes_ / kAlign + 7) / 8; ++i) marked += __builtin_popcount(live_[i]);
  if (marked != used_blocks) return "live-block bitmap marks blocks that are not used";
  const uint32_t total = bytes_ - kHeapStructBytes - control_size_;
  if (uint64_t(free_bytes()) + used_charge != total) return "free counter disagrees with the blocks";
  if (minimum_free_bytes() > free_bytes()) return "minimum above the free counter";
  return spill_.check([this](uint32_t key) { return uint64_t(key) * kAlign < bytes_ && live(key * kAlign); });
}

}  // namespace espfleet
