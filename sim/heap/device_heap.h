// sim/heap/device_heap.h — a device's heap: its chip's model (chip_heap.h: umm_malloc on the
// ESP8266, multi_heap on TLSF on the ESP32-C3; made anew at every boot), the owner of
// each live chunk, the figures the device reports, the last failed allocation, the history digest
// over every boot, the heap timeline when one is kept, and one observer.
//
// Every device allocation — the firmware's malloc family and `new`, lwIP's pbufs, the BearSSL
// thunk block — takes the same path: the model takes the request (charged the chip's bytes, room
// for the host's), the chunk gets its owner tag, a failure is remembered for the post-mortem, the
// figures are noted, and the observer hears of it with everything a tool needs (call site, tag,
// chunks, free heap before and after, device time). Charging the device's clock for the call is
// the caller's business (the platform's cost model).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "chip_heap.h"
#include "heap_tags.h"
#include "sim_time.h"

namespace espfleet {

class HeapTimeline;

// A call site as the ESP8266 core's debug heap API passes it (__FILE__, __LINE__; static storage).
struct HeapSite {
  const char* file = nullptr;
  int line = 0;
};

// The last failed device allocation since boot: the core's umm_last_fail_alloc_addr/_size, which
// every post-mortem prints (sim/crash/crash_record.h). Plain data: it is written on the device's
// fiber, where a host allocation would come from the device heap.
struct FailedAlloc {
  HeapSite site;                 // call site (file null: none)
  const void* caller = nullptr;  // `new`: the host return address into its caller, instead
  uint32_t size = 0;             // the chip's request size
  bool any() const { return site.file || caller; }
};

// What the device reports of its heap: the lows and highs noted after every allocation.
struct HeapFigures {
  uint32_t free_min = UINT32_MAX;
  uint32_t max_block_min = UINT32_MAX;
  uint32_t frag_max = 0;
  uint32_t failures = 0;  // failed allocations (the firmware's; lwIP drops a segment instead)
};

struct HeapRequest {
  size_t host_bytes;  // what the host object needs
  size_t charge;      // what the chip asks for (target size)
  HeapTag tag;
  HeapSite site;
  bool counts_failure = true;  // a failure is the firmware's (figures, post-mortem line)
};

// One heap request, as the observer hears it.
struct HeapEvent {
  enum class Kind : uint8_t { boot, alloc, release, resize };
  Kind kind;
  HeapSite site;
  HeapTag tag;                       // the chunk's owner: the result's (alloc, resize), the freed one's (release)
  size_t size;                       // bytes charged (0 for release)
  const void* ptr;                   // result (alloc, resize) or the pointer released
  const void* old;                   // resize: the pointer before
  ChipHeap::Op op;                   // as the model took it (op 0: a free of NULL or of no chunk)
  uint32_t free_before, free_after;  // getFreeHeap around it
  VTime at;                          // device time
};

class HeapObserver {
 public:
  virtual void on_heap_event(const HeapEvent& e) = 0;  // called in a HostSection

 protected:
  ~HeapObserver() = default;
};

class DeviceHeap {
 public:
  // mem: chip_heap_arena_bytes(kind, bytes) of memory; cycles/mhz: the device's clock (digest, times).
  DeviceHeap(HeapKind kind, void* mem, uint32_t bytes, const uint64_t* cycles, uint32_t mhz);
  ~DeviceHeap();
  DeviceHeap(const DeviceHeap&) = delete;
  DeviceHeap& operator=(const DeviceHeap&) = delete;

  // A boot: a fresh heap (the digest keeps the old one's history); the observer hears of it.
  void reset();

  void* malloc(const HeapRequest& r);
  void* zalloc(const HeapRequest& r);  // malloc, then zeroed
  // The chunk keeps its owner; a NULL ptr is a malloc tagged r.tag.
  void* realloc(void* ptr, const HeapRequest& r);
  void free(void* ptr, HeapSite site);

  // `new` failed: its caller's address for the post-mortem's alloc line (the failure itself was
  // recorded by malloc).
  void note_failed_caller(const void* caller) { last_failed_.caller = caller; }
  // A failure nothing recorded yet (the post-mortem always names one).
  void remember_failure(const FailedAlloc& f);
  const FailedAlloc& last_failed() const { return last_failed_; }

  const ChipHeap& model() const { return *heap_; }
  const HeapTags& tags() const { return tags_; }
  const HeapFigures& figures() const { return figures_; }
  bool contains(const void* p) const { return heap_->contains(p); }
  uint32_t free_bytes() const { return heap_->free_bytes(); }
  uint32_t size() const { return bytes_; }
  // Every request of every boot, its result and the device time it came at.
  uint64_t digest() const;

  // Several allocations that count as one moment for the figures (lwIP takes a burst of
  // segments at once): noted once, when the last NoteOnce ends.
  class NoteOnce {
   public:
    explicit NoteOnce(DeviceHeap& h) : h_(h) { h_.batch_++; }
    ~NoteOnce() {
      if (--h_.batch_ == 0) h_.note();
    }

   private:
    DeviceHeap& h_;
  };
  void note();  // update the figures (and the timeline) from the heap as it is now

  void set_observer(HeapObserver* o) { observer_ = o; }
  void keep_timeline(std::unique_ptr<HeapTimeline> t);  // sampled from the next change on
  HeapTimeline* timeline() const { return timeline_.get(); }

 private:
  void after(HeapEvent::Kind kind, const HeapRequest& r, void* p, const void* old, uint32_t before);
  VTime now() const { return cycles_to_time(*cycles_, mhz_); }

  HeapKind kind_;
  void* mem_;
  uint32_t bytes_;
  const uint64_t* cycles_;
  uint32_t mhz_;
  std::unique_ptr<ChipHeap> heap_;
  HeapTags tags_;
  HeapFigures figures_;
  FailedAlloc last_failed_;
  uint64_t past_digest_ = 0;  // the heaps of earlier boots
  HeapObserver* observer_ = nullptr;
  std::unique_ptr<HeapTimeline> timeline_;
  int batch_ = 0;
};

}  // namespace espfleet
