// sim/engine/arena.cpp — the big mapping behind task stacks and device heaps.
#include "arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace espfleet {

namespace {
size_t page_round(size_t n) {
  size_t pg = size_t(sysconf(_SC_PAGESIZE));
  return (n + pg - 1) / pg * pg;
}
constexpr int kMaxPools = 16;
const ArenaPool* g_pools[kMaxPools];  // live pools; fixed array: no allocation in operator delete

void register_pool(const ArenaPool* p, bool add) {
  for (auto& slot : g_pools) {
    if (add && !slot) {
      slot = p;
      return;
    }
    if (!add && slot == p) {
      slot = nullptr;
      return;
    }
  }
  if (add) throw std::runtime_error("arena: too many live pools");
}
}  // namespace

bool owned_by_arena(const void* p) {
  for (const ArenaPool* pool : g_pools)
    if (pool && pool->data_slot_of(p) >= 0) return true;
  return false;
}

ArenaPool::ArenaPool(size_t slots, size_t stack_bytes, size_t data_bytes)
    : slots_(slots), stack_bytes_(page_round(stack_bytes)), data_bytes_(data_bytes) {
  stride_ = stack_bytes_ + page_round(data_bytes_);
  mapped_ = stride_ * (slots ? slots : 1);
  void* m = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED)
    throw std::runtime_error("arena: cannot map " + std::to_string(mapped_ >> 20) + " MiB for " +
                             std::to_string(slots) + " devices");
  base_ = static_cast<uint8_t*>(m);
  register_pool(this, true);
}

ArenaPool::~ArenaPool() {
  register_pool(this, false);
  if (base_) munmap(base_, mapped_);
}

long ArenaPool::data_slot_of(const void* p) const {
  auto* b = static_cast<const uint8_t*>(p);
  if (b < base_ || b >= base_ + mapped_) return -1;
  size_t off = size_t(b - base_);
  size_t slot = off / stride_;
  size_t in = off % stride_;
  if (in < stack_bytes_ || in >= stack_bytes_ + data_bytes_) return -1;
  return long(slot);
}

void ArenaPool::release(size_t slot) { madvise(base_ + slot * stride_, stride_, MADV_DONTNEED); }

}  // namespace espfleet
