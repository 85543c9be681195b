// sim/net/link_model.cpp — delays and arrival stamps (link_model.h).
#include "link_model.h"

#include <algorithm>

namespace espfleet {

VTime draw_link_delay(const LinkConfig& cfg, Rng& rng) {
  int64_t j = cfg.jitter.us() > 0 ? int64_t(rng.below(uint64_t(cfg.jitter.us()))) : 0;
  return VTime::from_us(cfg.rtt.us() + j);
}

void LinkModel::transmit(VTime now, const LinkConfig& cfg, Rng& rng, VTime extra) {
  last_tx_ = now;
  extra_ = extra;
  delay_ = draw_link_delay(cfg, rng) + extra;
  reply_at_ = now + delay_;
  reply_pending_ = true;
  awaiting_ = true;
}

VTime LinkModel::stamp(const ArrivalClock& c) {
  VTime base = c.realtime ? c.wall_now + delay_ : reply_pending_ ? reply_at_ : c.event_floor + delay_;
  VTime t = std::max(base, last_stamp_);
  last_stamp_ = t;
  awaiting_ = false;
  return t;
}

}  // namespace espfleet
