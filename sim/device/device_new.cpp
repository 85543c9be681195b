// sim/device/device_new.cpp — program-wide operator new/delete. While a device's own code runs
// (no HostSection open: heap/alloc_scope.h), `new` takes from that device's umm heap and a
// failure aborts the device the chip's way ("Unhandled C++ exception: OOM"); everywhere else it
// is the host's allocator. `delete` finds the owner by address: a pointer inside the running
// device's heap goes back to it. A failed `new` records its caller's address (the core's
// umm_last_fail_alloc_addr) for the post-mortem.
#include <cstdlib>
#include <new>

#include "alloc_scope.h"
#include "arena.h"
#include "device_heap.h"
#include "platform.h"
#include "target_sizes.h"

namespace espfleet {
namespace {

void* device_new(size_t n, bool nothrow, const void* caller) {
  DeviceHeap* h = alloc_heap();
  if (!h) {
    void* p = std::malloc(n ? n : 1);
    if (!p && !nothrow) throw std::bad_alloc();
    return p;
  }
  // The platform charges a listed type's target size (target_sizes.h); the chip's OOM message
  // names that size too.
  void* p = esp_platform()->heap_malloc(n ? n : 1, "new", 0);
  if (!p) h->note_failed_caller(caller);
  if (!p && !nothrow) esp_platform()->oom_abort(target_size_of(n));
  return p;
}

void device_delete(void* p) {
  if (!p) return;
  DeviceHeap* h = alloc_heap();
  if (h && h->contains(p)) {
    esp_platform()->heap_free(p, "delete", 0);
    return;
  }
  // A device object deleted from host code (rare: teardown) is simply left in its arena, which
  // is reset or unmapped as a whole; anything else is the host's.
  if (owned_by_arena(p)) return;
  std::free(p);
}

}  // namespace
}  // namespace espfleet

void* operator new(size_t n) { return espfleet::device_new(n, false, __builtin_return_address(0)); }
void* operator new[](size_t n) { return espfleet::device_new(n, false, __builtin_return_address(0)); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return espfleet::device_new(n, true, __builtin_return_address(0));
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return espfleet::device_new(n, true, __builtin_return_address(0));
}
void operator delete(void* p) noexcept { espfleet::device_delete(p); }
void operator delete[](void* p) noexcept { espfleet::device_delete(p); }
void operator delete(void* p, size_t) noexcept { espfleet::device_delete(p); }
void operator delete[](void* p, size_t) noexcept { espfleet::device_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { espfleet::device_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { espfleet::device_delete(p); }
