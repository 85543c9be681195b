// sim/heap/heap_tlsf.h — an exact model of the ESP32-C3's heap (docs/heap.md): ESP-IDF v5.3.1's
// multi_heap on Espressif's TLSF (espressif/tlsf 8fc595fe, the submodule of v5.3.x), working in
// place on caller-owned memory that is the chip's image of one heap region. Every word is 32-bit
// little-endian as on the chip, and every pointer the chip would store is stored as the offset
// from the region start (the chip stores the address; region start + offset). Checked operation
// for operation against the published tlsf.c by tools/tlsf-check. No host allocation per op.
//
// The region, offsets from its start (R = region bytes, C = control bytes, below):
//   0   heap_t      lock, free_bytes, minimum_free_bytes, pool_size (R - 20), heap_data (20)
//   20  control_t   block_null {prev_phys, size, next_free, prev_free}; a word of bitfields
//                   (fl_index_count:5, fl_index_shift:3, fl_index_max:6, sl_index_count:6,
//                   sl_index_count_log2:3, small_block_size:8, from bit 0); size (C); fl_bitmap;
//                   sl_bitmap (offset 56); blocks (offset 56 + 4·FL); then sl_bitmap[FL] and the
//                   free-list heads blocks[FL·SL]. C = 36 + 4·FL + 4·FL·SL.
//   20+C           the pool. A block's header starts 4 bytes before its predecessor's end:
//                   prev_phys (valid only while the predecessor is free, so it lives in the
//                   predecessor's last 4 bytes), size (bit 0: free, bit 1: previous free), and
//                   for a free block next_free, prev_free. A used block's data starts after its
//                   size word: data = header + 8, so the first block's data is at 20 + C + 4.
//                   The pool ends with a used sentinel block of size 0.
// Classes, from the size handed to tlsf_create (B = R - 20): FL_max = fls(B) + 1; SL = 8, 16 or
// 32 for B <= 16 KiB, <= 256 KiB, above (log2 3/4/5); sizes below 4·SL are "small" (fl 0, one
// class per 4 bytes); above, fl = fls(size) - (log2 SL + 1), sl = the next log2 SL bits. A request
// is aligned to 4, at least 12 (a free block's header less prev_phys), and must stay below
// 2^FL_max; malloc rounds it up to the next class boundary before the search (good fit), so the
// first block of the first non-empty list at or above that class always fits; free lists are
// LIFO. A block is split when it is at least 16 bytes larger than needed; a freed block merges
// with both physical neighbours. A realloc that grows into a free next block is not rounded: it
// can grow in place to sizes a malloc would be refused.
//
// The caller's memory (arena_bytes(R)) is the region's image [0, R) followed by a host-only
// bitmap, one bit per 4 bytes of the region, marking the data offsets of used blocks: a free or
// realloc of a pointer that is no used block (which the chip would take as a block, or assert
// on) is recognised in O(1) and counted instead. Then, 16-aligned, the pool and map where a
// block's host bytes go when they do not fit the block (host_spill.h; a block's key is its data
// offset / 4, so block d owns map + 2d .. 2(d + size)). A realloc that moves such a block
// first sets its bytes aside there when the new block might not hold them (tlsf_realloc copies
// no more than the new size).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "chip_heap.h"
#include "host_spill.h"

namespace espfleet {

class TlsfHeap final : public ChipHeap {
 public:
  static constexpr uint32_t kHeapStructBytes = 20;     // multi_heap's heap_t
  static constexpr uint32_t kControlOffset = 20;       // control_t, = heap_data
  static constexpr uint32_t kControlStructBytes = 36;  // sizeof(control_t) on the chip
  static constexpr uint32_t kAlign = 4;
  static constexpr uint32_t kBlockOverhead = 4;      // tlsf_alloc_overhead(): the size word
  static constexpr uint32_t kBlockSizeMin = 12;      // tlsf_block_size_min()
  static constexpr uint32_t kHeaderBytes = 16;       // sizeof(block_header_t)
  static constexpr uint32_t kHeapSizeMax = 0x64000;  // HEAP_SIZE_MAX on the C3: larger requests fail
  static constexpr size_t kMaxRegionBytes = size_t(1) << 24;

  // mem: arena_bytes(region_bytes) bytes of caller-owned memory (any alignment): the model's image
  // of the region, which the constructor formats (multi_heap_register), and the live-block bitmap,
  // which it clears. Throws std::invalid_argument when size_problem(region_bytes) is not "".
  TlsfHeap(void* mem, size_t region_bytes);
  TlsfHeap(const TlsfHeap&) = delete;
  TlsfHeap& operator=(const TlsfHeap&) = delete;

  // What is wrong with a region of `bytes` bytes ("" when multi_heap_register would make a heap
  // of it that has a pool; up to kMaxRegionBytes).
  static std::string size_problem(size_t bytes);
  // Memory a heap of `region_bytes` needs: the image, the bitmap, alignment, the pool and map.
  static size_t arena_bytes(size_t region_bytes) {
    return region_bytes + (region_bytes / kAlign + 7) / 8 + 15 + HostSpill::bytes_for(region_bytes);
  }
  // Control bytes (tlsf_size()) for a region of `bytes` bytes.
  static uint32_t control_bytes_for(size_t bytes);

