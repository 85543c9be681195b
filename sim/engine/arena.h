// sim/engine/arena.h — per-task memory carved from one large mapping: each slot holds a fiber
// stack and a data part (a device's heap arena). Few kernel mappings (no guard page per task:
// stacks are painted and checked at each switch instead), pages committed only when touched.
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

class ArenaPool {
 public:
  // data_bytes: the largest data part a slot holds (a device heap's chip_heap_arena_bytes).
  ArenaPool(size_t slots, size_t stack_bytes, size_t data_bytes);
  ~ArenaPool();
  ArenaPool(const ArenaPool&) = delete;
  ArenaPool& operator=(const ArenaPool&) = delete;

  void* stack(size_t slot) const { return base_ + slot * stride_; }
  void* data(size_t slot) const { return base_ + slot * stride_ + stack_bytes_; }
  size_t stack_bytes() const { return stack_bytes_; }
  size_t data_bytes() const { return data_bytes_; }
  size_t slots() const { return slots_; }
  // Which slot's data part holds p, or -1.
  long data_slot_of(const void* p) const;
  // Give a slot's pages back to the kernel (device reboot / end).
  void release(size_t slot);

 private:
  uint8_t* base_ = nullptr;
  size_t slots_, stack_bytes_, data_bytes_, stride_, mapped_ = 0;
};

// Whether p lies in the data part of any live pool (for operator delete: a device object).
bool owned_by_arena(const void* p);

}  // namespace espfleet
