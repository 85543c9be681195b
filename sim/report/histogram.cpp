// sim/report/histogram.cpp — log-linear buckets (histogram.h).
#include "histogram.h"

#include <bit>
#include <stdexcept>
#include <string>

namespace espfleet {

namespace {
constexpr int kExactBits = 11;  // values below 2^11 have a bucket each; above, 2^10 per octave
}

uint64_t Histogram::bucket_of(uint64_t v) {
  if (v < (uint64_t(1) << kExactBits)) return v;
  int shift = std::bit_width(v) - kExactBits;  // keep the top kExactBits bits
  return (v >> shift) << shift;
}

void Histogram::add(uint64_t v, uint64_t n) {
  if (n == 0) return;
  buckets_[bucket_of(v)] += n;
  count_ += n;
  if (v > max_) max_ = v;
}

void Histogram::merge(const Histogram& o) {
  for (auto& [b, n] : o.buckets_) buckets_[b] += n;
  count_ += o.count_;
  if (o.max_ > max_) max_ = o.max_;
}

uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t rank = uint64_t(p / 100.0 * double(count_) + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (auto& [b, n] : buckets_) {
    seen += n;
    if (seen >= rank) return b;
  }
  return max_;
}

nlohmann::ordered_json Histogram::spread() const {
  return {{"p50", percentile(50)}, {"p99", percentile(99)}, {"max", max_}};
}

nlohmann::ordered_json Histogram::to_json() const {
  nlohmann::ordered_json b = nlohmann::ordered_json::array();
  for (auto& [v, n] : buckets_) b.push_back({v, n});
  return {{"count", count_}, {"max", max_}, {"buckets", b}};
}

Histogram Histogram::from_json(const nlohmann::ordered_json& j) {
  if (!j.is_object() || !j.contains("buckets") || !j["buckets"].is_array())
    throw std::invalid_argument("histogram: expected {count, max, buckets: [[value, count], ...]}");
  Histogram h;
  for (const auto& e : j["buckets"]) {
    auto natural = [](const nlohmann::ordered_json& x) { return x.is_number_integer() && x.get<int64_t>() >= 0; };
    if (!e.is_array() || e.size() != 2 || !natural(e[0]) || !natural(e[1]))
      throw std::invalid_argument("histogram: a bucket is not [value, count]: " + e.dump());
    uint64_t v = e[0].get<uint64_t>();
    if (bucket_of(v) != v) throw std::invalid_argument("histogram: " + std::to_string(v) + " is not a bucket's value");
    h.buckets_[v] += e[1].get<uint64_t>();
    h.count_ += e[1].get<uint64_t>();
  }
  h.max_ = j.value("max", uint64_t(0));
  if (h.count_ != j.value("count", h.count_))
    throw std::invalid_argument("histogram: count " + j["count"].dump() + " is not the sum of its buckets");
  if (h.count_ && bucket_of(h.max_) < h.buckets_.rbegin()->first)
    throw std::invalid_argument("histogram: max " + std::to_string(h.max_) + " below its highest bucket");
  return h;
}

}  // namespace espfleet
