// sim/net/lwip_rx.h — lwIP's receive side of one connection, in the device's memory: what the
// peer sent waits in a backlog until the device looks at the socket, then goes into pbufs on the
// device heap (a full segment is 536 bytes + 80 of pbuf and headers), up to the receive window
// (4·MSS, 2144 bytes unread); what does not fit stays in the backlog, as a segment lwIP drops
// and the peer sends again. Bytes become visible at their arrival stamp — on a capped link
// (a bandwidth fault) each segment only once the bytes before it and its own have had their time
// on the wire; on a lossy one (packet_loss) a lost segment once the peer has sent it again, and
// those after it no earlier (TCP keeps the order). Cutting pbufs when the
// device looks, not when the host's TCP delivers, keeps the device's heap history independent of
// how the host cut the stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "sim_time.h"

namespace espfleet {

class DeviceHeap;
class Rng;

// What the device's link does to what it receives, when the device looks.
struct RxLink {
  uint64_t bits_per_s = 0;  // a bandwidth cap (0: none)
  double loss = 0;          // a packet_loss's share (0: none)
  Rng* rng = nullptr;       // its draws (needed when loss > 0)
  VTime rtt{};              // the link's round trip, for the peer's retransmission timeout
};

inline constexpr size_t kMss = 536;
inline constexpr size_t kTcpWnd = 4 * kMss;  // 2144 B unread data before the window closes
inline constexpr size_t kPbufOverhead = 80;  // pbuf struct + headers per received segment

class RxQueue {
 public:
  explicit RxQueue(DeviceHeap& heap) : heap_(heap) {}
  ~RxQueue() { clear(); }
  RxQueue(const RxQueue&) = delete;
  RxQueue& operator=(const RxQueue&) = delete;

  // Bytes from the peer, visible from `visible_at` on.
  void deliver(const char* bytes, size_t n, VTime visible_at);
  // The device looks: what has arrived and is visible by `now` goes into pbufs, each segment as
  // the link then (`link`) lets it through.
  void take_arrived(VTime now, const RxLink& link = {});
  size_t visible(VTime now) const;                   // bytes the device can read now (in pbufs)
  size_t read(uint8_t* buf, size_t len, VTime now);  // frees emptied pbufs
  int peek(VTime now) const;                         // the next byte, or -1
  // The window is closed: the host stops reading from the peer until the device reads.
  bool window_full() const { return held_ + backlog_.size() >= kTcpWnd; }
  size_t held() const { return held_; }  // bytes in pbufs
  // When the earliest byte the device has not read becomes visible (held or in the backlog), or
  // false when there is none.
  bool next_visible(VTime* at) const;
  void clear();  // the connection is gone: pbufs freed, backlog dropped

 private:
  struct Pbuf {
    uint8_t* data;  // on the device heap
    uint16_t len;
    uint16_t off;
    VTime visible_at;
  };
  void fill_pbufs(const RxLink& link);

  DeviceHeap& heap_;
  std::deque<Pbuf> rx_;
  std::string backlog_;
  VTime backlog_visible_at_{};
  VTime wire_free_at_{};  // when the last segment taken had been received whole (a cap, a loss)
  size_t held_ = 0;
};

}  // namespace espfleet
