// sim/heap/heap_umm.h — an exact model of the ESP8266 core's umm_malloc (docs/heap.md), working in place
// on caller-owned memory with the chip's layout: 8-byte blocks, each starting with a 4-byte header
// (next block number, top bit = free; previous block number); free chunks keep their free-list
// links in bytes 4..7. Best fit, low end taken, UMM_REALLOC_DEFRAG. No host allocation per op.
//
// Target vs host sizes (docs/heap.md): a request can be *charged* the chip's size while the host
// object needs more bytes (64-bit pointers). The caller's memory (arena_bytes(N)) holds:
//   model arena  [base, +N)    the chip's heap image: headers, free-list links, offsets = the
//                              chip's. A chunk's data lives here, in place, whenever its host
//                              bytes fit the chunk: every request whose host and charged sizes
//                              agree (buffers, strings, pbufs).
//   data pool    [pool, +2N)   host bytes of chunks that do not fit in place (host_spill.h),
//   data map     [map, +2N)    keyed by chunk number: the chunk at block c owns map + 16c ..
//                              16(c+b) when the pool is full.
// Every kind of pointer maps back to its chunk; offsets, metrics and the layout stay the model's.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "chip_heap.h"
#include "host_spill.h"

namespace espfleet {

class UmmHeap final : public ChipHeap {
 public:
  static constexpr size_t kBlockBytes = 8;
  static constexpr size_t kMaxBytes = 32768 * kBlockBytes;  // block numbers have 15 bits
  static constexpr size_t kMaxChunkBlocks = 0x7FFF;         // larger requests always fail

  static constexpr size_t kDataBytesPerBlock = 2 * kBlockBytes;  // host room per block, data map

  // mem: arena_bytes(bytes) of caller-owned memory (any alignment): the model arena of `bytes`
  // bytes, which the heap formats, then the data pool and map, written only for callers.
  // bytes: a multiple of 8, 64..kMaxBytes; otherwise throws std::invalid_argument.
  UmmHeap(void* mem, size_t bytes);
  UmmHeap(const UmmHeap&) = delete;
  UmmHeap& operator=(const UmmHeap&) = delete;

  // What is wrong with a heap of `bytes` bytes ("" when it is a valid size).
  static std::string size_problem(size_t bytes);
  // Memory a heap of `bytes` bytes needs: model arena, data pool and map (2N each), alignment.
  static size_t arena_bytes(size_t bytes) { return bytes + 15 + HostSpill::bytes_for(bytes); }
  // Blocks a request of n bytes takes: ceil((n+4)/8); 0 for n == 0. May exceed kMaxChunkBlocks.
  static size_t blocks_for(size_t n) { return n == 0 ? 0 : n / 8 + (n % 8 + 11) / 8; }

  HeapKind kind() const override { return HeapKind::umm; }
  using ChipHeap::calloc;
  using ChipHeap::malloc;
  using ChipHeap::realloc;
  void free(void* p) override;  // NULL: nothing; a pointer that is not a live chunk: counted in bad_frees()

  // Charging `charge` bytes (the chip's request size: the model's blocks, metrics,
  // last_failed_size) while handing out room for `host_bytes` bytes: in place when they fit the
  // chunk, else in the data pool (or map). host_bytes beyond the map's room (16 bytes per block,
  // about twice the charge) cannot be placed: such a request is charged host_bytes instead.
  void* malloc(size_t charge, size_t host_bytes) override;
  void* zalloc(size_t charge, size_t host_bytes) override;  // malloc, then host_bytes zero bytes
  void* realloc(void* p, size_t charge, size_t host_bytes) override;

  uint32_t free_bytes() const override { return free_blocks_ * uint32_t(kBlockBytes); }  // getFreeHeap
  uint32_t max_free_block() const override;                                              // getMaxFreeBlockSize
  uint8_t fragmentation() const override;                                                // getHeapFragmentation
  uint32_t minimum_free_bytes() const override { return 0; }                             // the ESP8266 core keeps none

  // Whether p lies in this heap's memory (model arena, data pool or map): any pointer it hands
  // out, and anything inside what they point to.
  bool contains(const void* p) const override {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
    return a >= b && a - b < span_;
  }
  // The chip's offset of p from the heap start, 8c+4 for a pointer to the chunk at block c
  // wherever its host bytes live; p - base() for other pointers into the model arena; SIZE_MAX
  // for anything else.
  size_t offset_of(const void* p) const override;
  // Host bytes the caller may use at p, a pointer this heap handed out (0 if it is not one).
  size_t room_at(const void* p) const override;
  uint32_t key_of(const void* p) const override { return chunk_of(p); }  // the chunk's first block
  // Where a pointer this heap handed out keeps its bytes.
  enum class Placement { none, in_place, pool, map };
  Placement placement_of(const void* p) const;
  uint8_t* base() override { return base_; }  // the model arena (the chip's heap image)
  const uint8_t* base() const override { return base_; }
  uint8_t* pool_base() { return spill_.pool_base(); }  // the data pool
  const uint8_t* pool_base() const { return spill_.pool_base(); }
  uint8_t* map_base() { return spill_.map_base(); }  // the data map
  const uint8_t* map_base() const { return spill_.map_base(); }
  size_t size() const override { return bytes_; }  // the model arena's bytes (the chip's)
  uint32_t unit_bytes() const override { return uint32_t(kBlockBytes); }
  // The chunks between the list head (block 0) and the end marker, in blocks; key = first block.
  void for_each(const std::function<void(const Chunk&)>& f) const override {
    for_each_chunk([&f](size_t c, size_t n, bool used) {
      f(Chunk{uint32_t(c), uint32_t(n), used, used ? uint32_t(c) : 0});
    });
  }

