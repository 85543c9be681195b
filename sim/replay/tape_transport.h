// sim/replay/tape_transport.h — replay's transport: one device's network is its tape. Connects,
// bytes, closes and write completions are played back after each of the device's slices, at the
// slice they came in the recorded run; its writes and the host's holds are checkpoints it must
// reach at the same slices. A device that does not has left its tape: the replay stops there and
// divergence() says how (docs/replay.md).
#pragma once
#include <cstdint>
#include <string>

#include "transport.h"

namespace espfleet {

class Tape;

class TapeTransport final : public Transport {
 public:
  // end_slices: stop once the device has suspended this often (0: at the duration).
  TapeTransport(Tape& tape, uint32_t device, uint64_t end_slices)
      : tape_(tape), device_(device), end_slices_(end_slices) {}

  int open(TcpSocket& s, const sockaddr_in& peer, const std::string& source_address) override;
  int send(TcpSocket& s, const uint8_t* bytes, size_t n, uint64_t hash) override;
  bool set_reading(TcpSocket&, bool) override { return false; }
  void close(std::unique_ptr<TcpSocket> s) override;  // nothing else refers to it: gone
  void hold(DeviceNet& net, ParkSite site, uint32_t handle, const HoldUntil& hold) override;
  void sync_to_wall(DeviceNet& net) override;

  // After each slice of the device: what the recorded run saw while it was parked.
  void after_slice(DeviceNet& net);
  const std::string& divergence() const { return divergence_; }

 private:
  const NetEvent* peek(DeviceNet& net);
  bool parks_here(DeviceNet& net, ParkSite site, uint32_t handle);
  void diverge(DeviceNet& net, const std::string& why);

  Tape& tape_;
  uint32_t device_;
  uint64_t end_slices_;
  std::string divergence_;
};

}  // namespace espfleet