  HeapKind kind() const override { return HeapKind::tlsf; }
  // heap_caps_malloc / calloc / realloc / free on this one heap (MALLOC_CAP_DEFAULT), charged
  // `charge` bytes with room for `host_bytes` (ChipHeap). realloc(NULL): malloc; size 0: free,
  // NULL; a failure leaves p alone. free(NULL): nothing; a pointer that is no used block:
  // bad_frees(). Host bytes beyond twice the block are charged themselves.
  using ChipHeap::malloc;
  using ChipHeap::realloc;
  void* malloc(size_t charge, size_t host_bytes) override;
  void* zalloc(size_t charge, size_t host_bytes) override;
  void* realloc(void* p, size_t charge, size_t host_bytes) override;
  void free(void* p) override;
  void* calloc(size_t count, size_t size) override;  // a product beyond 32 bits: NULL, as on the chip

  uint32_t free_bytes() const override { return word(4); }          // multi_heap_free_size (heap_t word 1)
  uint32_t minimum_free_bytes() const override { return word(8); }  // multi_heap_minimum_free_size (word 2)
  uint32_t largest_free_block() const;  // heap_caps_get_largest_free_block: a walk, tlsf_fit_size
  uint32_t max_free_block() const override { return largest_free_block(); }
  // Tasmota's ESP32 figure (ESP_getHeapFragmentation): 100 − largest block × 100 / free, at least 0
  // (Tasmota subtracts a further 100 bytes from the block first; so does its firmware here).
  uint8_t fragmentation() const override;
  // tlsf_fit_size: what a malloc can surely get from a free block of `size` bytes (rounded down
  // to its class's lower bound above the small sizes).
  uint32_t fit_size(uint32_t size) const;
  // multi_heap_get_allocated_size: the block size behind p (0 for NULL).
  uint32_t allocated_size(const void* p) const;

  bool contains(const void* p) const override {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
    return a >= b && a - b < span_;
  }
  // The chip's offset of p from the region start (a block's data offset for a pointer to its
  // host bytes beside the image); SIZE_MAX for pointers elsewhere.
  size_t offset_of(const void* p) const override;
  size_t room_at(const void* p) const override;
  uint32_t key_of(const void* p) const override { return chunk_data(p) / kAlign; }
  uint32_t unit_bytes() const override { return kAlign; }
  // Blocks in 4-byte units from their size word to their end; key = data offset / 4.
  void for_each(const std::function<void(const Chunk&)>& f) const override {
    for_each_block([&f](uint32_t d, uint32_t s, bool used) {
      f(Chunk{(d - kBlockOverhead) / kAlign, (s + kBlockOverhead) / kAlign, used, used ? d / kAlign : 0});
    });
  }
  uint8_t* base() override { return base_; }
  const uint8_t* base() const override { return base_; }
  size_t size() const override { return bytes_; }
  uint32_t control_bytes() const { return control_size_; }  // tlsf_size()
  uint32_t sl_index_count() const { return 1u << sl_log2_; }
  uint32_t fl_index_count() const { return fl_count_; }
  uint32_t block_size_max() const { return 1u << fl_max_; }  // requests must stay below this
  uint32_t first_data_offset() const { return pool_ + kBlockOverhead; }

  // f(data offset, block size, used) for every block of the pool in address order (the sentinel
  // excluded), as tlsf_walk_pool reports them. Stops early if the chain is corrupt.
  template <class F>
  void for_each_block(F&& f) const {
    for (uint32_t b = pool_ - kBlockOverhead; b + 8 <= bytes_;) {
      uint32_t s = bsize(b);
      if (s == 0) return;
      f(b + 8, s, !is_free(b));
      b = next_of(b);
    }
  }

  // "" when consistent: as tlsf_check and tlsf_check_pool (lists and bitmaps agree, every listed
  // block is free, in its class, and has used neighbours; physical flags agree), and the free
  // counter agrees with the blocks.
  std::string check_integrity() const override;

 private:
  static constexpr uint32_t kFreeBit = 1, kPrevFreeBit = 2;

  uint32_t word(uint32_t off) const {
    uint32_t v;
    std::memcpy(&v, base_ + off, 4);
    return v;
  }
  void set_word(uint32_t off, uint32_t v) { std::memcpy(base_ + off, &v, 4); }

