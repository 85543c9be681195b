// sim/heap_umm.h — an exact model of the ESP8266 core's umm_malloc, working in place on the
// device's arena: 8-byte blocks, 4-byte headers (next/prev block numbers, top bit = free), free
// chunks doubly linked through their bodies. Best fit, low end taken, UMM_REALLOC_DEFRAG.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace espfleet {

class UmmHeap {
public:
  // bytes: a multiple of 8, at least 64, at most 32768 blocks. Throws std::invalid_argument.
  UmmHeap(void* mem, size_t bytes);

  void* malloc(size_t n);
  void* calloc(size_t count, size_t size);
  void* realloc(void* p, size_t n);
  void free(void* p);

  uint32_t free_bytes() const;      // ESP.getFreeHeap()
  uint32_t max_free_block() const;  // ESP.getMaxFreeBlockSize()
  uint8_t fragmentation() const;    // ESP.getHeapFragmentation()

  bool contains(const void* p) const {
    auto* b = static_cast<const uint8_t*>(p);
    return b >= base_ + 8 && b < base_ + bytes_;
  }
  size_t last_failed_size() const { return last_failed_; }
  uint32_t bad_frees() const { return bad_frees_; }
  uint8_t* base() const { return base_; }
  size_t size() const { return bytes_; }
  static uint32_t blocks_for(size_t n);  // blocks a request of n bytes takes (0 = impossible)

  // Visit every chunk between the head and the end marker, in address order.
  template <class F>
  void for_each_chunk(F&& f) const {
    for (uint16_t c = nblock(0); c != 0 && c < last_; c = nblock(c)) f(uint32_t(c), uint32_t(nblock(c) - c), !is_free(c));
  }
  // "" when consistent; otherwise what is wrong.
  std::string check_integrity() const;

private:
  static constexpr uint16_t kFree = 0x8000;
  static constexpr uint16_t kMask = 0x7FFF;
  uint16_t* hdr(uint16_t c) const { return reinterpret_cast<uint16_t*>(base_ + size_t(c) * 8); }
  uint16_t nblock(uint16_t c) const { return hdr(c)[0] & kMask; }
  bool is_free(uint16_t c) const { return (hdr(c)[0] & kFree) != 0; }
  uint16_t& raw_next(uint16_t c) const { return hdr(c)[0]; }
  uint16_t& pblock(uint16_t c) const { return hdr(c)[1]; }
  uint16_t& nfree(uint16_t c) const { return hdr(c)[2]; }
  uint16_t& pfree(uint16_t c) const { return hdr(c)[3]; }
  void* data(uint16_t c) const { return base_ + size_t(c) * 8 + 4; }
  long block_of(const void* p) const;

  void disconnect(uint16_t c);
  void assimilate_up(uint16_t c);
  uint16_t assimilate_down(uint16_t c, uint16_t freemask);
  void split(uint16_t c, uint16_t blocks, uint16_t freemask);
  void* malloc_core(size_t n);
  void free_core(uint16_t c);

  uint8_t* base_;
  size_t bytes_;
  uint16_t last_;  // the end marker block
  size_t last_failed_ = 0;
  uint32_t bad_frees_ = 0;
};

}  // namespace espfleet
