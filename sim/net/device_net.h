// sim/net/device_net.h — a device's network: its sockets (handle h is slot h-1, the lowest free
// one), what they work with (the device's clock, heap and scheduling, the fleet's transport, the
// link's settings and random stream, the source address it binds to), its recorder when the run
// keeps tapes, and its counters.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host_clock.h"
#include "link_faults.h"
#include "link_model.h"
#include "net_event.h"
#include "rng.h"

namespace espfleet {

class CycleClock;
class DeviceHeap;
class Scheduler;
class Task;
class TcpSocket;
class Transport;

struct NetCounters {
  uint32_t tcp_connects = 0;
  uint32_t tcp_established = 0;  // connects that succeeded
  uint64_t rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_read = 0;      // bytes the firmware has read
  uint64_t looks = 0;        // the firmware looked at a socket (available, read, peek, connected)
  uint32_t retransmits = 0;  // segments (and SYNs) the device sent again after a packet_loss lost them
};

// Told before the firmware's call changes a socket (connect, write, flush, a read that takes
// bytes, close): the device's loop-pass probes stop there (sim/device/loop_passes.cpp).
class EffectGuard {
 public:
  virtual void before_effect() = 0;

 protected:
  ~EffectGuard() = default;
};

class DeviceNet {
 public:
  struct Parts {
    CycleClock& clock;
    DeviceHeap& heap;
    Task& task;
    Scheduler& sched;
    Transport& transport;
    LinkConfig link;
    uint64_t seed;              // the link's random stream
    const std::string* source;  // the source address to bind (nullptr or "": any)
  };
  explicit DeviceNet(const Parts& p);
  ~DeviceNet();
  DeviceNet(const DeviceNet&) = delete;
  DeviceNet& operator=(const DeviceNet&) = delete;

  // While set, every call that would change a socket tells `g` first (nullptr: none).
  void set_effect_guard(EffectGuard* g) { guard_ = g; }
  void before_effect() {
    if (guard_) guard_->before_effect();
  }

  // On the device's fiber: a connection (blocks up to timeout_ms), or nullptr.
  TcpSocket* connect(const char* host, uint16_t port, uint32_t timeout_ms);
  void close(TcpSocket& s);  // the firmware closed it
  void close_all();          // reboot, end of run: every socket, no charge
  // Connections up now (connected, the peer's close not yet visible to the device).
  uint32_t open_connections() const;
  // The station lost its access point (a scenario Wi-Fi drop; `error` UV_ECONNABORTED) or the
  // connections were reset (a tcp_reset fault; UV_ECONNRESET): every connection is aborted as the
  // firmware sees it, at `now`; each stays the firmware's until it closes it (then the peer sees
  // the close).
  void link_lost(VTime now, int error);
  // Replay: a recorded event to the socket it names; "" or why it cannot be.
  std::string apply(const NetEvent& e);
  // The earliest device time at which any socket's view can change (TcpSocket::next_event);
  // false when none has anything on its way.
  bool next_event(VTime* at) const;
  // Realtime: some socket may be waiting on its peer (TcpSocket::awaits_peer): what a wait of
  // the firmware's waits on (Scheduler's WaitOn).
  bool awaits_peer() const;
  // A connection is up whose peer has not closed it yet (a broker restart waits for none).
  bool awaits_peer_close() const;

  // Recording (a tape), and the host's holds as checkpoints on it.
  void set_recorder(NetRecorder* r) { recorder_ = r; }
  bool recording() const { return recorder_ != nullptr; }
  void record(NetEvent e);  // stamped with the device's slice count
  void host_park(ParkSite site, uint32_t handle, HostTime deadline);

  CycleClock& clock() const { return clock_; }
  DeviceHeap& heap() const { return heap_; }
  Task& task() const { return task_; }
  Scheduler& sched() const { return sched_; }
  Transport& transport() const { return transport_; }
  const LinkConfig& link() const { return link_; }
  // The scenario's partitions of this device's link (link_faults.h), set before it boots.
  LinkFaults& faults() { return faults_; }
  const LinkFaults& faults() const { return faults_; }
  Rng& rng() { return rng_; }
  // A packet_loss open at t loses this transmission (a draw from the link's loss stream, made only
  // while one is open, so a fleet without one draws nothing).
  bool segment_lost(VTime t) {
    const double p = faults_.loss_at(t);
    return p > 0 && loss_rng_.unit() < p;
  }
  // A bandwidth cap open at `now`: `bytes` sent then leave after those before them, and this is
  // how long after `now` the last of them is on its way ({} when not capped).
  VTime serialize_out(VTime now, size_t bytes);
  // The loss stream, for what the device receives (lwip_rx.h RxLink: drawn as it looks).
  Rng& loss_rng() { return loss_rng_; }
  const std::string& source() const { return source_ ? *source_ : kNoSource; }
  NetCounters& counters() { return counters_; }
  const NetCounters& counters() const { return counters_; }

 private:
  TcpSocket* socket(uint32_t handle) const;
  static inline const std::string kNoSource;

  CycleClock& clock_;
  DeviceHeap& heap_;
  Task& task_;
  Scheduler& sched_;
  Transport& transport_;
  LinkConfig link_;
  LinkFaults faults_;
  Rng rng_;
  Rng loss_rng_;          // packet_loss draws (its own stream: the jitter's stays as it was)
  VTime wire_free_at_{};  // a capped link: when what was sent last is on its way whole
  const std::string* source_;
  NetRecorder* recorder_ = nullptr;
  NetCounters counters_;
  std::vector<std::unique_ptr<TcpSocket>> sockets_;
  EffectGuard* guard_ = nullptr;
};

// A host name as a device resolves it (an IPv4 literal, "localhost", or the host's resolver).
bool resolve_host(const char* host, uint32_t* ipv4_be);

}  // namespace espfleet
