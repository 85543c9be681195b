// sim/heap/heap_map.cpp — heap snapshots and their SVG / ASCII renderings (sim/heap/heap_map.h).
#include "heap_map.h"

#include <algorithm>
#include <sstream>

#include "chip_heap.h"
#include "svg_text.h"

namespace espfleet {

namespace {
constexpr const char* kColour[kHeapTagCount] = {
    "#8c8c8c",  // other
    "#d62728",  // tls
    "#ff9896",  // tls_buffers
    "#9467bd",  // thunk
    "#e377c2",  // x509
    "#1f77b4",  // lwip
    "#2ca02c",  // mqtt
    "#ff7f0e",  // app
    "#bcbd22",  // new
    "#17becf",  // lua
};
constexpr const char* kFreeColour = "#e8e8e8";
constexpr const char* kHeaderColour = "#404040";
constexpr char kChar[kHeapTagCount] = {'o', 'T', 'B', 'K', 'X', 'L', 'M', 'A', 'N', 'U'};

std::string figures(const HeapMapData& m) {
  std::ostringstream s;
  s << "free " << m.free_bytes << " B, max block " << m.max_free_block << " B, fragmentation "
    << unsigned(m.fragmentation) << "%, used " << m.used_bytes << " B of " << uint64_t(m.total_blocks) * m.unit_bytes
    << " B";
  return s.str();
}
}  // namespace

char heap_tag_char(HeapTag t) { return kChar[size_t(t)]; }

HeapMapData heap_map_snapshot(const ChipHeap& heap, const HeapTags& tags) {
  HeapMapData m;
  m.unit_bytes = heap.unit_bytes();
  m.total_blocks = uint32_t(heap.size() / m.unit_bytes);
  m.free_bytes = heap.free_bytes();
  m.max_free_block = heap.max_free_block();
  m.fragmentation = heap.fragmentation();
  uint32_t best = 0;
  heap.for_each([&](const ChipHeap::Chunk& k) {
    HeapMapChunk c{k.first, k.units, k.used, k.used ? tags.get(k.key) : HeapTag::other};
    const uint64_t bytes = uint64_t(k.units) * m.unit_bytes;
    if (k.used) {
      m.tag_bytes[size_t(c.tag)] += bytes;
      m.used_bytes += bytes;
    } else if (k.units > best) {
      best = k.units;
      m.largest_free = int(m.chunks.size());
    }
    m.chunks.push_back(c);
  });
  return m;
}

std::string render_heap_svg(const HeapMapData& m, const std::string& title, uint32_t per_row) {
  const uint32_t unit = m.unit_bytes ? m.unit_bytes : 8;
  if (per_row == 0) per_row = 512 / unit;
  const int cell = int(std::max<uint32_t>(1, 640 / per_row)), margin = 10, header_h = 50;
  const uint32_t rows = (m.total_blocks + per_row - 1) / per_row;
  const int grid_w = int(per_row) * cell, grid_h = int(rows) * cell;
  const int legend_y = margin + header_h + grid_h + 20, legend_line = 18;
  const int width = std::max(grid_w + 2 * margin, 560);
  const int height = legend_y + int(kHeapTagCount + 2) * legend_line + margin;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"monospace\" font-size=\"12\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"" << margin << "\" y=\"" << margin + 14 << "\" font-size=\"14\" font-weight=\"bold\">"
    << xml_escape(title) << "</text>\n";
  s << "<text id=\"figures\" x=\"" << margin << "\" y=\"" << margin + 34 << "\">" << figures(m) << "</text>\n";
  const int gx = margin, gy = margin + header_h;
  // A run of blocks [first, first+n) as row-clipped rectangles.
  auto run = [&](uint32_t first, uint32_t n, const char* fill, const std::string& what) {
    for (uint32_t b = first; b < first + n;) {
      uint32_t row = b / per_row, col = b % per_row;
      uint32_t len = std::min(per_row - col, first + n - b);
      s << "<rect x=\"" << gx + int(col) * cell << "\" y=\"" << gy + int(row) * cell << "\" width=\"" << int(len) * cell
        << "\" height=\"" << cell << "\" fill=\"" << fill << "\" stroke=\"white\" stroke-width=\"0.5\"><title>" << what
        << "</title></rect>\n";
      b += len;
    }
  };
  // What no chunk covers: the allocator's own structures (umm: the list head and the end
  // marker; TLSF: multi_heap's and TLSF's control structures, the sentinel).
  if (m.total_blocks) {
    const uint32_t head = m.chunks.empty() ? m.total_blocks : m.chunks.front().first;
    const uint32_t tail = m.chunks.empty() ? m.total_blocks : m.chunks.back().first + m.chunks.back().blocks;
    run(0, head, kHeaderColour, unit == 8 ? "block 0: list head" : "heap and TLSF control structures");
    if (tail < m.total_blocks) run(tail, m.total_blocks - tail, kHeaderColour, unit == 8 ? "end marker" : "sentinel");
  }
  for (const HeapMapChunk& c : m.chunks) {
    std::ostringstream what;
    what << (c.used ? heap_tag_name(c.tag) : "free") << ": " << (unit == 8 ? "blocks " : "units ") << c.first << ".."
         << c.first + c.blocks - 1 << ", " << c.blocks * unit << " B at offset " << c.first * unit;
    run(c.first, c.blocks, c.used ? kColour[size_t(c.tag)] : kFreeColour, what.str());
  }
  if (m.largest_free >= 0) {
    const HeapMapChunk& c = m.chunks[size_t(m.largest_free)];
    s << "<g id=\"largest-free\" data-offset=\"" << c.first * unit << "\" data-bytes=\"" << c.blocks * unit
      << "\" fill=\"none\" stroke=\"black\" stroke-width=\"2\">\n";
    for (uint32_t b = c.first; b < c.first + c.blocks;) {
      uint32_t row = b / per_row, col = b % per_row;
      uint32_t len = std::min(per_row - col, c.first + c.blocks - b);
      s << "<rect x=\"" << gx + int(col) * cell << "\" y=\"" << gy + int(row) * cell << "\" width=\"" << int(len) * cell
        << "\" height=\"" << cell << "\"/>\n";
      b += len;
    }
    s << "</g>\n";
  }
  // Legend: owners with used bytes, then free.
  int y = legend_y;
  auto legend = [&](const char* fill, const std::string& label, const std::string& id, bool outline) {
    s << "<rect x=\"" << margin << "\" y=\"" << y - 10 << "\" width=\"12\" height=\"12\" fill=\"" << fill << "\""
      << (outline ? " stroke=\"black\" stroke-width=\"2\"" : "") << "/>";
    s << "<text class=\"legend\" id=\"" << id << "\" x=\"" << margin + 20 << "\" y=\"" << y << "\">" << label
      << "</text>\n";
    y += legend_line;
  };
  for (size_t t = 0; t < kHeapTagCount; ++t) {
    if (!m.tag_bytes[t]) continue;
    legend(kColour[t], std::string(heap_tag_name(HeapTag(t))) + " " + std::to_string(m.tag_bytes[t]) + " B",
           std::string("legend-") + heap_tag_name(HeapTag(t)), false);
  }
  legend(kFreeColour, "free " + std::to_string(m.free_bytes) + " B", "legend-free", false);
  if (m.largest_free >= 0) {
    const HeapMapChunk& c = m.chunks[size_t(m.largest_free)];
    legend("none",
           "largest free block " + std::to_string(c.blocks * unit) + " B at offset " + std::to_string(c.first * unit),
           "legend-largest-free", true);
  }
  s << "</svg>\n";
  return s.str();
}

std::string render_heap_ascii(const HeapMapData& m, uint32_t blocks_per_char, uint32_t per_line) {
  if (blocks_per_char == 0) blocks_per_char = 1;
  if (per_line == 0) per_line = 64;
  // Per block: owner index (0..kHeapTagCount-1), kHeapTagCount = free, kHeapTagCount+1 = header.
  const size_t kFreeIdx = kHeapTagCount, kHdrIdx = kHeapTagCount + 1;
  std::vector<uint8_t> owner(m.total_blocks, uint8_t(kHdrIdx));
  for (const HeapMapChunk& c : m.chunks)
    for (uint32_t b = c.first; b < c.first + c.blocks && b < m.total_blocks; ++b)
      owner[b] = uint8_t(c.used ? size_t(c.tag) : kFreeIdx);
  const uint32_t chars = (m.total_blocks + blocks_per_char - 1) / blocks_per_char;
  std::string s;
  for (uint32_t i = 0; i < chars; ++i) {
    std::array<uint32_t, kHeapTagCount + 2> count{};
    for (uint32_t b = i * blocks_per_char; b < std::min(m.total_blocks, (i + 1) * blocks_per_char); ++b)
      count[owner[b]]++;
    size_t best = size_t(std::max_element(count.begin(), count.end()) - count.begin());
    s += best == kFreeIdx ? '.' : best == kHdrIdx ? '#' : kChar[best];
    if ((i + 1) % per_line == 0 || i + 1 == chars) s += '\n';
  }
  s += figures(m) + "\n";
  s += "one character = " + std::to_string(blocks_per_char) +
       (m.unit_bytes == 4 ? " unit(s) of 4 B\n" : " block(s) of 8 B\n");
  for (size_t t = 0; t < kHeapTagCount; ++t)
    if (m.tag_bytes[t])
      s += std::string(1, kChar[t]) + " " + heap_tag_name(HeapTag(t)) + " " + std::to_string(m.tag_bytes[t]) + " B\n";
  s += ". free " + std::to_string(m.free_bytes) + " B\n";
  if (m.largest_free >= 0) {
    const HeapMapChunk& c = m.chunks[size_t(m.largest_free)];
    s += "largest free block " + std::to_string(c.blocks * m.unit_bytes) + " B at offset " +
         std::to_string(c.first * m.unit_bytes) + "\n";
  }
  return s;
}

}  // namespace espfleet
