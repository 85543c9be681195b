// sim/net/link_faults.h — what the scenario's faults do to one device's link (docs/faults.md): a
// link_delay adds its delay to every exchange begun in its windows; a partition black-holes
// every packet in both directions for its windows of device time. What
// the device sends meanwhile waits in its TCP send buffer and goes out when the partition ends
// (retransmitted, as lwIP would, if the connection is still there), what the peer sends reaches
// the device then, and a connect started during one fails once its timeout passes inside it.
// The windows are the scenario's, so a replay sees the same partitions.
#pragma once
#include <algorithm>
#include <utility>
#include <vector>

#include "sim_time.h"
#include "window_schedule.h"

namespace espfleet {

class LinkFaults {
 public:
  void add_partition(const WindowSchedule& w) { partitions_.push_back(w); }
  void add_delay(const WindowSchedule& w, VTime delay) { delays_.push_back({w, delay}); }
  bool any() const { return !partitions_.empty() || !delays_.empty(); }

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
};

}  // namespace espfleet
