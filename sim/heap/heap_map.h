// sim/heap/heap_map.h — a picture of one device heap: every unit (umm_malloc's 8-byte block, TLSF's
// 4-byte granule) coloured by its chunk's owner (sim/heap/heap_tags.h), free chunks light grey,
// the allocator's own structures dark, the largest free chunk outlined, and the heap's free /
// max block / fragmentation figures: as SVG (files) or ASCII (terminal).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heap_tags.h"

namespace espfleet {

class ChipHeap;

struct HeapMapChunk {
  uint32_t first;   // first unit
  uint32_t blocks;  // units, header included
  bool used;
  HeapTag tag;  // meaningful when used
};

struct HeapMapData {
  uint32_t unit_bytes = 8;                          // bytes per unit (umm 8, TLSF 4)
  uint32_t total_blocks = 0;                        // the heap's units (umm: list head (0) .. end marker (last))
  std::vector<HeapMapChunk> chunks;                 // address order, between the list head and the end marker
  uint32_t free_bytes = 0;                          // getFreeHeap
  uint32_t max_free_block = 0;                      // getMaxFreeBlockSize
  uint8_t fragmentation = 0;                        // getHeapFragmentation
  int largest_free = -1;                            // index in chunks of the (first) largest free chunk, -1: none
  std::array<uint64_t, kHeapTagCount> tag_bytes{};  // bytes of used chunks, per owner
  uint64_t used_bytes = 0;                          // bytes of used chunks (Σ tag_bytes)
};

HeapMapData heap_map_snapshot(const ChipHeap& heap, const HeapTags& tags);

// An SVG: `per_row` units a row (0: 512 bytes a row), one cell each; a header line with the figures; a legend
// "<tag> <bytes> B" per owner with used bytes, and "free"; the largest free chunk outlined
// (element id="largest-free", data-offset / data-bytes attributes give its offset and size).
std::string render_heap_svg(const HeapMapData& m, const std::string& title, uint32_t per_row = 0);
// ASCII: one character per `blocks_per_char` blocks (the majority owner of the cell; '.' free,
// '#' header/end marker), `per_line` characters a line, then the figures and a legend.
std::string render_heap_ascii(const HeapMapData& m, uint32_t blocks_per_char = 4, uint32_t per_line = 64);
// The character the ASCII map uses for an owner.
char heap_tag_char(HeapTag t);

}  // namespace espfleet
