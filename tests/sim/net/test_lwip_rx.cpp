// tests/sim/net/test_lwip_rx.cpp — lwIP's receive side as the device sees it: bytes wait in the
// backlog until the device looks, then become 536-byte segments in pbufs on the device heap (80
// bytes of pbuf each), visible from their arrival stamp; the window closes at 2144 unread bytes;
// what the heap cannot hold stays in the backlog; reading frees emptied pbufs.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "device_heap.h"
#include "lwip_rx.h"

using namespace espfleet;

namespace {

struct Heap {
  explicit Heap(uint32_t bytes)
      : mem(new uint64_t[UmmHeap::arena_bytes(bytes) / 8 + 1]()), heap(mem.get(), bytes, &cycles, 80) {}
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
