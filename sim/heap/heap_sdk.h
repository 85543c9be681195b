// sim/heap/heap_sdk.h — a model of the ESP8266 non-OS SDK's own heap (libmain.a mem_manager.o),
// which NodeMCU runs on instead of umm_malloc (docs/heap.md, "The SDK heap"). The SDK is closed;
// its symbols (pvPortMalloc, vPortFree, pvPortZalloc, pvPortRealloc, xPortGetFreeHeapSize,
// prvInsertBlockIntoFreeList, xStart, pxEnd, xFreeBytesRemaining) are FreeRTOS's heap_4/heap_5
// names, so the model is FreeRTOS-Kernel's heap_5.c (the V11 text) over one region, with the
// chip's 32-bit words and the SDK's 8-byte alignment (assumptions, docs/heap.md). Checked
// operation for operation against the published heap_5.c by tools/heap5-check. It works in place
// on caller-owned memory holding the chip's image of the region; every pointer the chip stores is
// stored as the chip's address (the region ends where the ESP8266's DRAM heap does, 0x3FFFC000),
// so the image is the chip's, NULL included.
//
// The region, offsets from its start (R bytes, 8-aligned here):
//   0        the first block. A block is a BlockLink_t {pxNextFreeBlock, xBlockSize} (8 bytes,
//            xHeapStructSize) and its data; bit 31 of xBlockSize marks it allocated (then its
//            pxNextFreeBlock is NULL); free blocks form one list in address order, from xStart
//            (outside the region, in .bss) to the end marker.
//   E = (R - 8) & ~7   pxEnd, the end marker: size 0, next NULL; not part of the usable heap.
// malloc(n): n + 8 rounded up to 8 (0 for n = 0), refused above the free bytes; the first free
// block that fits (first fit from the lowest address); split when more than 16 bytes
// (heapMINIMUM_BLOCK_SIZE) would be left, the rest staying in the list in its place. free: the
// block goes back into the list by address and merges with a free neighbour on either side.
// heap_5 has no realloc; the SDK's pvPortRealloc is taken to be malloc, copy, free (an assumption,
// docs/heap.md), so a realloc never grows or shrinks in place.
//
// The caller's memory (arena_bytes(R)) is the image [0, R) followed by a host-only bitmap, one bit
// per 8 bytes, marking the data offsets of allocated blocks (a free of anything else is counted,
// not taken), then, 16-aligned, the pool and map for host bytes that do not fit their block
// (host_spill.h; a block's key is its data offset / 8).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "chip_heap.h"
#include "host_spill.h"

namespace espfleet {

class SdkHeap final : public ChipHeap {
 public:
  static constexpr uint32_t kAlign = 8;             // portBYTE_ALIGNMENT
  static constexpr uint32_t kHeader = 8;            // xHeapStructSize: BlockLink_t, 32-bit
  static constexpr uint32_t kMinimumBlock = 16;     // heapMINIMUM_BLOCK_SIZE = 2 · xHeapStructSize
  static constexpr uint32_t kAllocated = 1u << 31;  // heapBLOCK_ALLOCATED_BITMASK
  static constexpr uint32_t kRegionEnd = 0x3FFFC000;
  static constexpr size_t kMinRegionBytes = 64;
  static constexpr size_t kMaxRegionBytes = 0x3FFFC000 - 0x3FFE8000;  // the ESP8266's DRAM: 80 KiB

  // mem: arena_bytes(region_bytes) bytes (any alignment), formatted as vPortDefineHeapRegions
  // does with one region ending at kRegionEnd. Throws std::invalid_argument when
  // size_problem(region_bytes) is not "".
  SdkHeap(void* mem, size_t region_bytes);
  SdkHeap(const SdkHeap&) = delete;
  SdkHeap& operator=(const SdkHeap&) = delete;

  // What is wrong with a region of `bytes` ("" when it is a multiple of 8 from kMinRegionBytes to
  // kMaxRegionBytes).
  static std::string size_problem(size_t bytes);
  static size_t arena_bytes(size_t region_bytes) {
    return region_bytes + (region_bytes / kAlign + 7) / 8 + 15 + HostSpill::bytes_for(region_bytes);
  }

