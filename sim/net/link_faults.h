// sim/net/link_faults.h — what the scenario's faults do to one device's link (docs/faults.md): a
// link_delay adds its delay to every exchange begun in its windows; a packet_loss loses a share
// of the segments each way (the device's held and sent again at lwIP's timeout, lwip_rto.h; the
// broker's resent at Linux's), drawn per transmission from the device's own stream; a bandwidth
// cap makes every byte take its time on the wire each way; a partition black-holes
// every packet in both directions for its windows of device time. What
// the device sends meanwhile waits in its TCP send buffer and goes out when the partition ends
// (retransmitted, as lwIP would, if the connection is still there), what the peer sends reaches
// the device then, and a connect started during one fails once its timeout passes inside it.
// The windows are the scenario's, so a replay sees the same partitions.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim_time.h"
#include "window_schedule.h"

namespace espfleet {

class LinkFaults {
 public:
  void add_partition(const WindowSchedule& w) { partitions_.push_back(w); }
  void add_delay(const WindowSchedule& w, VTime delay) { delays_.push_back({w, delay}); }
  void add_loss(const WindowSchedule& w, double share) { losses_.push_back({w, share}); }
  void add_rate(const WindowSchedule& w, uint64_t bits_per_s) { rates_.push_back({w, bits_per_s}); }

  // The share of segments lost at t (packet_losses open together lose independently), 0 for none.
  double loss_at(VTime t) const {
    double kept = 1;
    VTime end{};
    for (const auto& [w, p] : losses_)
      if (w.open_until(t, &end)) kept *= 1 - p;
    return 1 - kept;
  }
  // The link's bit rate at t (the lowest of the caps open then), 0 for none.
  uint64_t rate_at(VTime t) const {
    uint64_t r = 0;
    VTime end{};
    for (const auto& [w, bps] : rates_)
      if (w.open_until(t, &end) && (r == 0 || bps < r)) r = bps;
    return r;
  }

  // What the link_delays open at t add to an exchange begun then.
  VTime extra_delay(VTime t) const {
    VTime extra{}, end{};
    for (const auto& [w, d] : delays_)
      if (w.open_until(t, &end)) extra = extra + d;
    return extra;
  }
  // Partitioned at t, and until when (the latest end of the windows open at t).
  bool partitioned(VTime t, VTime* until) const {
    bool open = false;
    for (const WindowSchedule& w : partitions_) {
      VTime end{};
      if (w.open_until(t, &end) && (!open || end > *until)) {
        *until = end;
        open = true;
      }
    }
    return open;
  }
  // When what arrives at device time t can be seen: t, or the end of the partition open then.
  VTime after_partition(VTime t) const {
    VTime end{};
    return partitioned(t, &end) ? end : t;
  }
  // The next time after t a partition begins or ends (false: none will).
  bool next_change(VTime t, VTime* at) const {
    bool any = false;
    for (const WindowSchedule& w : partitions_) {
      VTime c{};
      if (w.next_change(t, &c) && (!any || c < *at)) {
        *at = c;
        any = true;
      }
    }
    return any;
  }

  // What the device's TCP send buffer holds during a partition, at most (TCP_SND_BUF of the core's
  // lwIP, 2 × 1460): beyond it a write takes nothing, as lwIP's tcp_write would.
  static constexpr size_t kSendBuffer = 2920;

 private:
  std::vector<WindowSchedule> partitions_;
  std::vector<std::pair<WindowSchedule, VTime>> delays_;
  std::vector<std::pair<WindowSchedule, double>> losses_;
  std::vector<std::pair<WindowSchedule, uint64_t>> rates_;
};

// How long `bytes` of payload take on a link of `bits_per_s`: in segments of `mss` bytes, each
// with its 40 bytes of IPv4 and TCP headers; whole microseconds, rounded up.
inline VTime wire_time(size_t bytes, uint64_t bits_per_s, size_t mss) {
  if (bits_per_s == 0 || bytes == 0) return {};
  const uint64_t wire = bytes + 40 * ((bytes + mss - 1) / mss);
  return VTime::from_us(int64_t((__uint128_t(wire) * 8 * 1000000ull + bits_per_s - 1) / bits_per_s));
}

}  // namespace espfleet