  // f(first_block, nblocks, used) for every chunk between the list head (block 0) and the end
  // marker, in address order. Stops early if the chain is corrupt.
  template <class F>
  void for_each_chunk(F&& f) const {
    for (uint32_t c = 1; c < last_;) {
      uint32_t n = next(c);
      if (n <= c || n > last_) return;
      f(size_t(c), size_t(n - c), !is_free(c));
      c = n;
    }
  }

  // "" when consistent: physical links agree both ways, the free list is a proper cycle through
  // block 0 holding exactly the free-flagged chunks, no two free chunks touch, counters agree;
  // the data pool is consistent too and each of its objects belongs to its own live chunk.
  std::string check_integrity() const override;

 private:
  static constexpr uint16_t kFree = 0x8000;
  static constexpr uint16_t kMask = 0x7FFF;

  // Header words of block c: 0 = next block (+ free flag), 1 = prev block, 2/3 = next/prev free.
  uint16_t word(uint32_t c, unsigned w) const {
    uint16_t v;
    std::memcpy(&v, base_ + c * kBlockBytes + w * 2, 2);
    return v;
  }
  void set_word(uint32_t c, unsigned w, uint32_t v) {
    uint16_t x = uint16_t(v);
    std::memcpy(base_ + c * kBlockBytes + w * 2, &x, 2);
  }
  uint32_t next(uint32_t c) const { return word(c, 0) & kMask; }
  bool is_free(uint32_t c) const { return (word(c, 0) & kFree) != 0; }
  uint32_t prev(uint32_t c) const { return word(c, 1); }
  uint32_t nfree(uint32_t c) const { return word(c, 2); }
  uint32_t pfree(uint32_t c) const { return word(c, 3); }
  uint8_t* data(uint32_t c) { return base_ + c * kBlockBytes + 4; }  // in place
  static bool fits_in_place(uint32_t blocks, size_t host_bytes) { return host_bytes + 4 <= blocks * kBlockBytes; }
  // Where a chunk of `blocks` blocks at c keeps host_bytes: in place if they fit, else a new
  // pool object, else the map.
  uint8_t* place(uint32_t c, uint32_t blocks, size_t host_bytes) {
    if (fits_in_place(blocks, host_bytes)) return data(c);
    uint8_t* p = spill_.pool_place(c, host_bytes);
    return p ? p : spill_.mapped(c);
  }
  // The charge a request really gets: host bytes that fit no placement are charged themselves.
  static size_t effective_charge(size_t charge, size_t host_bytes) {
    size_t rows = host_bytes / kDataBytesPerBlock + (host_bytes % kDataBytesPerBlock != 0);
    return rows <= blocks_for(charge) ? charge : host_bytes;
  }

  uint32_t chunk_of(const void* p) const;  // the live chunk p points to (any placement), or 0
  bool live_chunk(uint32_t c) const;       // c is a used chunk linked from both neighbours
  void unlink(uint32_t c);                 // off the free list; clears the free flag
  void absorb_next(uint32_t c);            // merge the next chunk into c if it is free
  void split(uint32_t c, uint32_t blocks, uint16_t tail_flag);
  uint32_t alloc_blocks(uint32_t blocks);  // best fit; 0 when nothing fits
  void free_chunk(uint32_t c);
  void count_free(uint32_t s) {
    free_blocks_ += s;
    free_squares_ += uint64_t(s) * s;
  }
  void uncount_free(uint32_t s) {
    free_blocks_ -= s;
    free_squares_ -= uint64_t(s) * s;
  }

  uint8_t* base_;
  size_t bytes_;
  HostSpill spill_;            // the data pool and map: after the model arena, 16-aligned
  size_t span_;                // base_ .. the end of the data map
  uint32_t last_;              // the end marker block
  uint32_t free_blocks_ = 0;   // Σ free chunk sizes (blocks)
  uint64_t free_squares_ = 0;  // Σ free chunk sizes²
  // The operations proper, on an effective charge; chunk: the chunk they found or took (0: none).
  void* malloc_raw(size_t charge, size_t host_bytes, uint32_t& chunk);
  void* realloc_raw(void* p, uint32_t c, size_t charge, size_t host_bytes, uint32_t& chunk);
  void free_raw(void* p, uint32_t c);
};

}  // namespace espfleet
