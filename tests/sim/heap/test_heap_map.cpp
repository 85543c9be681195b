// tests/sim/heap/test_heap_map.cpp — owner tags and the heap map: call sites map to tags; a scripted
// set of tagged allocations (directly on a UmmHeap, and through a device's platform calls up to a
// crash) gives per-owner bytes that add up to the used bytes; the SVG outlines the largest free
// chunk at max_free_block's size and offset and has a legend line per owner; the ASCII map's size.
#include <doctest/doctest.h>

#include <memory>
#include <regex>
#include <string>

#include <platform.h>

#include "device_test_support.h"
#include "heap_map.h"
#include "heap_tags.h"
#include "heap_umm.h"

using namespace espfleet;

namespace {

uint64_t bytes_of(size_t n) { return UmmHeap::blocks_for(n) * UmmHeap::kBlockBytes; }

struct TestHeap {
  std::unique_ptr<uint64_t[]> mem;
  std::unique_ptr<UmmHeap> heap;
  explicit TestHeap(size_t bytes)
      : mem(new uint64_t[(UmmHeap::arena_bytes(bytes) + 7) / 8]()), heap(std::make_unique<UmmHeap>(mem.get(), bytes)) {}
};

std::string legend_text(const std::string& svg, const std::string& tag) {
  std::smatch m;
  std::regex re("id=\"legend-" + tag + "\"[^>]*>([^<]*)<");
  return std::regex_search(svg, m, re) ? m[1].str() : std::string();
}

}  // namespace

TEST_CASE("heap tags: the call site names the owner") {
  CHECK(heap_tag_for("/work/main/core/tls_client.cpp", 3408) == HeapTag::tls);
  CHECK(heap_tag_for("core/tls_client.cpp", 1024 + 325) == HeapTag::tls_buffers);
  CHECK(heap_tag_for("core/tls_client.cpp", 1024 + 85) == HeapTag::tls_buffers);
  CHECK(heap_tag_for("core/trust_anchor.cpp", 10) == HeapTag::tls);
  CHECK(heap_tag_for("StackThunk.cpp", 5300) == HeapTag::thunk);
  CHECK(heap_tag_for("core/x509_checks.cpp", 10) == HeapTag::x509);
  CHECK(heap_tag_for("core/mqtt_client.cpp", 10) == HeapTag::mqtt);
  CHECK(heap_tag_for("core/mqtt_codec.cpp", 10) == HeapTag::mqtt);
  CHECK(heap_tag_for("core/app.cpp", 10) == HeapTag::app);
  CHECK(heap_tag_for("core/heap_workload.cpp", 10) == HeapTag::app);
  CHECK(heap_tag_for(nullptr, 10) == HeapTag::new_op);
  CHECK(heap_tag_for("new", 10) == HeapTag::new_op);
  CHECK(heap_tag_for("core/settings.cpp", 10) == HeapTag::other);
  CHECK(std::string(heap_tag_name(HeapTag::tls_buffers)) == "tls_buffers");
  CHECK(std::string(heap_tag_name(HeapTag::new_op)) == "new");
}

TEST_CASE("heap tags: a sorted chunk → tag list, one entry per live chunk") {
  HeapTags t;
  t.set(40, HeapTag::mqtt);
  t.set(3, HeapTag::tls);
  t.set(400, HeapTag::lwip);
  t.set(40, HeapTag::app);  // replaces
  CHECK(t.size() == 3);
  CHECK(t.get(3) == HeapTag::tls);
  CHECK(t.get(40) == HeapTag::app);
  CHECK(t.get(400) == HeapTag::lwip);
  CHECK(t.get(41) == HeapTag::other);
  t.erase(40);
  t.erase(41);
  CHECK(t.size() == 2);
  CHECK(t.get(40) == HeapTag::other);
}

