// sim/heap_events.cpp — the process-wide heap observer slot.
#include "heap_events.h"

namespace espfleet {

namespace {
HeapObserver& slot() {
  static HeapObserver o;
  return o;
}
}  // namespace

void set_heap_observer(HeapObserver observer) { slot() = std::move(observer); }
const HeapObserver& heap_observer() { return slot(); }

}  // namespace espfleet
