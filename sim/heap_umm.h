// sim/heap_umm.h — an exact model of the ESP8266 core's umm_malloc (DESIGN §4), working in place
// on caller-owned memory with the chip's layout: 8-byte blocks, each starting with a 4-byte header
// (next block number, top bit = free; previous block number); free chunks keep their free-list
// links in bytes 4..7. Best fit, low end taken, UMM_REALLOC_DEFRAG. No host allocation per op.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace espfleet {

class UmmHeap {
public:
  static constexpr size_t kBlockBytes = 8;
  static constexpr size_t kMaxBytes = 32768 * kBlockBytes;  // block numbers have 15 bits
  static constexpr size_t kMaxChunkBlocks = 0x7FFF;         // larger requests always fail

  // mem: bytes of caller-owned memory (any alignment), which the heap formats and then uses.
  // bytes: a multiple of 8, 64..kMaxBytes; otherwise throws std::invalid_argument.
  UmmHeap(void* mem, size_t bytes);
  UmmHeap(const UmmHeap&) = delete;
  UmmHeap& operator=(const UmmHeap&) = delete;

  // What is wrong with a heap of `bytes` bytes ("" when it is a valid size).
  static std::string size_problem(size_t bytes);
  // Blocks a request of n bytes takes: ceil((n+4)/8); 0 for n == 0. May exceed kMaxChunkBlocks.
  static size_t blocks_for(size_t n) { return n == 0 ? 0 : n / 8 + (n % 8 + 11) / 8; }

  void* malloc(size_t n);
  void* calloc(size_t count, size_t size);
  void* realloc(void* p, size_t n);
  void free(void* p);  // NULL: nothing; a pointer that is not a live chunk: counted in bad_frees()

  uint32_t free_bytes() const { return free_blocks_ * uint32_t(kBlockBytes); }  // getFreeHeap
  uint32_t max_free_block() const;                                             // getMaxFreeBlockSize
  uint8_t fragmentation() const;                                               // getHeapFragmentation

  bool contains(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
    return a >= b && a - b < bytes_;
  }
  size_t last_failed_size() const { return last_failed_; }  // size of the last failed request
  size_t bad_frees() const { return bad_frees_; }
  uint8_t* base() { return base_; }
  const uint8_t* base() const { return base_; }
  size_t size() const { return bytes_; }

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
  // block 0 holding exactly the free-flagged chunks, no two free chunks touch, counters agree.
  std::string check_integrity() const;

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
  uint8_t* data(uint32_t c) { return base_ + c * kBlockBytes + 4; }

  uint32_t chunk_of(const void* p) const;  // the live chunk p points to, or 0
  void unlink(uint32_t c);                  // off the free list; clears the free flag
  void absorb_next(uint32_t c);             // merge the next chunk into c if it is free
  void split(uint32_t c, uint32_t blocks, uint16_t tail_flag);
  uint32_t alloc_blocks(uint32_t blocks);   // best fit; 0 when nothing fits
  void free_chunk(uint32_t c);
  void count_free(uint32_t s) { free_blocks_ += s; free_squares_ += uint64_t(s) * s; }
  void uncount_free(uint32_t s) { free_blocks_ -= s; free_squares_ -= uint64_t(s) * s; }

  uint8_t* base_;
  size_t bytes_;
  uint32_t last_;                 // the end marker block
  uint32_t free_blocks_ = 0;      // Σ free chunk sizes (blocks)
  uint64_t free_squares_ = 0;     // Σ free chunk sizes²
  size_t last_failed_ = 0;
  size_t bad_frees_ = 0;
};

}  // namespace espfleet
