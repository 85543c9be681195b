// sim/heap/heap_timeline.cpp — the bounded heap sampler and its CSV / SVG renderings (sim/heap/heap_timeline.h).
#include "heap_timeline.h"
#include "svg_text.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace espfleet {

namespace {
constexpr const char* kFreeColour = "#1f77b4";
constexpr const char* kBlockColour = "#2ca02c";
constexpr const char* kFragColour = "#ff7f0e";
constexpr const char* kCrashColour = "#d62728";
constexpr const char* kBootColour = "#8c8c8c";
constexpr const char* kOtherColour = "#404040";
constexpr const char* kGridColour = "#e8e8e8";
constexpr const char* kFrameColour = "#808080";

constexpr size_t kMarkLabelChars = 36;  // what fits the plot's height, written sideways at 10 px
constexpr double kMarkLabelGap = 12;    // px between labelled marks
constexpr int64_t kNsPerMs = 1000000, kNsPerS = 1000000000, kNsPerMin = 60 * kNsPerS, kNsPerH = 60 * kNsPerMin;

// ns ≥ 0 as seconds with `decimals` (0..9) digits, truncated; exact integer arithmetic.
std::string seconds_text(int64_t ns, int decimals) {
  char buf[48];
  const int64_t whole = ns / kNsPerS, rem = ns % kNsPerS;
  decimals = std::min(decimals, 9);
  if (decimals <= 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)whole);
  } else {
    int64_t div = 1;
    for (int i = decimals; i < 9; ++i) div *= 10;
    snprintf(buf, sizeof buf, "%lld.%0*lld", (long long)whole, decimals, (long long)(rem / div));
  }
  return buf;
}

// Decimals that print every multiple of width_ns exactly: 3, 6 or 9.
int decimals_for(int64_t width_ns) {
  if (width_ns % kNsPerMs == 0) return 3;
  if (width_ns % 1000 == 0) return 6;
  return 9;
}

// A duration for people: "2 s", "0.250 s", "256 s".
std::string duration_text(int64_t ns) {
  return ns % kNsPerS == 0 ? seconds_text(ns, 0) + " s" : seconds_text(ns, decimals_for(ns)) + " s";
}

std::string csv_field(const std::string& s) {
  std::string r;
  bool quote = false;
  for (char c : s) {
    if (c == '\n' || c == '\r') c = ' ';
    if (c == ',' || c == '"') quote = true;
    if (c == '"') r += '"';
    r += c;
  }
  return quote ? "\"" + r + "\"" : r;
}

