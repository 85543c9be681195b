// sim/engine/guarded_stack.h — a stack of its own mapping with a PROT_NONE guard page below it,
// so that running off its end faults instead of corrupting memory (the BearSSL thunk stack, the
// fault guard's signal and emergency stacks). Unmapped when destroyed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

class GuardedStack {
 public:
  explicit GuardedStack(size_t bytes);  // rounded up to pages; throws std::bad_alloc
  ~GuardedStack();
  GuardedStack(const GuardedStack&) = delete;
  GuardedStack& operator=(const GuardedStack&) = delete;

  uint8_t* bottom() const { return lo_; }  // lowest usable byte (just above the guard page)
  uint8_t* top() const { return lo_ + bytes_; }
  size_t size() const { return bytes_; }

 private:
  uint8_t* map_ = nullptr;
  size_t map_bytes_ = 0;
  uint8_t* lo_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace espfleet
