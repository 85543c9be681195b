// sim/heap/device_heap.cpp — the one path of every device allocation (see device_heap.h).
#include "device_heap.h"

#include <algorithm>

#include "alloc_scope.h"
#include "heap_timeline.h"
#include "rng.h"

namespace espfleet {

namespace {
thread_local DeviceHeap* t_alloc_heap = nullptr;
}  // namespace

DeviceHeap* alloc_heap() { return t_alloc_heap; }
void set_alloc_heap(DeviceHeap* h) { t_alloc_heap = h; }

DeviceHeap::DeviceHeap(HeapKind kind, void* mem, uint32_t bytes, const uint64_t* cycles, uint32_t mhz)
    : kind_(kind), mem_(mem), bytes_(bytes), cycles_(cycles), mhz_(mhz) {
  reset();
}

DeviceHeap::~DeviceHeap() = default;

void DeviceHeap::reset() {
  if (heap_) past_digest_ = mix_seed(past_digest_, heap_->digest());
  heap_.reset();  // the old image goes before the new one is formatted over it
  heap_ = make_chip_heap(kind_, mem_, bytes_);
  heap_->set_clock(cycles_);
  tags_.clear();
  last_failed_ = {};
  if (observer_) {
    HostSection host;
    observer_->on_heap_event(HeapEvent{
        HeapEvent::Kind::boot, {}, HeapTag::other, 0, nullptr, nullptr, {}, free_bytes(), free_bytes(), now()});
  }
  note();
}

uint64_t DeviceHeap::digest() const { return mix_seed(past_digest_, heap_->digest()); }

void DeviceHeap::keep_timeline(std::unique_ptr<HeapTimeline> t) { timeline_ = std::move(t); }

void DeviceHeap::remember_failure(const FailedAlloc& f) {
  if (!last_failed_.any()) last_failed_ = f;
}

void DeviceHeap::note() {
  uint32_t f = heap_->free_bytes(), m = heap_->max_free_block(), g = heap_->fragmentation();
  if (f < figures_.free_min) figures_.free_min = f;
  if (m < figures_.max_block_min) figures_.max_block_min = m;
  if (g > figures_.frag_max) figures_.frag_max = g;
  if (timeline_) timeline_->note(now(), f, m, uint8_t(g));
}

// What follows every allocation: a failure remembered, the figures, the observer.
void DeviceHeap::after(HeapEvent::Kind kind, const HeapRequest& r, void* p, const void* old, uint32_t before) {
  if (!p && r.host_bytes && r.counts_failure) {
    figures_.failures++;
    last_failed_ = FailedAlloc{r.site, nullptr, uint32_t(std::min<size_t>(r.charge, UINT32_MAX))};
  }
  if (!batch_) note();
  if (observer_) {
    HostSection host;
    observer_->on_heap_event(HeapEvent{kind, r.site, p ? tags_.get(heap_->last_op().to) : r.tag, r.charge, p, old,
                                       heap_->last_op(), before, free_bytes(), now()});
  }
}

void* DeviceHeap::malloc(const HeapRequest& r) {
  uint32_t before = free_bytes();
  void* p = heap_->malloc(r.charge, r.host_bytes);
  if (uint32_t c = heap_->last_op().to) tags_.set(c, r.tag);
  after(HeapEvent::Kind::alloc, r, p, nullptr, before);
  return p;
}

void* DeviceHeap::zalloc(const HeapRequest& r) {
  uint32_t before = free_bytes();
  void* p = heap_->zalloc(r.charge, r.host_bytes);
  if (uint32_t c = heap_->last_op().to) tags_.set(c, r.tag);
  after(HeapEvent::Kind::alloc, r, p, nullptr, before);
  return p;
}

void* DeviceHeap::realloc(void* ptr, const HeapRequest& r) {
  uint32_t before = free_bytes();
  void* p = heap_->realloc(ptr, r.charge, r.host_bytes);
  const ChipHeap::Op op = heap_->last_op();
  HeapTag owner = ptr ? tags_.get(op.from) : r.tag;               // the owner stays
  if ((p || r.host_bytes == 0) && op.from) tags_.erase(op.from);  // moved, resized in place or freed
  if (p) tags_.set(op.to, owner);
  after(HeapEvent::Kind::resize, r, p, ptr, before);
  return p;
}

void DeviceHeap::free(void* ptr, HeapSite site) {
  uint32_t before = free_bytes();
  heap_->free(ptr);
  HeapTag owner = HeapTag::other;
  if (uint32_t c = heap_->last_op().from) {
    owner = tags_.get(c);
    tags_.erase(c);
  }
  if (observer_) {
    HostSection host;
    observer_->on_heap_event(HeapEvent{HeapEvent::Kind::release, site, owner, 0, ptr, nullptr, heap_->last_op(), before,
                                       free_bytes(), now()});
  }
}

}  // namespace espfleet
