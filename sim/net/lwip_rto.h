// sim/net/lwip_rto.h — lwIP's retransmission timer for one connection (tcp_in.c's estimator, in
// tcp_slowtmr's 500 ms ticks): a smoothed round trip `sa` (×8) and its deviation `sv` (×4), the
// timeout (sa/8 + sv) ticks, doubled at each retransmission of the same segment up to 128 times
// the base (tcp_backoff), the connection aborted after TCP_MAXRTX (12) of them. Before the first
// sample the timeout is 3 s; the SYN's is 3 s at every try, never doubled, TCP_SYNMAXRTX (6) tries.
// Karn's rule: a retransmitted segment gives no sample. With a round trip under one tick the
// timeout settles at 1.5 s after three samples, as on the chip on a LAN.
#pragma once
#include <algorithm>
#include <cstdint>

#include "sim_time.h"

namespace espfleet {

class LwipRto {
 public:
  static constexpr uint8_t kMaxRetransmits = 12;    // TCP_MAXRTX
  static constexpr uint8_t kSynMaxRetransmits = 6;  // TCP_SYNMAXRTX
  static constexpr VTime kTick = VTime::from_ms(500);
  static constexpr VTime kSynTimeout = VTime::from_ms(3000);

  // A round trip measured on a segment sent once.
  void sample(VTime rtt) {
    int m = int(rtt.us() / kTick.us());
    m -= sa_ >> 3;
    sa_ = int16_t(sa_ + m);
    if (m < 0) m = -m;
    m -= sv_ >> 2;
    sv_ = int16_t(sv_ + m);
  }
  // How long after its `retries`-th retransmission (0: the first send) a segment is sent again.
  VTime timeout(uint8_t retries) const {
    const int64_t ticks = int64_t((sa_ >> 3) + sv_) << std::min<int>(retries, 7);
    return VTime::from_us(std::max<int64_t>(1, ticks) * kTick.us());
  }

 private:
  int16_t sa_ = 0;
  int16_t sv_ = 3000 / 500;  // tcp_alloc: 3 s before any sample
};

// The broker's side resending what the device's link lost on the way in: Linux's timeout, the
// round trip plus its 200 ms floor (TCP_RTO_MIN), doubled at each retry.
inline VTime peer_retransmit_timeout(VTime rtt, uint8_t retries) {
  return VTime::from_us((VTime::from_ms(200).us() + rtt.us()) << std::min<int>(retries, 7));
}

}  // namespace espfleet
