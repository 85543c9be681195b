// sim/net/device_net.cpp — a device's sockets and what they share (device_net.h).
#include "device_net.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

#include "alloc_scope.h"
#include "cost_model.h"
#include "cycle_clock.h"
#include "scheduler.h"
#include "tcp_socket.h"
#include "transport.h"

namespace espfleet {

uint64_t hash_bytes(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

bool resolve_host(const char* host, uint32_t* ipv4_be) {
  if (!host || !*host) return false;
  if (std::strcmp(host, "localhost") == 0) host = "127.0.0.1";
  in_addr a{};
  if (inet_pton(AF_INET, host, &a) == 1) {
    *ipv4_be = a.s_addr;
    return true;
  }
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  if (getaddrinfo(host, nullptr, &hints, &res) != 0 || !res) return false;
  *ipv4_be = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr;
  freeaddrinfo(res);
  return true;
}

DeviceNet::DeviceNet(const Parts& p)
    : clock_(p.clock),
      heap_(p.heap),
      task_(p.task),
      sched_(p.sched),
      transport_(p.transport),
      link_(p.link),
      rng_(p.seed),
      loss_rng_(mix_seed(p.seed, uint64_t(SeedPurpose::net_loss))),
      source_(p.source) {}

VTime DeviceNet::serialize_out(VTime now, size_t bytes) {
  const uint64_t rate = faults_.rate_at(now);
  if (rate == 0) return {};
  wire_free_at_ = std::max(wire_free_at_, now) + wire_time(bytes, rate, kMss);
  return wire_free_at_ - now;
}

DeviceNet::~DeviceNet() { close_all(); }

TcpSocket* DeviceNet::socket(uint32_t handle) const {
  if (handle == 0 || handle > sockets_.size()) return nullptr;
  return sockets_[handle - 1].get();
}

TcpSocket* DeviceNet::connect(const char* host, uint16_t port, uint32_t timeout_ms) {
  before_effect();
  HostSection h;
  transport_.sync_to_wall(*this);
  clock_.charge(cost::kTcpCall);
  uint32_t ip = 0;
  if (!resolve_host(host, &ip)) return nullptr;
  // A partition: the SYNs are lost. lwIP keeps sending them; the connect goes on when the
  // partition ends, or fails when its timeout passes first (docs/faults.md).
  if (VTime until{}; faults_.partitioned(task_.now(), &until)) {
    const VTime deadline = task_.now() + VTime::from_ms(timeout_ms);
    counters_.tcp_connects++;
    if (until >= deadline) {
      sched_.park_until(task_, deadline);
      return nullptr;
    }
    sched_.park_until(task_, until);
    timeout_ms = uint32_t((deadline - task_.now()).ms());
    counters_.tcp_connects--;  // counted by the connect that follows
  }
  size_t slot = 0;
  while (slot < sockets_.size() && sockets_[slot]) ++slot;
  if (slot == sockets_.size()) sockets_.emplace_back();
  sockets_[slot] = std::make_unique<TcpSocket>(*this, uint32_t(slot + 1));
  TcpSocket& s = *sockets_[slot];
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = ip;
  if (s.start(addr) < 0 || !s.await_connected(timeout_ms)) {
    close(s);
    return nullptr;
  }
  counters_.tcp_established++;
  return &s;
}

void DeviceNet::close(TcpSocket& s) {
  before_effect();
  HostSection h;
  clock_.charge(cost::kTcpCall);
  std::unique_ptr<TcpSocket> owned = std::move(sockets_[s.handle() - 1]);
  owned->shut();
  transport_.close(std::move(owned));
}

uint32_t DeviceNet::open_connections() const {
  uint32_t n = 0;
  for (const auto& s : sockets_) n += s && s->open();
  return n;
}

void DeviceNet::link_lost(VTime now, int error) {
  for (auto& s : sockets_)
    if (s) s->link_lost(now, error);
}

void DeviceNet::close_all() {
  for (auto& s : sockets_)
    if (s) {
      s->shut();
      transport_.close(std::move(s));
    }
  sockets_.clear();
}

std::string DeviceNet::apply(const NetEvent& e) {
  TcpSocket* s = socket(e.handle);
  if (!s)
    return "the tape has an event for socket " + std::to_string(e.handle) + ", which the device does not have open";
  return s->apply(e);
}

bool DeviceNet::next_event(VTime* at) const {
  bool any = false;
  for (const auto& s : sockets_) {
    VTime t;
    if (s && s->next_event(&t) && (!any || t < *at)) {
      *at = t;
      any = true;
    }
  }
  return any;
}

bool DeviceNet::awaits_peer() const {
  for (const auto& s : sockets_)
    if (s && s->awaits_peer()) return true;
  return false;
}

bool DeviceNet::awaits_peer_close() const {
  for (const auto& s : sockets_)
    if (s && s->state() == TcpSocket::State::connected && s->link && !s->peer_closed()) return true;
  return false;
}

void DeviceNet::record(NetEvent e) {
  if (!recorder_) return;
  e.slice = task_.slices();
  recorder_->record(e);
}

void DeviceNet::host_park(ParkSite site, uint32_t handle, HostTime deadline) {
  NetEvent e;
  e.kind = NetEventKind::host_park;
  e.handle = handle;
  e.status = int32_t(site);
  record(std::move(e));
  sched_.host_park(task_, deadline);
}

}  // namespace espfleet