  HeapKind kind() const override { return HeapKind::sdk; }
  // pvPortMalloc / pvPortZalloc / pvPortRealloc / vPortFree, charged `charge` bytes with room for
  // `host_bytes` (ChipHeap; host bytes beyond twice the charge are charged themselves).
  // realloc(NULL): malloc; size 0: free, NULL; a failure leaves p alone. free(NULL): nothing; a
  // pointer that is no allocated block: bad_frees().
  using ChipHeap::malloc;
  using ChipHeap::realloc;
  void* malloc(size_t charge, size_t host_bytes) override;
  void* zalloc(size_t charge, size_t host_bytes) override;
  void* realloc(void* p, size_t charge, size_t host_bytes) override;
  void free(void* p) override;
  void* calloc(size_t count, size_t size) override;  // a product beyond 32 bits: NULL, as on the chip

  uint32_t free_bytes() const override { return free_; }              // xPortGetFreeHeapSize
  uint32_t minimum_free_bytes() const override { return min_free_; }  // xMinimumEverFreeBytesRemaining
  // The largest request a malloc can now satisfy: the largest free block less its header
  // (vPortGetHeapStats' xSizeOfLargestFreeBlockInBytes − 8; 0 when none).
  uint32_t max_free_block() const override;
  // 100 − largest block × 100 / free bytes (the SDK has no such figure; the ESP32 formula).
  uint8_t fragmentation() const override;
  // The block size behind p (header included; 0 when p is no allocated block).
  uint32_t block_size(const void* p) const;

  bool contains(const void* p) const override {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
    return a >= b && a - b < span_;
  }
  size_t offset_of(const void* p) const override;
  size_t room_at(const void* p) const override;
  uint32_t key_of(const void* p) const override { return chunk_data(p) / kAlign; }
  uint32_t unit_bytes() const override { return kAlign; }
  // Blocks in 8-byte units from their header; key = data offset / 8.
  void for_each(const std::function<void(const Chunk&)>& f) const override;
  uint8_t* base() override { return base_; }
  const uint8_t* base() const override { return base_; }
  size_t size() const override { return bytes_; }
  uint32_t chip_base() const { return chip_base_; }  // the chip's address of offset 0
  uint32_t end_offset() const { return end_; }       // pxEnd

  // "" when consistent: the free list runs in address order from xStart to pxEnd over free blocks
  // with no two adjacent, the physical walk meets pxEnd exactly, allocated blocks have a NULL link,
  // and the free counter is the list's sum.
  std::string check_integrity() const override;

 private:
  uint32_t word(uint32_t off) const {
    uint32_t v;
    std::memcpy(&v, base_ + off, 4);
    return v;
  }
  void set_word(uint32_t off, uint32_t v) { std::memcpy(base_ + off, &v, 4); }
  // Chip addresses and offsets (NULL: 0).
  uint32_t addr(uint32_t off) const { return chip_base_ + off; }
  uint32_t off_of(uint32_t a) const { return a - chip_base_; }
  uint32_t next_of(uint32_t b) const { return word(b); }  // pxNextFreeBlock (an address)
  uint32_t raw_size(uint32_t b) const { return word(b + 4); }
  uint32_t bsize(uint32_t b) const { return raw_size(b) & ~kAllocated; }

  // pvPortMalloc / vPortFree / prvInsertBlockIntoFreeList on offsets: data offset, 0 for NULL.
  uint32_t p_malloc(uint32_t wanted);
  void p_free(uint32_t data);
  void insert_free(uint32_t b);

  // pvPortMalloc of the charge, booked: a failure remembered, the block marked live (0: none).
  uint32_t take(size_t took);
  uint32_t data_of(const void* p) const;     // an allocated block's data offset for p in the image, 0 if none
  uint32_t chunk_data(const void* p) const;  // ... for p in the image or beside it (host bytes)
  uint8_t* place(uint32_t data, size_t host_bytes);
  size_t effective_charge(size_t charge, size_t host_bytes) const {
    return host_bytes <= 2 * std::max<size_t>(charge, kHeader) ? charge : host_bytes;
  }
  bool live(uint32_t data) const { return live_[data / 64] >> (data / 8 % 8) & 1; }
  void set_live(uint32_t data, bool on) {
    if (!data) return;
    uint8_t bit = uint8_t(1u << (data / 8 % 8));
    live_[data / 64] = on ? live_[data / 64] | bit : live_[data / 64] & ~bit;
  }

  uint8_t* base_;
  uint32_t bytes_;
  uint8_t* live_;            // the bitmap, base_ + bytes_
  uint32_t chip_base_ = 0;   // kRegionEnd - bytes_
  uint32_t end_ = 0;         // pxEnd's offset
  uint32_t start_next_ = 0;  // xStart.pxNextFreeBlock (an address; xStart is in .bss)
  uint32_t free_ = 0, min_free_ = 0;
  HostSpill spill_;
  size_t span_;
};

}  // namespace espfleet
