// tests/sim/report/test_histogram.cpp — the mergeable histogram: exact below 2048, within 1/1024
// above, merging equals the histogram of the union, its JSON round-trips and damaged JSON is named.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "histogram.h"
#include "rng.h"

using namespace espfleet;

namespace {
uint64_t nearest_rank(std::vector<uint64_t> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = size_t(p / 100.0 * double(v.size()) + 0.999999);
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}
}  // namespace

TEST_CASE("histogram: below 2048 every value is its own bucket; percentiles are nearest rank") {
  Histogram h;
  std::vector<uint64_t> v = {5, 1, 1999, 700, 700, 2047, 3, 0};
  for (uint64_t x : v) h.add(x);
  CHECK(h.count() == v.size());
  CHECK(h.max() == 2047);
  for (double p : {1.0, 12.5, 50.0, 75.0, 99.0, 100.0}) CHECK(h.percentile(p) == nearest_rank(v, p));
  CHECK(Histogram().percentile(50) == 0);
}

TEST_CASE("histogram: above 2048 a value lands within 1/1024 below itself; max stays exact") {
  Histogram h;
  h.add(1000003);
  const uint64_t b = h.percentile(50);
  CHECK(b <= 1000003);
  CHECK(double(1000003 - b) < 1000003.0 / 1024.0);
  CHECK(h.max() == 1000003);
  Histogram g;
  g.add(2048);
  g.add(4097);
  CHECK(g.percentile(50) == 2048);
  CHECK(g.percentile(100) == 4096);  // 4097 shares the bucket of 4096 (4 values per bucket there)
}

TEST_CASE("histogram: merged shards equal the histogram of the union") {
  Rng rng(42);
  Histogram whole, parts[3];
  std::vector<uint64_t> all;
  for (int i = 0; i < 3000; ++i) {
    uint64_t v = rng.below(i % 2 ? 1500 : 60000);
    all.push_back(v);
    whole.add(v);
    parts[i % 3].add(v);
  }
  Histogram merged;
  for (const Histogram& p : parts) merged.merge(p);
  CHECK(merged == whole);
  for (double p : {50.0, 90.0, 99.0}) CHECK(merged.percentile(p) == whole.percentile(p));
  CHECK(merged.max() == *std::max_element(all.begin(), all.end()));
}

TEST_CASE("histogram: JSON round trip; damaged JSON is refused with what is wrong") {
  Histogram h;
  for (uint64_t v : {3u, 3u, 900u, 5000u, 123456u}) h.add(v);
  CHECK(Histogram::from_json(h.to_json()) == h);
  using J = nlohmann::ordered_json;
  CHECK_THROWS_WITH_AS(Histogram::from_json(J::array()), doctest::Contains("expected {count"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Histogram::from_json(J{{"count", 1}, {"max", 5}, {"buckets", J::array({J::array({5, 2})})}}),
                       doctest::Contains("not the sum"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      Histogram::from_json(J{{"count", 1}, {"max", 5000}, {"buckets", J::array({J::array({4097, 1})})}}),
      doctest::Contains("4097 is not a bucket"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Histogram::from_json(J{{"buckets", J::array({J::array({"x", 1})})}}),
                       doctest::Contains("not [value, count]"), std::invalid_argument);
}
