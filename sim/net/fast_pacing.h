// sim/net/fast_pacing.h — fast mode's holds, in host time: how long the engine holds a device
// whose real peer has not answered yet (docs/replay.md). Devices meet only through the broker,
// so only the one device that looks for an answer is held, never the fleet:
//   a reply is whole once kBurstQuiet passed without more bytes; no byte kNoReply after the
//   device's write means no reply is coming; a connect is held up to kConnectHold, a flush (the
//   peer's ACK) up to kFlushHold.
#pragma once
#include "host_clock.h"

namespace espfleet {

inline constexpr HostTime kBurstQuiet = HostTime::from_ms(1);
inline constexpr HostTime kNoReply = HostTime::from_ms(40);
inline constexpr HostTime kConnectHold = HostTime::from_ms(3000);
inline constexpr HostTime kFlushHold = HostTime::from_ms(1000);

// The host-time side of one connection's last exchange.
class ReplyWatch {
 public:
  void sent(HostTime t) {
    sent_ = t;
    received_since_ = false;
  }
  void received(HostTime t) {
    last_rx_ = t;
    received_since_ = true;
  }
  // Until when the device waiting for the reply is held.
  HostTime hold_until() const { return received_since_ ? last_rx_ + kBurstQuiet : sent_ + kNoReply; }

 private:
  HostTime sent_{}, last_rx_{};
  bool received_since_ = false;
};

}  // namespace espfleet
