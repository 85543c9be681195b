// sim/net/uv_transport.h — the live transport: each device socket is a real libuv TCP socket on
// the scheduler's loop, connected to the real broker; what libuv delivers is handed to the socket
// (which stamps and records it). Fast mode's holds wait for the real peer, in host time
// (fast_pacing.h); realtime mode keeps devices from running ahead of the wall clock.
#pragma once
#include "transport.h"

namespace espfleet {

class Scheduler;

class UvTransport final : public Transport {
 public:
  explicit UvTransport(Scheduler& sched) : sched_(sched) {}

  int open(TcpSocket& s, const sockaddr_in& peer, const std::string& source_address) override;
  int send(TcpSocket& s, const uint8_t* bytes, size_t n, uint64_t hash) override;
  bool set_reading(TcpSocket& s, bool on) override;
  void close(std::unique_ptr<TcpSocket> s) override;
  void hold(DeviceNet& net, ParkSite site, uint32_t handle, const HoldUntil& hold) override;
  void sync_to_wall(DeviceNet& net) override;

 private:
  Scheduler& sched_;
};

}  // namespace espfleet
