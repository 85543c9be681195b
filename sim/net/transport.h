// sim/net/transport.h — what a device's sockets stand on: the seam between the network model
// above (lwIP's memory, the link, the firmware's calls) and where the bytes really go. The live
// transport (uv_transport.h) puts them on real sockets to the broker; replay's (sim/replay/
// tape_transport.h) takes them from a device's tape. The socket code above is the same for both,
// as BearSSL's engine is the same whatever low_read/low_write it is given.
#pragma once
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "host_clock.h"
#include "net_event.h"

namespace espfleet {

class DeviceNet;
class TcpSocket;

// How long a hold lasts: the host time it lasts until, re-asked after each wake-up (a time
// already past — HostTime{} — ends it).
class HoldUntil {
 public:
  virtual HostTime until() const = 0;

 protected:
  ~HoldUntil() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Start connecting the socket: 0, or the (negative) error it failed with at once. The outcome
  // comes later through the socket's arrived_connect.
  virtual int open(TcpSocket& s, const sockaddr_in& peer, const std::string& source_address) = 0;
  // Hand the bytes over: 0, or a negative error (kDiverged: replay found the device off its
  // tape). Completion comes later through arrived_write_done.
  virtual int send(TcpSocket& s, const uint8_t* bytes, size_t n, uint64_t hash) = 0;
  static constexpr int kDiverged = -1000000;
  // Flow control (the device's receive window): read from the peer, or stop. Whether it reads now.
  virtual bool set_reading(TcpSocket& s, bool on) = 0;
  // The socket is closed: the transport owns it until nothing refers to it any more.
  virtual void close(std::unique_ptr<TcpSocket> s) = 0;

  // Host pacing (not a yield; recorded as a checkpoint): hold the device at `site` while its real
  // peer owes it an answer (live, fast mode; `hold` says until when), or where its tape says
  // (replay); in realtime mode the wall clock does the pacing, and this does nothing.
  virtual void hold(DeviceNet& net, ParkSite site, uint32_t handle, const HoldUntil& hold) = 0;
  // Before the device talks to its peer: realtime — never ahead of the wall clock (live), or where
  // the tape says (replay).
  virtual void sync_to_wall(DeviceNet& net) = 0;
};

// A HoldUntil from a lambda returning HostTime.
template <class F>
class HoldWhile final : public HoldUntil {
 public:
  explicit HoldWhile(F f) : f_(std::move(f)) {}
  HostTime until() const override { return f_(); }

 private:
  F f_;
};

}  // namespace espfleet
