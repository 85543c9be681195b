// sim/net/link_model.h — the link between a device and its peer, in device time: each
// transmission draws the exchange's delay (round-trip time plus seeded jitter), and what the peer
// sends becomes visible to the device at a stamp computed from it:
//   realtime  the wall clock plus the delay drawn at the device's last transmission;
//   fast      a reply one delay after the device's last transmission; anything unasked for (a
//             broker going away, a command) one delay after the fleet's present.
// Drawn per transmission, not per read: how the host's TCP cuts the bytes must not change the
// device's history. TCP delivers in order: a later stamp never precedes an earlier one.
#pragma once
#include <algorithm>
#include <cstdint>

#include "rng.h"
#include "sim_time.h"

namespace espfleet {

struct LinkConfig {
  VTime rtt{};     // net.rtt
  VTime jitter{};  // net.jitter: uniform in [0, jitter) per transmission
};

// The clocks an arrival is stamped against.
struct ArrivalClock {
  bool realtime;
  VTime wall_now;     // realtime: the scheduler's wall clock
  VTime event_floor;  // fast: the fleet's present
};

class LinkModel {
 public:
  // Something was sent and nothing has arrived since: the device may be waiting on its peer.
  bool awaiting() const { return awaiting_; }
  // A transmission at device time `now` (a connect or a write): draws this exchange's delay, to
  // which `extra` (the link's faults: LinkFaults::extra_delay) is added.
  void transmit(VTime now, const LinkConfig& cfg, Rng& rng, VTime extra = {});
  // When what arrives now becomes visible to the device.
  VTime stamp(const ArrivalClock& c);
  // A stamp from a recording: later ones still may not precede it.
  void keep_order(VTime stamp) { last_stamp_ = std::max(last_stamp_, stamp); }

  // The reply to the last transmission is due at reply_at() until the device has looked for it.
  bool reply_pending() const { return reply_pending_; }
  VTime reply_at() const { return reply_at_; }
  void reply_seen() { reply_pending_ = false; }
  // When the peer's ACK of the last transmission arrives (one round trip after it, and what the
  // link's faults added).
  VTime ack_at(const LinkConfig& cfg) const { return last_tx_ + cfg.rtt + extra_; }

 private:
  VTime last_tx_{};
  VTime delay_{};
  VTime extra_{};
  VTime reply_at_{};
  VTime last_stamp_{};
  bool reply_pending_ = false;
  bool awaiting_ = false;
};

// The exchange's delay: rtt + uniform [0, jitter) from the link's own stream.
VTime draw_link_delay(const LinkConfig& cfg, Rng& rng);

}  // namespace espfleet
