// tests/sim/net/test_lwip_rx.cpp — lwIP's receive side as the device sees it: bytes wait in the
// backlog until the device looks, then become 536-byte segments in pbufs on the device heap (80
// bytes of pbuf each), visible from their arrival stamp; the window closes at 2144 unread bytes;
// what the heap cannot hold stays in the backlog; reading frees emptied pbufs.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "device_heap.h"
#include "heap_umm.h"
#include "link_faults.h"
#include "lwip_rx.h"
#include "rng.h"

using namespace espfleet;

namespace {

struct Heap {
  explicit Heap(uint32_t bytes)
      : mem(new uint64_t[UmmHeap::arena_bytes(bytes) / 8 + 1]()), heap(HeapKind::umm, mem.get(), bytes, &cycles, 80) {}
  uint64_t cycles = 0;
  std::unique_ptr<uint64_t[]> mem;
  DeviceHeap heap;
};

std::string bytes(size_t n, char c = 'x') { return std::string(n, c); }

}  // namespace

TEST_CASE("lwip rx: bytes become pbufs only when the device looks, and only once visible") {
  Heap h(16384);
  RxQueue rx(h.heap);
  uint32_t free0 = h.heap.free_bytes();
  std::string b = bytes(1000);
  rx.deliver(b.data(), b.size(), VTime::from_ms(10));
  CHECK(h.heap.free_bytes() == free0);  // still in the backlog: nothing on the device heap
  rx.take_arrived(VTime::from_ms(9));
  CHECK(rx.visible(VTime::from_ms(9)) == 0);
  CHECK(h.heap.free_bytes() == free0);
  rx.take_arrived(VTime::from_ms(10));
  CHECK(rx.held() == 1000);
  CHECK(rx.visible(VTime::from_ms(10)) == 1000);
  // Two segments: 536 + 464 bytes, each with 80 bytes of pbuf, in umm's 8-byte blocks.
  CHECK(free0 - h.heap.free_bytes() == UmmHeap::blocks_for(616) * 8 + UmmHeap::blocks_for(544) * 8);
  CHECK(h.heap.tags().size() == 2);
}

TEST_CASE("lwip rx: reads copy in order and free each pbuf once emptied") {
  Heap h(16384);
  RxQueue rx(h.heap);
  uint32_t free0 = h.heap.free_bytes();
  std::string b;
  for (int i = 0; i < 700; ++i) b += char('a' + i % 26);
  rx.deliver(b.data(), b.size(), VTime{});
  rx.take_arrived(VTime{});
  CHECK(rx.peek(VTime{}) == 'a');
  uint8_t out[600];
  CHECK(rx.read(out, 600, VTime{}) == 600);
  CHECK(std::string(reinterpret_cast<char*>(out), 600) == b.substr(0, 600));
  CHECK(h.heap.tags().size() == 1);  // the first segment (536 bytes) is freed
  CHECK(rx.read(out, 600, VTime{}) == 100);
  CHECK(h.heap.free_bytes() == free0);
  CHECK(rx.peek(VTime{}) == -1);
}

TEST_CASE("lwip rx: the window closes at 4 MSS of unread data") {
  Heap h(16384);
  RxQueue rx(h.heap);
  std::string b = bytes(kTcpWnd - 1);
  rx.deliver(b.data(), b.size(), VTime{});
  CHECK(!rx.window_full());
  rx.deliver("y", 1, VTime{});
  CHECK(rx.window_full());
  rx.take_arrived(VTime{});
  uint8_t out[100];
  rx.read(out, sizeof out, VTime{});
  CHECK(!rx.window_full());
}

TEST_CASE("lwip rx: a segment the heap cannot hold stays in the backlog, and is not the firmware's failure") {
  Heap h(1024);
  RxQueue rx(h.heap);
  std::string b = bytes(3 * kMss);
  rx.deliver(b.data(), b.size(), VTime{});
  rx.take_arrived(VTime{});
  CHECK(rx.held() == kMss);  // one segment fits a 1 KB heap
  CHECK(h.heap.figures().failures == 0);
  CHECK(!h.heap.last_failed().any());
  uint8_t out[kMss];
  CHECK(rx.read(out, kMss, VTime{}) == kMss);
  rx.take_arrived(VTime{});
  CHECK(rx.held() == kMss);  // the next one, now that there is room
  rx.clear();
  CHECK(rx.held() == 0);
  CHECK(h.heap.tags().size() == 0);
}

TEST_CASE("lwip rx: on a capped link each segment is visible once it and those before it have crossed the wire") {
  Heap h(16384);
  RxQueue rx(h.heap);
  std::string b = bytes(1000);
  rx.deliver(b.data(), b.size(), VTime::from_ms(10));
  rx.take_arrived(VTime::from_ms(10), RxLink{32000});  // 32 kbit/s: (536 + 40) B = 144 ms, (464 + 40) B = 126 ms
  CHECK(rx.held() == 1000);
  CHECK(rx.visible(VTime::from_ms(153)) == 0);
  CHECK(rx.visible(VTime::from_ms(154)) == kMss);
  CHECK(rx.visible(VTime::from_ms(279)) == kMss);
  CHECK(rx.visible(VTime::from_ms(280)) == 1000);
  VTime next{};
  REQUIRE(rx.next_visible(&next));
  CHECK(next == VTime::from_ms(154));
  // Bytes arriving while the wire is still busy queue behind it.
  rx.deliver("z", 1, VTime::from_ms(200));
  rx.take_arrived(VTime::from_ms(200), RxLink{32000});
  uint8_t out[1001];
  CHECK(rx.read(out, sizeof out, VTime::from_ms(290)) == 1000);
  CHECK(rx.read(out, sizeof out, VTime::from_ms(290)) == 0);  // 41 B more: 10.25 ms on
  CHECK(rx.read(out, sizeof out, VTime::from_us(280000 + 10250)) == 1);
  CHECK(wire_time(1000, 32000, kMss) == VTime::from_ms(270));
  CHECK(wire_time(0, 32000, kMss) == VTime{});
  CHECK(wire_time(1000, 0, kMss) == VTime{});
}

TEST_CASE("lwip rx: on a lossy link a lost segment comes once the peer has sent it again, those after it no earlier") {
  Heap h(16384);
  std::string b = bytes(5 * kMss);
  size_t late = 0, total = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RxQueue rx(h.heap);
    Rng rng(seed);
    rx.deliver(b.data(), b.size(), VTime::from_ms(100));
    rx.take_arrived(VTime::from_ms(100), RxLink{0, 0.3, &rng, VTime::from_ms(50)});
    // Visible in order: what a lost segment holds back, the rest waits for.
    size_t seen = 0;
    for (int ms = 100; ms <= 40000; ms += 5) {
      const size_t v = rx.visible(VTime::from_ms(ms));
      CHECK(v >= seen);
      seen = v;
    }
    CHECK(seen == b.size());
    const size_t first = rx.visible(VTime::from_ms(100));
    CHECK(first % kMss == 0);
    late += first < b.size();
    total++;
    // The peer's first resend comes 250 ms after (50 ms round trip + Linux's 200 ms floor).
    if (first < b.size()) CHECK(rx.visible(VTime::from_ms(349)) < b.size());
    uint8_t out[5 * kMss];
    while (rx.read(out, sizeof out, VTime::from_s(100)) > 0) {}
  }
  // 1 - 0.7^5 of the deliveries have a lost segment: about 83 %.
  CHECK(late > total * 7 / 10);
  CHECK(late < total * 95 / 100);
}
