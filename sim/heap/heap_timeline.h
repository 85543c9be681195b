// sim/heap/heap_timeline.h — one device's heap over time in bounded memory: free heap, largest free
// block and fragmentation, sampled at every heap change into a fixed number of time buckets whose
// width doubles as time runs on, plus boot / crash marks; rendered as CSV or as an SVG chart.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim_time.h"

namespace espfleet {

// One time bucket [start, start + width): the lows and highs of the samples noted in it.
struct HeapTimelineBucket {
  uint64_t samples = 0;        // notes in the bucket; 0: none (the heap kept the previous values)
  uint32_t free_min = 0;       // lowest free heap noted (getFreeHeap)
  uint32_t max_block_min = 0;  // lowest largest free block noted (getMaxFreeBlockSize)
  uint8_t frag_max = 0;        // highest fragmentation noted, % (getHeapFragmentation)
  uint32_t free_last = 0;      // the bucket's last note
  uint32_t max_block_last = 0;
  uint8_t frag_last = 0;
};

// An event on the timeline: kind 'b' boot, 'c' crash (label e.g. "Exception 29"); others allowed.
struct HeapTimelineMark {
  VTime t;
  char kind;
  std::string label;
};

class HeapTimeline {
 public:
  static constexpr char kBoot = 'b';
  static constexpr char kCrash = 'c';

  // At most `max_buckets` buckets (≥ 2), the first ones `start_width` wide (> 0); the first
  // `max_marks` marks are kept, later ones only counted. Throws std::invalid_argument.
  explicit HeapTimeline(size_t max_buckets = 512, VTime start_width = VTime::from_s(1), size_t max_marks = 256);

  // A heap change at t (times are expected not to decrease; t < 0 counts as 0). O(1) amortized,
  // no allocation: when t is past the last bucket, adjacent pairs merge and the width doubles.
  void note(VTime t, uint32_t free_bytes, uint32_t max_block, uint8_t frag_pct);
  // An event at t (not a heap sample: it does not create buckets).
  void mark(VTime t, char kind, std::string label);

  // Buckets 0 .. n-1, bucket i covering [i·width, (i+1)·width); n ≤ max_buckets().
  const std::vector<HeapTimelineBucket>& buckets() const { return buckets_; }
  VTime bucket_width() const { return width_; }
  VTime bucket_start(size_t i) const { return VTime{int64_t(i) * width_.ns}; }
  size_t max_buckets() const { return max_buckets_; }
  VTime start_width() const { return start_width_; }
  uint64_t notes() const { return notes_; }  // note() calls so far
  VTime latest() const { return latest_; }   // the latest time noted or marked
  const std::vector<HeapTimelineMark>& marks() const { return marks_; }
  size_t marks_dropped() const { return marks_dropped_; }

 private:
  void merge_pairs();

  size_t max_buckets_;
  VTime start_width_;
  VTime width_;
  size_t max_marks_;
  std::vector<HeapTimelineBucket> buckets_;  // capacity max_buckets_, reserved once
  uint64_t notes_ = 0;
  VTime latest_{};
  std::vector<HeapTimelineMark> marks_;
  size_t marks_dropped_ = 0;
};

// `t_s,free_min,max_block_min,frag_max`, then a row per non-empty bucket (t_s: the bucket's
// start in seconds), then comment lines: `# bucket_width_s,W`, `# mark,T_S,KIND,LABEL` per mark
// (label CSV-quoted when needed), and `# marks_dropped,N` when marks were dropped.
std::string render_heap_timeline_csv(const HeapTimeline& tl);

// An SVG chart (900×360): free heap (id="free") and largest free block (id="max-block") as step
// polylines of the bucket minima on a left axis 0..heap_bytes (KB), fragmentation (id="frag") as
// the bucket maxima on a right axis 0..100 %; time ticks in ms / s / min / h by span; a legend;
// a vertical marker per mark (<g class="mark crash|boot|other" data-t="…">), crashes red and
// labelled. No polylines when nothing was noted. Same input, same bytes.
std::string render_heap_timeline_svg(const HeapTimeline& tl, const std::string& title, uint32_t heap_bytes);

}  // namespace espfleet