  // Block header fields, b = the header's offset.
  uint32_t prev_phys(uint32_t b) const { return word(b); }
  uint32_t raw_size(uint32_t b) const { return word(b + 4); }
  uint32_t bsize(uint32_t b) const { return raw_size(b) & ~(kFreeBit | kPrevFreeBit); }
  bool is_free(uint32_t b) const { return raw_size(b) & kFreeBit; }
  bool is_prev_free(uint32_t b) const { return raw_size(b) & kPrevFreeBit; }
  uint32_t next_free(uint32_t b) const { return word(b + 8); }
  uint32_t prev_free(uint32_t b) const { return word(b + 12); }
  void set_prev_phys(uint32_t b, uint32_t v) { set_word(b, v); }
  void set_size(uint32_t b, uint32_t s) { set_word(b + 4, s | (raw_size(b) & (kFreeBit | kPrevFreeBit))); }
  void set_bits(uint32_t b, uint32_t bits) { set_word(b + 4, raw_size(b) | bits); }
  void clear_bits(uint32_t b, uint32_t bits) { set_word(b + 4, raw_size(b) & ~bits); }
  void set_next_free(uint32_t b, uint32_t v) { set_word(b + 8, v); }
  void set_prev_free(uint32_t b, uint32_t v) { set_word(b + 12, v); }
  uint32_t next_of(uint32_t b) const { return b + 4 + bsize(b); }
  uint32_t link_next(uint32_t b) {
    uint32_t n = next_of(b);
    set_prev_phys(n, b);
    return n;
  }
  void mark_free(uint32_t b);
  void mark_used(uint32_t b);
  static uint32_t block_of(uint32_t data) { return data - 8; }

  // Control structure.
  uint32_t head_slot(uint32_t fl, uint32_t sl) const { return blocks_ + 4 * (fl * (1u << sl_log2_) + sl); }
  uint32_t head(uint32_t fl, uint32_t sl) const { return word(head_slot(fl, sl)); }
  uint32_t fl_bitmap() const { return word(kControlOffset + 24); }
  void set_fl_bitmap(uint32_t v) { set_word(kControlOffset + 24, v); }
  uint32_t sl_bitmap(uint32_t fl) const { return word(sl_bitmap_ + 4 * fl); }
  void set_sl_bitmap(uint32_t fl, uint32_t v) { set_word(sl_bitmap_ + 4 * fl, v); }

  void mapping_insert(uint32_t size, uint32_t& fl, uint32_t& sl) const;
  void mapping_search(uint32_t size, uint32_t& fl, uint32_t& sl) const;
  uint32_t adjust_request(uint32_t size) const;  // 0: too large
  uint32_t search_suitable(uint32_t& fl, uint32_t& sl) const;
  void remove_free(uint32_t b, uint32_t fl, uint32_t sl);
  void insert_free(uint32_t b, uint32_t fl, uint32_t sl);
  void block_remove(uint32_t b);
  void block_insert(uint32_t b);
  uint32_t split(uint32_t b, uint32_t size);  // returns the remaining (second) block
  uint32_t absorb(uint32_t prev, uint32_t b);
  uint32_t merge_prev(uint32_t b);
  uint32_t merge_next(uint32_t b);
  void trim_free(uint32_t b, uint32_t size);
  void trim_used(uint32_t b, uint32_t size);
  uint32_t locate_free(uint32_t size);  // 0: none
  uint32_t prepare_used(uint32_t b, uint32_t size);

  // tlsf_malloc / tlsf_free / tlsf_realloc on data offsets (0: NULL).
  uint32_t t_malloc(uint32_t size);
  void t_free(uint32_t data);
  uint32_t t_realloc(uint32_t data, uint32_t size);
  // multi_heap_*_impl: the same with the free counter and its minimum.
  uint32_t mh_malloc(uint32_t size);
  void mh_free(uint32_t data);
  uint32_t mh_realloc(uint32_t data, uint32_t size);
  void add_free(int64_t delta);
  uint32_t data_of(const void* p) const;                // a used block's data offset for p in the image, 0 if none
  uint32_t chunk_data(const void* p) const;             // ... for p in the image or beside it (host bytes)
  uint32_t chip_realloc(uint32_t data, uint32_t size);  // heap_caps_realloc on data offsets (0: failed)
  uint8_t* place(uint32_t data, size_t host_bytes);     // where a block's host bytes go
  size_t effective_charge(size_t charge, size_t host_bytes) const {
    return host_bytes <= 2 * std::max<size_t>(charge, kBlockSizeMin) ? charge : host_bytes;
  }
  // The live-block bitmap after the image: bit d/4 for a used block's data offset d.
  bool live(uint32_t data) const { return live_[data / 32] >> (data / 4 % 8) & 1; }
  void set_live(uint32_t data, bool on) {
    if (!data) return;
    uint8_t bit = uint8_t(1u << (data / 4 % 8));
    live_[data / 32] = on ? live_[data / 32] | bit : live_[data / 32] & ~bit;
  }

  uint8_t* base_;
  uint32_t bytes_;
  uint8_t* live_;                         // the bitmap, base_ + bytes_
  uint32_t control_size_ = 0, pool_ = 0;  // pool_: offset of the pool (the first data - 4)
  uint32_t sl_log2_ = 0, fl_shift_ = 0, fl_max_ = 0, fl_count_ = 0, small_ = 0;
  uint32_t sl_bitmap_ = 0, blocks_ = 0;  // offsets of the arrays
  HostSpill spill_;                      // after the bitmap, 16-aligned
  size_t span_;                          // base_ .. the end of the map
};

}  // namespace espfleet
