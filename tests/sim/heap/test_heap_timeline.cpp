// tests/sim/heap/test_heap_timeline.cpp — the heap timeline: after many width doublings every bucket
// still holds the lows / highs / last values a brute-force pass over all samples gives; the
// bucket count never exceeds the limit and the storage is never reallocated; the CSV's rows and
// comment lines; the SVG's series, marks, axes and structure; same input, same bytes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "heap_timeline.h"

using namespace espfleet;

namespace {

struct Sample {
  int64_t t;
  uint32_t free, block;
  uint8_t frag;
};

// Random heap changes with non-decreasing times: mostly small steps, sometimes equal times,
// sometimes long quiet gaps. Raw engine output only (distributions differ between libraries).
std::vector<Sample> random_samples(uint64_t seed, size_t n, int64_t mean_step_ns) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> v;
  int64_t t = int64_t(rng() % uint64_t(mean_step_ns));
  for (size_t i = 0; i < n; ++i) {
    const uint64_t r = rng();
    if (r % 50 == 0)
      t += int64_t(rng() % uint64_t(mean_step_ns * 200));  // a quiet gap
    else if (r % 7 != 0)
      t += int64_t(rng() % uint64_t(2 * mean_step_ns));
    const uint32_t free = uint32_t(rng() % 49152);
    v.push_back(Sample{t, free, free - uint32_t(rng() % (free + 1)), uint8_t(rng() % 101)});
  }
  return v;
}

// The buckets a brute-force pass over `samples` gives for width w and n buckets.
std::vector<HeapTimelineBucket> reference(const std::vector<Sample>& samples, int64_t w, size_t n) {
  std::vector<HeapTimelineBucket> r(n);
  REQUIRE(size_t(samples.back().t / w) < n);
  for (const Sample& s : samples) {
    const size_t i = size_t(s.t / w);
    HeapTimelineBucket& b = r[i];
    b.free_min = b.samples ? std::min(b.free_min, s.free) : s.free;
    b.max_block_min = b.samples ? std::min(b.max_block_min, s.block) : s.block;
    b.frag_max = b.samples ? std::max(b.frag_max, s.frag) : s.frag;
    b.free_last = s.free;
    b.max_block_last = s.block;
    b.frag_last = s.frag;
    ++b.samples;
  }
  return r;
}

void check_against_reference(const HeapTimeline& tl, const std::vector<Sample>& fed) {
  const int64_t w = tl.bucket_width().ns, w0 = tl.start_width().ns;
  const auto& bs = tl.buckets();
  REQUIRE(bs.size() <= tl.max_buckets());
  // The width is the start width doubled just often enough for the latest sample to fit.
  REQUIRE(w % w0 == 0);
  REQUIRE(((w / w0) & (w / w0 - 1)) == 0);
  const int64_t last_t = fed.back().t;
  CHECK(size_t(last_t / w) < tl.max_buckets());
  if (w > w0) CHECK(size_t(last_t / (w / 2)) >= tl.max_buckets());
  CHECK(bs.size() == size_t(last_t / w) + 1);
  const std::vector<HeapTimelineBucket> ref = reference(fed, w, bs.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < bs.size(); ++i) {
    const HeapTimelineBucket &a = bs[i], &b = ref[i];
    const bool same =
        a.samples == b.samples && (!b.samples || (a.free_min == b.free_min && a.max_block_min == b.max_block_min &&
                                                  a.frag_max == b.frag_max && a.free_last == b.free_last &&
                                                  a.max_block_last == b.max_block_last && a.frag_last == b.frag_last));
    if (!same && mismatches++ < 5) {
      INFO("bucket " << i << " of " << bs.size() << ", width " << w << " ns");
      CHECK(a.samples == b.samples);
      CHECK(a.free_min == b.free_min);
      CHECK(a.max_block_min == b.max_block_min);
      CHECK(unsigned(a.frag_max) == unsigned(b.frag_max));
      CHECK(a.free_last == b.free_last);
      CHECK(a.max_block_last == b.max_block_last);
      CHECK(unsigned(a.frag_last) == unsigned(b.frag_last));
    }
  }
  CHECK(mismatches == 0);
  CHECK(tl.notes() == fed.size());
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// Every element closed in order (self-closing ones count as closed).
bool tags_balanced(const std::string& svg) {
  std::vector<std::string> stack;
  std::regex tag("<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    if (m[3].length()) continue;
    if (m[1].length()) {
      if (stack.empty() || stack.back() != m[2].str()) return false;
      stack.pop_back();
    } else {
      stack.push_back(m[2].str());
    }
  }
  return stack.empty();
}

// The text of the element <g id="ID" …> up to its first "</g>".
std::string group(const std::string& svg, const std::string& id) {
  const size_t a = svg.find("<g id=\"" + id + "\"");
  if (a == std::string::npos) return std::string();
  return svg.substr(a, svg.find("</g>", a) - a);
}

std::string polyline_points(const std::string& svg, const std::string& id) {
  std::smatch m;
  std::regex re("<polyline id=\"" + id + "\"[^>]*points=\"([^\"]*)\"");
  return std::regex_search(svg, m, re) ? m[1].str() : std::string();
}

HeapTimeline fed_timeline(uint64_t seed) {
  HeapTimeline tl(64, VTime::from_ms(100));
  const std::vector<Sample> samples = random_samples(seed, 5000, 50 * 1000000LL);
  for (const Sample& s : samples) tl.note(VTime{s.t}, s.free, s.block, s.frag);
  tl.note(VTime{samples.back().t} + VTime::from_s(1800), 40000, 39000, 1);  // after a quiet half hour
  tl.mark(VTime::from_s(3), HeapTimeline::kBoot, "");
  tl.mark(VTime::from_s(100), HeapTimeline::kCrash, "Exception 29");
  tl.mark(VTime::from_s(101), HeapTimeline::kBoot, "reset reason 2");
  return tl;
}

}  // namespace

