// sim/heap_events.h — an optional observer of device heap operations, for tools that measure
// memory the way the seed did (free-heap deltas around each allocation): `espfleet profile`.
// Process-wide; unset (the default) costs one branch per heap call.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace espfleet {

class Device;

struct HeapEvent {
  enum Kind { alloc, release, resize } kind;
  const char* file;        // call site (may be null: operator new, lwIP)
  int line;
  size_t size;             // bytes asked for (0 for release)
  const void* ptr;         // result (alloc/resize) or the pointer released
  const void* old;         // resize: the pointer before
  uint32_t free_before;    // getFreeHeap before and after the operation
  uint32_t free_after;
};

using HeapObserver = std::function<void(Device&, const HeapEvent&)>;

void set_heap_observer(HeapObserver observer);
const HeapObserver& heap_observer();

}  // namespace espfleet
