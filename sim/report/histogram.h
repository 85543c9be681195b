// sim/report/histogram.h — a mergeable distribution of non-negative integers (milliseconds):
// HdrHistogram-style log-linear buckets, exact below 2048 and within 1/1024 above, so shards'
// histograms add up to the histogram of the whole fleet and the merged percentiles are those of
// the union (`espfleet merge`). summary.json keeps them under "histograms" (docs/outputs.md).
#pragma once
#include <cstdint>
#include <map>

#include <nlohmann/json.hpp>

namespace espfleet {

class Histogram {
 public:
  void add(uint64_t v, uint64_t n = 1);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }  // exact
  // Nearest-rank percentile (p in (0, 100]); the lowest value of the bucket that holds it, which
  // is the value itself below 2048. 0 when empty.
  uint64_t percentile(double p) const;
  // {"p50", "p99", "max"}
  nlohmann::ordered_json spread() const;

  // {"count": n, "max": m, "buckets": [[lowest value, count], ...]} in rising order.
  nlohmann::ordered_json to_json() const;
  // The inverse of to_json; std::invalid_argument naming what is wrong.
  static Histogram from_json(const nlohmann::ordered_json& j);

  bool operator==(const Histogram& o) const = default;

 private:
  static uint64_t bucket_of(uint64_t v);
  std::map<uint64_t, uint64_t> buckets_;  // lowest value of the bucket → count
  uint64_t count_ = 0, max_ = 0;
};

}  // namespace espfleet
