// sim/heap/chip_heap.cpp — what every heap model shares (chip_heap.h): the history digest, and
// making the model a chip's heap is.
#include "chip_heap.h"

#include <stdexcept>

#include "heap_sdk.h"
#include "heap_tlsf.h"
#include "heap_umm.h"
#include "rng.h"

namespace espfleet {

void ChipHeap::record(char op, size_t charge, uint32_t from, uint32_t to) {
  uint64_t v = (uint64_t(uint8_t(op)) << 56) ^ (uint64_t(from) << 40) ^ (uint64_t(charge) << 16) ^ to;
  digest_ = mix_seed(digest_ ^ v, clock_ ? *clock_ : 0);
  last_op_ = Op{op, charge, from, to};
}

std::unique_ptr<ChipHeap> make_chip_heap(HeapKind kind, void* mem, size_t bytes) {
  switch (kind) {
    case HeapKind::tlsf:
      return std::make_unique<TlsfHeap>(mem, bytes);
    case HeapKind::sdk:
      return std::make_unique<SdkHeap>(mem, bytes);
    default:
      return std::make_unique<UmmHeap>(mem, bytes);
  }
}

size_t chip_heap_arena_bytes(HeapKind kind, size_t bytes) {
  switch (kind) {
    case HeapKind::tlsf:
      return TlsfHeap::arena_bytes(bytes);
    case HeapKind::sdk:
      return SdkHeap::arena_bytes(bytes);
    default:
      return UmmHeap::arena_bytes(bytes);
  }
}

std::string chip_heap_size_problem(HeapKind kind, size_t bytes) {
  switch (kind) {
    case HeapKind::tlsf:
      return TlsfHeap::size_problem(bytes);
    case HeapKind::sdk:
      return SdkHeap::size_problem(bytes);
    default:
      return UmmHeap::size_problem(bytes);
  }
}

}  // namespace espfleet
