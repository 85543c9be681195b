// sim/arena.h — per-device memory carved from one large mapping: each slot holds a device's
// fiber stack and its heap arena (UmmHeap::arena_bytes: the model arena, then the data pool
// and map for host objects larger than their target size). Few kernel mappings (no guard page
// per device: stacks are painted and checked at each switch instead), pages committed only when
// touched.
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

class ArenaPool {
public:
  ArenaPool(size_t slots, size_t stack_bytes, size_t heap_bytes);
  ~ArenaPool();
  ArenaPool(const ArenaPool&) = delete;
  ArenaPool& operator=(const ArenaPool&) = delete;

  void* stack(size_t slot) const { return base_ + slot * stride_; }
  void* heap(size_t slot) const { return base_ + slot * stride_ + stack_bytes_; }
  size_t stack_bytes() const { return stack_bytes_; }
  size_t heap_bytes() const { return heap_bytes_; }  // the largest heap (model bytes) a slot holds
  size_t slots() const { return slots_; }
  // Which slot's heap holds p, or -1.
  long heap_slot_of(const void* p) const;
  // Give a slot's pages back to the kernel (device reboot / end).
  void release(size_t slot);

private:
  uint8_t* base_ = nullptr;
  size_t slots_, stack_bytes_, heap_bytes_, heap_span_, stride_, mapped_ = 0;
};

// Whether p lies in the heap part of any live pool (for operator delete).
bool owned_by_device_arena(const void* p);

}  // namespace espfleet