TEST_CASE("heap timeline: merged buckets hold the brute-force lows, highs and last values") {
  struct Config {
    size_t max_buckets;
    int64_t start_width_ns;
    int64_t mean_step_ns;
  };
  // Even and odd limits; start widths far below the sample spacing force many doublings.
  const Config configs[] = {
      {8, 1000, 3000000}, {7, 1000000, 20000000}, {512, 1000000000, 2000000000}, {2, 1, 1000}, {33, 250000, 90000000}};
  uint64_t seed = 20240605;
  for (const Config& c : configs) {
    CAPTURE(c.max_buckets);
    CAPTURE(c.start_width_ns);
    HeapTimeline tl(c.max_buckets, VTime{c.start_width_ns});
    const std::vector<Sample> samples = random_samples(seed++, 20000, c.mean_step_ns);
    std::vector<Sample> fed;
    for (size_t i = 0; i < samples.size(); ++i) {
      const Sample& s = samples[i];
      tl.note(VTime{s.t}, s.free, s.block, s.frag);
      fed.push_back(s);
      if (i % 997 == 0 || i + 1 == samples.size()) check_against_reference(tl, fed);
    }
    CHECK(tl.bucket_width().ns > c.start_width_ns * 64);  // many doublings happened
  }
}

TEST_CASE("heap timeline: memory stays bounded over a simulated day of heap changes") {
  HeapTimeline tl(512, VTime::from_s(1));
  const size_t capacity = tl.buckets().capacity();
  REQUIRE(capacity >= 512);
  std::mt19937_64 rng(7);
  int64_t t = 0;
  size_t max_seen = 0;
  bool reallocated = false;
  const HeapTimelineBucket* data = nullptr;
  for (int i = 0; i < 2000000; ++i) {
    t += int64_t(rng() % 86400000);  // mean 43 ms: two million changes ≈ one day
    tl.note(VTime{t}, uint32_t(rng() % 40000), uint32_t(rng() % 20000), uint8_t(rng() % 100));
    max_seen = std::max(max_seen, tl.buckets().size());
    if (data && tl.buckets().data() != data) reallocated = true;
    data = tl.buckets().data();
  }
  CHECK(t > 80000 * 1000000000LL);
  CHECK(max_seen <= 512);
  CHECK(max_seen > 256);
  CHECK_FALSE(reallocated);
  CHECK(tl.buckets().capacity() == capacity);
  CHECK(tl.bucket_width() == VTime::from_s(256));  // 1 s doubled until a day fits 512 buckets
  for (int i = 0; i < 1000; ++i) tl.mark(VTime{t}, HeapTimeline::kCrash, "Exception 3");
  CHECK(tl.marks().size() == 256);
  CHECK(tl.marks_dropped() == 744);
}