std::string num(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// One step series: (time ns, value) corners, horizontal runs of equal value collapsed.
struct StepSeries {
  std::vector<std::pair<int64_t, double>> pts;
  void add(int64_t t, double v) {
    const size_t n = pts.size();
    if (n >= 1 && pts[n - 1].first == t && pts[n - 1].second == v) return;
    if (n >= 2 && pts[n - 1].second == v && pts[n - 2].second == v) {
      pts[n - 1].first = t;
      return;
    }
    pts.emplace_back(t, v);
  }
};

// The bucket lows (or highs) as a step function over [first sample, span_end]: a bucket without
// samples holds the previous bucket's last value, and the last value holds to span_end.
template <class Pick, class PickLast>
StepSeries step_series(const HeapTimeline& tl, int64_t span_end, Pick pick, PickLast pick_last) {
  StepSeries s;
  const auto& bs = tl.buckets();
  const int64_t w = tl.bucket_width().ns;
  bool started = false;
  double last = 0;
  int64_t end = 0;
  for (size_t i = 0; i < bs.size(); ++i) {
    const int64_t start = int64_t(i) * w;
    end = std::min(start + w, span_end);
    double v;
    if (bs[i].samples) {
      v = double(pick(bs[i]));
      last = double(pick_last(bs[i]));
      started = true;
    } else if (!started) {
      continue;
    } else {
      v = last;
    }
    s.add(start, v);
    s.add(end, v);
  }
  if (started && end < span_end) {
    s.add(end, last);
    s.add(span_end, last);
  }
  return s;
}

// The smallest "nice" tick step (1-2-5 × 10^k) of at least raw; raw > 0.
double nice_step(double raw) {
  for (double p = 0.001;; p *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (p * m >= raw) return p * m;
}

// A time tick step for a span: at most 8 intervals, in ms / s / min / h steps.
int64_t time_step(int64_t span) {
  static constexpr int64_t kSteps[] = {
      1 * kNsPerMs,   2 * kNsPerMs,   5 * kNsPerMs,  10 * kNsPerMs, 20 * kNsPerMs,  50 * kNsPerMs,  100 * kNsPerMs,
      200 * kNsPerMs, 500 * kNsPerMs, 1 * kNsPerS,   2 * kNsPerS,   5 * kNsPerS,    10 * kNsPerS,   15 * kNsPerS,
      30 * kNsPerS,   1 * kNsPerMin,  2 * kNsPerMin, 5 * kNsPerMin, 10 * kNsPerMin, 15 * kNsPerMin, 30 * kNsPerMin,
      1 * kNsPerH,    2 * kNsPerH,    3 * kNsPerH,   6 * kNsPerH,   12 * kNsPerH,   24 * kNsPerH};
  for (int64_t s : kSteps)
    if (span / s <= 8) return s;
  int64_t s = 24 * kNsPerH;
  while (span / s > 8) s *= 2;
  return s;
}

std::string time_label(int64_t t, int64_t step) {
  if (t == 0) return "0";
  const char* unit = step < kNsPerS ? "ms" : step < kNsPerMin ? "s" : step < kNsPerH ? "min" : "h";
  const int64_t per = step < kNsPerS ? kNsPerMs : step < kNsPerMin ? kNsPerS : step < kNsPerH ? kNsPerMin : kNsPerH;
  return std::to_string(t / per) + " " + unit;
}
}  // namespace

HeapTimeline::HeapTimeline(size_t max_buckets, VTime start_width, size_t max_marks)
    : max_buckets_(max_buckets), start_width_(start_width), width_(start_width), max_marks_(max_marks) {
  if (max_buckets < 2)
    throw std::invalid_argument("heap timeline: max_buckets is " + std::to_string(max_buckets) + ", needs at least 2");
  if (start_width.ns <= 0)
    throw std::invalid_argument("heap timeline: start bucket width is " + std::to_string(start_width.ns) +
                                " ns, needs to be positive");
  buckets_.reserve(max_buckets);
}

void HeapTimeline::merge_pairs() {
  const size_t n = buckets_.size(), m = (n + 1) / 2;
  for (size_t j = 0; j < m; ++j) {
    HeapTimelineBucket a = buckets_[2 * j];
    if (2 * j + 1 < n) {
      const HeapTimelineBucket& b = buckets_[2 * j + 1];
      if (a.samples == 0) {
        a = b;
      } else if (b.samples) {
        a.samples += b.samples;
        a.free_min = std::min(a.free_min, b.free_min);
        a.max_block_min = std::min(a.max_block_min, b.max_block_min);
        a.frag_max = std::max(a.frag_max, b.frag_max);
        a.free_last = b.free_last;
        a.max_block_last = b.max_block_last;
        a.frag_last = b.frag_last;
      }
    }
    buckets_[j] = a;
  }
  buckets_.resize(m);
  width_.ns *= 2;
}

void HeapTimeline::note(VTime t, uint32_t free_bytes, uint32_t max_block, uint8_t frag_pct) {
  const int64_t ns = std::max<int64_t>(t.ns, 0);
  size_t idx = size_t(ns / width_.ns);
  while (idx >= max_buckets_) {
    merge_pairs();
    idx = size_t(ns / width_.ns);
  }
  if (idx >= buckets_.size()) buckets_.resize(idx + 1);  // within the reserved capacity
  HeapTimelineBucket& b = buckets_[idx];
  if (b.samples == 0) {
    b.free_min = free_bytes;
    b.max_block_min = max_block;
    b.frag_max = frag_pct;
  } else {
    b.free_min = std::min(b.free_min, free_bytes);
    b.max_block_min = std::min(b.max_block_min, max_block);
    b.frag_max = std::max(b.frag_max, frag_pct);
  }
  ++b.samples;
  b.free_last = free_bytes;
  b.max_block_last = max_block;
  b.frag_last = frag_pct;
  ++notes_;
  if (ns > latest_.ns) latest_.ns = ns;
}

void HeapTimeline::mark(VTime t, char kind, std::string label) {
  const int64_t ns = std::max<int64_t>(t.ns, 0);
  if (ns > latest_.ns) latest_.ns = ns;
  if (marks_.size() < max_marks_)
    marks_.push_back(HeapTimelineMark{VTime{ns}, kind, std::move(label)});
  else
    ++marks_dropped_;
}

std::string render_heap_timeline_csv(const HeapTimeline& tl) {
  const int64_t w = tl.bucket_width().ns;
  const int dec = decimals_for(w);
  std::string s = "t_s,free_min,max_block_min,frag_max\n";
  const auto& bs = tl.buckets();
  for (size_t i = 0; i < bs.size(); ++i) {
    if (!bs[i].samples) continue;
    s += seconds_text(int64_t(i) * w, dec) + "," + std::to_string(bs[i].free_min) + "," +
         std::to_string(bs[i].max_block_min) + "," + std::to_string(unsigned(bs[i].frag_max)) + "\n";
  }
  s += "# bucket_width_s," + seconds_text(w, dec) + "\n";
  for (const HeapTimelineMark& m : tl.marks())
    s += "# mark," + seconds_text(m.t.ns, 3) + "," + std::string(1, m.kind) + "," + csv_field(m.label) + "\n";
  if (tl.marks_dropped()) s += "# marks_dropped," + std::to_string(tl.marks_dropped()) + "\n";
  return s;
}

std::string render_heap_timeline_svg(const HeapTimeline& tl, const std::string& title, uint32_t heap_bytes) {
  const int width = 900, height = 360;
  const int px0 = 70, px1 = 830, py0 = 70, py1 = 300;
  const double pw = px1 - px0, ph = py1 - py0;
  const auto& bs = tl.buckets();

  // Extents: time 0..span (at least one bucket), bytes 0..ymax (the heap, or more if noted).
  const int64_t span = std::max(tl.latest().ns, tl.bucket_width().ns);
  uint32_t lowest_free = UINT32_MAX, lowest_block = UINT32_MAX, top = heap_bytes;
  unsigned highest_frag = 0;
  for (const HeapTimelineBucket& b : bs) {
    if (!b.samples) continue;
    lowest_free = std::min(lowest_free, b.free_min);
    lowest_block = std::min(lowest_block, b.max_block_min);
    highest_frag = std::max<unsigned>(highest_frag, b.frag_max);
    top = std::max({top, b.free_last, b.max_block_last, b.free_min});
  }
  const double ymax = top ? double(top) : 1024.0;
  auto x_of = [&](int64_t t) { return px0 + pw * double(t) / double(span); };
  auto y_left = [&](double v) { return py1 - ph * v / ymax; };
  auto y_right = [&](double pct) { return py1 - ph * std::min(pct, 100.0) / 100.0; };
  size_t crashes = 0, boots = 0;
  for (const HeapTimelineMark& m : tl.marks()) {
    if (m.kind == HeapTimeline::kCrash)
      ++crashes;
    else if (m.kind == HeapTimeline::kBoot)
      ++boots;
  }

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"monospace\" font-size=\"12\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" << xml_escape(title) << "</text>\n";
  s << "<text id=\"figures\" x=\"10\" y=\"38\" font-size=\"11\">";
  if (tl.notes()) {
    s << "lowest free " << lowest_free << " B, lowest max block " << lowest_block << " B, highest fragmentation "
      << highest_frag << "%; ";
  } else {
    s << "no heap samples; ";
  }
  s << crashes << " crash" << (crashes == 1 ? "" : "es") << ", " << boots << " boot" << (boots == 1 ? "" : "s");
  if (tl.marks_dropped()) s << " (+" << tl.marks_dropped() << " not kept)";
  s << "; bucket " << duration_text(tl.bucket_width().ns) << "</text>\n";

  // Legend.
  int lx = 10;
  auto legend = [&](const char* id, const char* colour, const char* dash, const std::string& label) {
    s << "<line x1=\"" << lx << "\" y1=\"52\" x2=\"" << lx + 20 << "\" y2=\"52\" stroke=\"" << colour
      << "\" stroke-width=\"2\"" << dash << "/>";
    s << "<text class=\"legend\" id=\"legend-" << id << "\" x=\"" << lx + 26 << "\" y=\"56\">" << label << "</text>\n";
    lx += 26 + int(label.size()) * 8 + 16;
  };
  legend("free", kFreeColour, "", "free heap (low)");
  legend("max-block", kBlockColour, "", "largest block (low)");
  legend("frag", kFragColour, "", "fragmentation (high, right)");
  legend("crash", kCrashColour, "", "crash");
  legend("boot", kBootColour, " stroke-dasharray=\"4,3\"", "boot");

  // Axes: left in KB, right in %, time below; grid lines from the left ticks.
  const double step_kb = nice_step(ymax / 1024.0 / 5.0);
  int kb_decimals = 0;
  for (double st = step_kb; st < 1.0 && kb_decimals < 3; st *= 10) ++kb_decimals;
  s << "<g id=\"axis-left\" font-size=\"11\" text-anchor=\"end\">\n";
  for (int k = 0;; ++k) {
    const double v = k * step_kb * 1024.0;
    if (v > ymax + 0.5) break;
    char label[32];
    snprintf(label, sizeof label, "%.*f KB", kb_decimals, k * step_kb);
    const std::string y = num(y_left(v));
    s << "<line x1=\"" << px0 << "\" y1=\"" << y << "\" x2=\"" << px1 << "\" y2=\"" << y << "\" stroke=\""
      << kGridColour << "\"/><text x=\"" << px0 - 6 << "\" y=\"" << num(y_left(v) + 4) << "\">" << label << "</text>\n";
  }
  s << "</g>\n";
  s << "<g id=\"axis-right\" font-size=\"11\" fill=\"" << kFragColour << "\">\n";
  for (int p = 0; p <= 100; p += 25)
    s << "<text x=\"" << px1 + 6 << "\" y=\"" << num(y_right(p) + 4) << "\">" << p << " %</text>\n";
  s << "</g>\n";
  const int64_t tstep = time_step(span);
  s << "<g id=\"axis-time\" font-size=\"11\" text-anchor=\"middle\">\n";
  for (int64_t t = 0; t <= span; t += tstep) {
    const std::string x = num(x_of(t));
    s << "<line x1=\"" << x << "\" y1=\"" << py1 << "\" x2=\"" << x << "\" y2=\"" << py1 + 4 << "\" stroke=\""
      << kFrameColour << "\"/><text x=\"" << x << "\" y=\"" << py1 + 16 << "\">" << time_label(t, tstep) << "</text>\n";
  }
  s << "</g>\n";
  s << "<rect x=\"" << px0 << "\" y=\"" << py0 << "\" width=\"" << int(pw) << "\" height=\"" << int(ph)
    << "\" fill=\"none\" stroke=\"" << kFrameColour << "\"/>\n";
  s << "<text x=\"18\" y=\"" << (py0 + py1) / 2 << "\" transform=\"rotate(-90 18 " << (py0 + py1) / 2
    << ")\" text-anchor=\"middle\">heap (KB)</text>\n";
  s << "<text x=\"884\" y=\"" << (py0 + py1) / 2 << "\" transform=\"rotate(-90 884 " << (py0 + py1) / 2
    << ")\" text-anchor=\"middle\" fill=\"" << kFragColour << "\">fragmentation</text>\n";
  s << "<text x=\"" << px0 << "\" y=\"342\" font-size=\"11\">simulated time; each point: the lowest heap and "
    << "highest fragmentation noted in a bucket of " << duration_text(tl.bucket_width().ns) << "</text>\n";

  // Marks, under the series: a vertical line each, the label hanging from the plot's top (read
  // upwards) unless the previous label is closer than a text line (the <title> names every mark).
  double last_label_x = -1e9;
  for (const HeapTimelineMark& m : tl.marks()) {
    const bool crash = m.kind == HeapTimeline::kCrash, boot = m.kind == HeapTimeline::kBoot;
    const char* cls = crash ? "crash" : boot ? "boot" : "other";
    const char* colour = crash ? kCrashColour : boot ? kBootColour : kOtherColour;
    const std::string x = num(x_of(m.t.ns)), label = xml_escape(m.label);
    const std::string shown =
        xml_escape(m.label.size() > kMarkLabelChars ? m.label.substr(0, kMarkLabelChars - 3) + "..." : m.label);
    s << "<g class=\"mark " << cls << "\" data-t=\"" << seconds_text(m.t.ns, 3) << "\"><title>" << cls << " at "
      << seconds_text(m.t.ns, 3) << " s" << (label.empty() ? "" : ": ") << label << "</title>";
    s << "<line x1=\"" << x << "\" y1=\"" << py0 << "\" x2=\"" << x << "\" y2=\"" << py1 << "\" stroke=\"" << colour
      << "\" stroke-width=\"" << (crash ? "1.5" : "1") << "\"" << (boot ? " stroke-dasharray=\"4,3\"" : "") << "/>";
    if (!label.empty() && x_of(m.t.ns) - last_label_x >= kMarkLabelGap) {
      last_label_x = x_of(m.t.ns);
      // Left of the line (the glyphs' tops face left), or right of it at the plot's left edge.
      const std::string lxs = num(x_of(m.t.ns) - px0 >= 12 ? x_of(m.t.ns) - 3 : x_of(m.t.ns) + 11);
      s << "<text x=\"" << lxs << "\" y=\"" << py0 + 4 << "\" transform=\"rotate(-90 " << lxs << " " << py0 + 4
        << ")\" text-anchor=\"end\" font-size=\"10\" fill=\"" << colour << "\">" << shown << "</text>";
    }
    s << "</g>\n";
  }

  // The three series, fragmentation lowest.
  auto polyline = [&](const char* id, const char* colour, const StepSeries& ser, bool right) {
    s << "<polyline id=\"" << id << "\" fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.5\" points=\"";
    for (size_t i = 0; i < ser.pts.size(); ++i)
      s << (i ? " " : "") << num(x_of(ser.pts[i].first)) << ","
        << num(right ? y_right(ser.pts[i].second) : y_left(ser.pts[i].second));
    s << "\"/>\n";
  };
  if (tl.notes()) {
    polyline("frag", kFragColour,
             step_series(
                 tl, span, [](const HeapTimelineBucket& b) { return b.frag_max; },
                 [](const HeapTimelineBucket& b) { return b.frag_last; }),
             true);
    polyline("max-block", kBlockColour,
             step_series(
                 tl, span, [](const HeapTimelineBucket& b) { return b.max_block_min; },
                 [](const HeapTimelineBucket& b) { return b.max_block_last; }),
             false);
    polyline("free", kFreeColour,
             step_series(
                 tl, span, [](const HeapTimelineBucket& b) { return b.free_min; },
                 [](const HeapTimelineBucket& b) { return b.free_last; }),
             false);
  } else {
    s << "<text x=\"" << (px0 + px1) / 2 << "\" y=\"" << (py0 + py1) / 2 << "\" text-anchor=\"middle\" fill=\""
      << kFrameColour << "\">no heap samples</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace espfleet
