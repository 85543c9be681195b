// sim/engine/guarded_stack.cpp — mmap with a guard page (see guarded_stack.h).
#include "guarded_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace espfleet {

GuardedStack::GuardedStack(size_t bytes) {
  size_t pg = size_t(sysconf(_SC_PAGESIZE));
  bytes_ = (bytes + pg - 1) / pg * pg;
  map_bytes_ = bytes_ + pg;
  void* m = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  map_ = static_cast<uint8_t*>(m);
  mprotect(map_, pg, PROT_NONE);
  lo_ = map_ + pg;
}

GuardedStack::~GuardedStack() {
  if (map_) munmap(map_, map_bytes_);
}

}  // namespace espfleet