TEST_CASE("heap map: per-owner bytes add up to the used bytes; SVG and ASCII show them") {
  TestHeap th(4096);
  UmmHeap& h = *th.heap;
  HeapTags tags;
  auto alloc = [&](size_t n, HeapTag t) {
    void* p = h.malloc(n);
    REQUIRE(p);
    tags.set(h, p, t);
    return p;
  };
  alloc(100, HeapTag::mqtt);
  void* gap1 = alloc(200, HeapTag::app);
  alloc(1349, HeapTag::tls_buffers);
  void* gap2 = alloc(60, HeapTag::app);
  alloc(500, HeapTag::thunk);
  alloc(30, HeapTag::lwip);
  tags.erase(h, gap1);
  h.free(gap1);
  tags.erase(h, gap2);
  h.free(gap2);
  alloc(20, HeapTag::mqtt);  // best fit: into the smaller hole
  REQUIRE(h.check_integrity() == "");

  HeapMapData m = heap_map_snapshot(h, tags);
  CHECK(m.tag_bytes[size_t(HeapTag::mqtt)] == bytes_of(100) + bytes_of(20));
  CHECK(m.tag_bytes[size_t(HeapTag::tls_buffers)] == bytes_of(1349));
  CHECK(m.tag_bytes[size_t(HeapTag::thunk)] == bytes_of(500));
  CHECK(m.tag_bytes[size_t(HeapTag::lwip)] == bytes_of(30));
  CHECK(m.tag_bytes[size_t(HeapTag::app)] == 0);
  CHECK(m.tag_bytes[size_t(HeapTag::other)] == 0);
  uint64_t sum = 0, used_blocks = 0, free_blocks = 0;
  for (uint64_t b : m.tag_bytes) sum += b;
  for (auto& c : m.chunks) (c.used ? used_blocks : free_blocks) += c.blocks;
  CHECK(sum == 8 * used_blocks);
  CHECK(m.used_bytes == sum);
  CHECK(8 * free_blocks == h.free_bytes());
  CHECK(used_blocks + free_blocks + 2 == h.size() / 8);  // + list head and end marker
  REQUIRE(m.largest_free >= 0);
  const HeapMapChunk& big = m.chunks[size_t(m.largest_free)];
  CHECK(!big.used);
  CHECK(big.blocks * 8 == h.max_free_block());
  CHECK(m.max_free_block == h.max_free_block());
  CHECK(m.fragmentation == h.fragmentation());
  CHECK(m.fragmentation > 0);

  std::string svg = render_heap_svg(m, "test heap");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("<g id=\"largest-free\" data-offset=\"" + std::to_string(big.first * 8) + "\" data-bytes=\"" +
                 std::to_string(h.max_free_block()) + "\"") != std::string::npos);
  // The outline spans the chunk: its rects' widths add up to its blocks (10 px per block).
  size_t g = svg.find("<g id=\"largest-free\""), gend = svg.find("</g>", g);
  std::string outline = svg.substr(g, gend - g);
  std::regex wre(" width=\"([0-9]+)\"");
  int width = 0;
  for (auto it = std::sregex_iterator(outline.begin(), outline.end(), wre); it != std::sregex_iterator(); ++it)
    width += std::stoi((*it)[1].str());
  CHECK(width == int(big.blocks) * 10);
  CHECK(legend_text(svg, "mqtt") == "mqtt " + std::to_string(bytes_of(100) + bytes_of(20)) + " B");
  CHECK(legend_text(svg, "tls_buffers") == "tls_buffers " + std::to_string(bytes_of(1349)) + " B");
  CHECK(legend_text(svg, "thunk") == "thunk " + std::to_string(bytes_of(500)) + " B");
  CHECK(legend_text(svg, "lwip") == "lwip " + std::to_string(bytes_of(30)) + " B");
  CHECK(legend_text(svg, "free") == "free " + std::to_string(h.free_bytes()) + " B");
  CHECK(legend_text(svg, "app").empty());  // no used bytes: no line
  CHECK(svg.find("max block " + std::to_string(h.max_free_block()) + " B") != std::string::npos);

  // ASCII: 512 blocks, 4 a character, 64 a line: 2 lines of 64, then figures and legend.
  std::string ascii = render_heap_ascii(m, 4, 64);
  size_t first_nl = ascii.find('\n');
  CHECK(first_nl == 64);
  CHECK(ascii.substr(65, 64).size() == 64);
  CHECK(ascii[129] == '\n');
  CHECK(ascii.find("free ", 130) == 130);
  CHECK(ascii[0] == 'M');  // blocks 0..3: the list head, then mqtt's first chunk
  CHECK(ascii.find("M mqtt " + std::to_string(bytes_of(100) + bytes_of(20)) + " B\n") != std::string::npos);
  CHECK(render_heap_ascii(m, 1, 64).find('\n') == 64);
  long k = std::count(ascii.begin(), ascii.begin() + 129, 'K');  // thunk: 63 blocks, 4 a character
  CHECK(k >= long(bytes_of(500) / 8 / 4));
  CHECK(k <= long(bytes_of(500) / 8 / 4 + 1));
}