TEST_CASE("heap timeline: constructor limits are checked, with context") {
  CHECK_THROWS_WITH_AS(HeapTimeline(1), doctest::Contains("heap timeline: max_buckets is 1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(HeapTimeline(16, VTime{0}), doctest::Contains("start bucket width is 0 ns"),
                       std::invalid_argument);
  CHECK_NOTHROW(HeapTimeline(2, VTime{1}));
}

TEST_CASE("heap timeline: CSV rows are the non-empty buckets, marks are comment lines") {
  HeapTimeline tl(4, VTime::from_s(1), 2);
  tl.note(VTime::from_ms(500), 1000, 900, 5);
  tl.note(VTime::from_ms(700), 800, 700, 10);
  tl.note(VTime::from_ms(2200), 1200, 1100, 2);
  tl.mark(VTime::from_ms(2500), HeapTimeline::kCrash, "Exception 29");
  tl.note(VTime::from_ms(5100), 700, 600, 20);  // past 4 buckets of 1 s: width 2 s
  CHECK(render_heap_timeline_csv(tl) ==
        "t_s,free_min,max_block_min,frag_max\n"
        "0.000,800,700,10\n"
        "2.000,1200,1100,2\n"
        "4.000,700,600,20\n"
        "# bucket_width_s,2.000\n"
        "# mark,2.500,c,Exception 29\n");
  tl.note(VTime::from_ms(11000), 3000, 2500, 1);  // width 4 s; bucket [8 s, 12 s) and nothing in between
  tl.mark(VTime::from_ms(11500), HeapTimeline::kBoot, "reset, \"reason\" 2");
  tl.mark(VTime::from_ms(11600), HeapTimeline::kBoot, "dropped");
  CHECK(render_heap_timeline_csv(tl) ==
        "t_s,free_min,max_block_min,frag_max\n"
        "0.000,800,700,10\n"
        "4.000,700,600,20\n"
        "8.000,3000,2500,1\n"
        "# bucket_width_s,4.000\n"
        "# mark,2.500,c,Exception 29\n"
        "# mark,11.500,b,\"reset, \"\"reason\"\" 2\"\n"
        "# marks_dropped,1\n");
  // Sub-millisecond widths print exactly.
  HeapTimeline fine(8, VTime::from_us(250));
  fine.note(VTime::from_us(260), 10, 9, 1);
  CHECK(render_heap_timeline_csv(fine) ==
        "t_s,free_min,max_block_min,frag_max\n0.000250,10,9,1\n# bucket_width_s,0.000250\n");
  // Random input: one row per non-empty bucket.
  HeapTimeline big = fed_timeline(11);
  const std::string csv = render_heap_timeline_csv(big);
  const size_t non_empty = size_t(std::count_if(big.buckets().begin(), big.buckets().end(),
                                                [](const HeapTimelineBucket& b) { return b.samples > 0; }));
  CHECK(non_empty < big.buckets().size());  // the gaps left empty buckets
  CHECK(count(csv, "\n") == 1 + non_empty + 1 + 3);
}

TEST_CASE("heap timeline: the SVG plots the bucket lows, the marks, and is well-formed") {
  HeapTimeline tl(16, VTime::from_s(1));
  tl.note(VTime::from_s(0), 3000, 3000, 0);
  tl.note(VTime::from_ms(1200), 1024, 512, 40);   // bucket 1's lows …
  tl.note(VTime::from_ms(1500), 2048, 2048, 10);  // … not its last values
  tl.mark(VTime::from_ms(1600), HeapTimeline::kCrash, "Exception 29 <&>");
  tl.mark(VTime::from_ms(1700), HeapTimeline::kBoot, "");
  tl.note(VTime::from_s(9), 3500, 3400, 3);
  const std::string svg = render_heap_timeline_svg(tl, "dev-7 <heap>", 4096);
  CHECK(svg.rfind("<svg ", 0) == 0);
  CHECK(count(svg, "<svg") == 1);
  CHECK(svg.size() >= 7);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
  CHECK(tags_balanced(svg));
  CHECK(count(svg, "<polyline") == 3);
  for (const char* id : {"free", "max-block", "frag"}) {
    CAPTURE(id);
    CHECK(count(svg, std::string("<polyline id=\"") + id + "\"") == 1);
    CHECK(count(svg, std::string("id=\"legend-") + id + "\"") == 1);
  }
  CHECK(svg.find("dev-7 &lt;heap&gt;") != std::string::npos);
  CHECK(count(svg, "class=\"mark crash\" data-t=\"1.600\"") == 1);
  CHECK(count(svg, "class=\"mark boot\" data-t=\"1.700\"") == 1);
  CHECK(svg.find(">Exception 29 &lt;&amp;&gt;</text>") != std::string::npos);
  CHECK(svg.find("lowest free 1024 B, lowest max block 512 B, highest fragmentation 40%; 1 crash, 1 boot") !=
        std::string::npos);
  // Plot 70..830 × 70..300, 0..4096 B, span 9 s: bucket 1 is x 154.4..238.9, its low 1024 B at
  // y 242.5 (not its last value 2048 B at 185.0), its 40 % fragmentation at y 208.0.
  const std::string free = polyline_points(svg, "free");
  CHECK(free.find("154.4,242.5 238.9,242.5") != std::string::npos);
  CHECK(free.find("154.4,185.0") == std::string::npos);
  CHECK(polyline_points(svg, "max-block").find("154.4,271.2 238.9,271.2") != std::string::npos);
  CHECK(polyline_points(svg, "frag").find("154.4,208.0 238.9,208.0") != std::string::npos);
  // Buckets 2..8 were empty: the heap held bucket 1's last value 2048 B (y 185.0) until 9 s.
  CHECK(free.find("238.9,185.0 830.0,185.0 830.0,") != std::string::npos);
  // Left axis in KB, right in %, time in seconds for a 9 s span.
  CHECK(svg.find(">4 KB</text>") != std::string::npos);
  CHECK(svg.find(">100 %</text>") != std::string::npos);
  CHECK(group(svg, "axis-time").find(">8 s</text>") != std::string::npos);
}

TEST_CASE("heap timeline: time ticks follow the span; empty timelines draw no series") {
  HeapTimeline hours(512, VTime::from_s(1));
  hours.note(VTime::from_s(0), 40000, 30000, 5);
  hours.note(VTime::from_s(2 * 3600 + 5), 30000, 20000, 9);
  const std::string h = render_heap_timeline_svg(hours, "t", 49152);
  CHECK(group(h, "axis-time").find(">30 min</text>") != std::string::npos);
  CHECK(h.find(">40 KB</text>") != std::string::npos);
  HeapTimeline day(512, VTime::from_s(1));
  day.note(VTime::from_s(0), 40000, 30000, 5);
  day.note(VTime::from_s(86400), 30000, 20000, 9);
  const std::string d = render_heap_timeline_svg(day, "t", 49152);
  const std::string dt = group(d, "axis-time");
  CHECK(dt.find(">24 h</text>") != std::string::npos);
  CHECK(dt.find(" s</text>") == std::string::npos);
  CHECK(dt.find(" min</text>") == std::string::npos);

  HeapTimeline empty;
  empty.mark(VTime::from_s(2), HeapTimeline::kBoot, "power on");
  const std::string e = render_heap_timeline_svg(empty, "none", 49152);
  CHECK(count(e, "<polyline") == 0);
  CHECK(e.find("no heap samples") != std::string::npos);
  CHECK(count(e, "class=\"mark boot\"") == 1);
  CHECK(tags_balanced(e));
  CHECK(render_heap_timeline_csv(empty) ==
        "t_s,free_min,max_block_min,frag_max\n# bucket_width_s,1.000\n# mark,2.000,b,power on\n");
}

TEST_CASE("heap timeline: identical inputs give byte-identical CSV and SVG") {
  const HeapTimeline a = fed_timeline(99), b = fed_timeline(99), c = fed_timeline(100);
  const std::string svg_a = render_heap_timeline_svg(a, "dev", 49152);
  CHECK(svg_a == render_heap_timeline_svg(b, "dev", 49152));
  CHECK(svg_a == render_heap_timeline_svg(a, "dev", 49152));
  CHECK(render_heap_timeline_csv(a) == render_heap_timeline_csv(b));
  // … and the output does depend on the input.
  CHECK(svg_a != render_heap_timeline_svg(c, "dev", 49152));
  CHECK(render_heap_timeline_csv(a) != render_heap_timeline_csv(c));
}
