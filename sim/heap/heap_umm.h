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
//   data pool    [pool, +2N)   host bytes of chunks that do not fit in place, packed first-fit
//                              from the pool's start in 16-byte rows, each behind a one-row tag
//                              naming its chunk (an address-ordered list): the few such objects
//                              (BearSSL contexts, firmware objects) share a page or two.
//   data map     [map, +2N)    the fallback when the pool is full: the chunk at block c owns
//                              map + 16c .. 16(c+b), twice the chunk, so there is always room.
// Pool and map are virtual memory, touched only where used. Every kind of pointer maps back to
// its chunk; offsets, metrics and the layout stay the model's.
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

  static constexpr size_t kDataBytesPerBlock = 2 * kBlockBytes;  // host room per block, data map
  static constexpr size_t kPoolRowBytes = 16;                    // data pool unit; each object has one tag row

  // mem: arena_bytes(bytes) of caller-owned memory (any alignment): the model arena of `bytes`
  // bytes, which the heap formats, then the data pool and map, written only for callers.
  // bytes: a multiple of 8, 64..kMaxBytes; otherwise throws std::invalid_argument.
  UmmHeap(void* mem, size_t bytes);
  UmmHeap(const UmmHeap&) = delete;
  UmmHeap& operator=(const UmmHeap&) = delete;

  // What is wrong with a heap of `bytes` bytes ("" when it is a valid size).
  static std::string size_problem(size_t bytes);
  // Memory a heap of `bytes` bytes needs: model arena, data pool and map (2N each), alignment.
  static size_t arena_bytes(size_t bytes) { return bytes + 15 + 2 * bytes + 2 * bytes; }
  // Blocks a request of n bytes takes: ceil((n+4)/8); 0 for n == 0. May exceed kMaxChunkBlocks.
  static size_t blocks_for(size_t n) { return n == 0 ? 0 : n / 8 + (n % 8 + 11) / 8; }

  // The chip's calls: the charged size is also the host size.
  void* malloc(size_t n) { return malloc(n, n); }
  void* calloc(size_t count, size_t size);
  void* realloc(void* p, size_t n) { return realloc(p, n, n); }
  void free(void* p);  // NULL: nothing; a pointer that is not a live chunk: counted in bad_frees()

  // The same, charging `charge` bytes (the chip's request size: the model's blocks, metrics,
  // last_failed_size) while handing out room for `host_bytes` bytes: in place when they fit the
  // chunk, else in the data pool (or map). host_bytes beyond the map's room (16 bytes per block,
  // about twice the charge) cannot be placed: such a request is charged host_bytes instead.
  void* malloc(size_t charge, size_t host_bytes);
  void* zalloc(size_t charge, size_t host_bytes);  // malloc, then host_bytes zero bytes
  void* realloc(void* p, size_t charge, size_t host_bytes);

  uint32_t free_bytes() const { return free_blocks_ * uint32_t(kBlockBytes); }  // getFreeHeap
  uint32_t max_free_block() const;                                              // getMaxFreeBlockSize
  uint8_t fragmentation() const;                                                // getHeapFragmentation

  // Whether p lies in this heap's memory (model arena, data pool or map): any pointer it hands
  // out, and anything inside what they point to.
  bool contains(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
    return a >= b && a - b < span_;
  }
  // The chip's offset of p from the heap start, 8c+4 for a pointer to the chunk at block c
  // wherever its host bytes live; p - base() for other pointers into the model arena; SIZE_MAX
  // for anything else.
  size_t offset_of(const void* p) const;
  // Host bytes the caller may use at p, a pointer this heap handed out (0 if it is not one).
  size_t room_at(const void* p) const;
  // Where a pointer this heap handed out keeps its bytes.
  enum class Placement { none, in_place, pool, map };
  Placement placement_of(const void* p) const;
  size_t last_failed_size() const { return last_failed_; }
  // A digest of the heap's whole history (every request, its result, and the clock's value then).
  uint64_t digest() const { return digest_; }
  void set_clock(const uint64_t* cycles) { clock_ = cycles; }  // folded into the digest (may be null)
  // The last request as the model took it: op 'm' malloc, 'f' free, 'r' realloc (0: none — a
  // free of NULL or of a pointer that is no chunk); charge as the heap took it; chunks: the old
  // one (free, realloc) and the result (0: none or failed). What the device's heap reports to its
  // observer (sim/heap/device_heap.h), without looking the chunks up again.
  struct Op {
    char op = 0;
    size_t charge = 0;
    uint32_t from = 0, to = 0;
  };
  const Op& last_op() const { return last_op_; }
  size_t bad_frees() const { return bad_frees_; }
  uint8_t* base() { return base_; }  // the model arena (the chip's heap image)
  const uint8_t* base() const { return base_; }
  uint8_t* pool_base() { return pool_mem_; }  // the data pool
  const uint8_t* pool_base() const { return pool_mem_; }
  uint8_t* map_base() { return map_; }  // the data map
  const uint8_t* map_base() const { return map_; }
  size_t size() const { return bytes_; }  // the model arena's bytes (the chip's)

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
  uint8_t* data(uint32_t c) { return base_ + c * kBlockBytes + 4; }      // in place
  uint8_t* mapped(uint32_t c) { return map_ + c * kDataBytesPerBlock; }  // in the data map
  static bool fits_in_place(uint32_t blocks, size_t host_bytes) { return host_bytes + 4 <= blocks * kBlockBytes; }
  // Where a chunk of `blocks` blocks at c keeps host_bytes: in place if they fit, else a new
  // pool object, else the map.
  uint8_t* place(uint32_t c, uint32_t blocks, size_t host_bytes) {
    if (fits_in_place(blocks, host_bytes)) return data(c);
    uint8_t* p = pool_place(c, host_bytes);
    return p ? p : mapped(c);
  }
  // Pool objects: a tag row {kPoolTag, chunk, rows incl. the tag, next object's tag row} and the
  // object's rows after it; the tags form a list in address order from pool_head_.
  struct PoolTag {
    uint32_t tag, chunk, rows, next;
  };
  static constexpr uint32_t kPoolTag = 0x4C4F4F50;  // "POOL"
  static constexpr uint32_t kPoolEnd = 0xFFFFFFFF;  // list end
  PoolTag pool_tag(uint32_t row) const {
    PoolTag t;
    std::memcpy(&t, pool_mem_ + size_t(row) * kPoolRowBytes, sizeof t);
    return t;
  }
  void set_pool_tag(uint32_t row, const PoolTag& t) {
    std::memcpy(pool_mem_ + size_t(row) * kPoolRowBytes, &t, sizeof t);
  }
  uint8_t* pool_place(uint32_t c, size_t host_bytes);  // first fit; nullptr when the pool is full
  uint32_t pool_row_of(const void* p) const;           // p's tag row if p is a pool object, else kPoolEnd
  void pool_release(uint32_t row);
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
  uint8_t* pool_mem_ = nullptr;    // the data pool: after the model arena, 16-aligned
  uint32_t pool_rows_ = 0;         // its size in rows
  uint32_t pool_head_ = kPoolEnd;  // the first object's tag row
  uint8_t* map_ = nullptr;         // the data map: after the pool
  size_t span_;                    // base_ .. the end of the data map
  uint32_t last_;                  // the end marker block
  uint32_t free_blocks_ = 0;       // Σ free chunk sizes (blocks)
  uint64_t free_squares_ = 0;      // Σ free chunk sizes²
  size_t last_failed_ = 0;
  size_t bad_frees_ = 0;
  uint64_t digest_ = 0;
  const uint64_t* clock_ = nullptr;
  Op last_op_;
  // The operations proper, on an effective charge; chunk: the chunk they found or took (0: none).
  void* malloc_raw(size_t charge, size_t host_bytes, uint32_t& chunk);
  void* realloc_raw(void* p, uint32_t c, size_t charge, size_t host_bytes, uint32_t& chunk);
  void free_raw(void* p, uint32_t c);
  void record(char op, size_t charge, uint32_t from, uint32_t to);  // digest and last_op
};

}  // namespace espfleet