// Through a device: the platform's heap calls and the thunk block tag chunks by call site; the
// crash callback sees the same heap (and tags) the firmware left.
namespace {
HeapMapData g_before, g_at_crash;
bool g_crashed = false;
void tagging_program() {
  EspPlatform* p = esp_platform();
  p->heap_malloc(100, "/src/core/mqtt_client.cpp", 1);
  void* buf = p->heap_malloc(1349, "core/tls_client.cpp", 2);
  void* tmp = p->heap_malloc(44, "core/app.cpp", 3);
  p->heap_malloc(200, "core/x509_checks.cpp", 4);
  p->heap_free(tmp, "core/app.cpp", 5);
  p->heap_realloc(nullptr, 20, "core/mqtt_codec.cpp", 6);
  buf = p->heap_realloc(buf, 1400, "core/somewhere.cpp", 7);  // the owner stays
  p->thunk_acquire(2000);
  p->heap_calloc(3, 10, "core/trust_anchor.cpp", 8);
  void* n = p->heap_malloc(24, "new", 0);
  p->heap_free(n, "delete", 0);
  p->heap_malloc(24, "new", 0);
  Device* d = &test::running_device();
  {
    HostSection host;
    g_before = heap_map_snapshot(d->heap().model(), d->heap().tags());
  }
  if (!g_crashed) p->oom_abort(99999);
  for (;;) p->delay_ms(1000);
}
}  // namespace

TEST_CASE("heap map: a device's allocations are tagged by call site; the crash callback sees them") {
  g_crashed = false;
  FleetOptions o = test::fast_options(&tagging_program, 2);
  o.on_crash = [](Device& d, ResetReason, const std::string&, const std::string&) {
    g_at_crash = heap_map_snapshot(d.heap().model(), d.heap().tags());
    g_crashed = true;
  };
  Fleet eng(o, 1, 16384);
  Device& dev = eng.add_device(0, test::plain_device(80, 16384), 1, {}, VTime{});
  eng.run();
  REQUIRE(g_crashed);
  const HeapMapData& m = g_at_crash;
  CHECK(m.tag_bytes[size_t(HeapTag::mqtt)] == bytes_of(100) + bytes_of(20));
  CHECK(m.tag_bytes[size_t(HeapTag::tls_buffers)] == bytes_of(1400));
  CHECK(m.tag_bytes[size_t(HeapTag::x509)] == bytes_of(200));
  CHECK(m.tag_bytes[size_t(HeapTag::thunk)] == bytes_of(2000));
  CHECK(m.tag_bytes[size_t(HeapTag::tls)] == bytes_of(30));
  CHECK(m.tag_bytes[size_t(HeapTag::new_op)] == bytes_of(24));
  CHECK(m.tag_bytes[size_t(HeapTag::app)] == 0);
  CHECK(m.tag_bytes[size_t(HeapTag::other)] == 0);
  CHECK(m.used_bytes == 16384 - 16 - m.free_bytes);
  CHECK(m.chunks.size() == g_before.chunks.size());
  CHECK(m.tag_bytes == g_before.tag_bytes);
  CHECK(m.free_bytes == g_before.free_bytes);
  REQUIRE(m.largest_free >= 0);
  CHECK(m.chunks[size_t(m.largest_free)].blocks * 8 == m.max_free_block);
  // After the reboot the heap and its tags start afresh (the second boot re-allocates the same).
  CHECK(dev.heap().tags().size() == 7);
}
