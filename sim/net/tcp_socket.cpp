// sim/net/tcp_socket.cpp — a device's TCP connection: the firmware's calls and what arrives.
#include "tcp_socket.h"

#include <uv.h>

#include <algorithm>
#include <cstring>

#include "alloc_scope.h"
#include "cost_model.h"
#include "device_net.h"
#include "scheduler.h"
#include "transport.h"

namespace espfleet {

TcpSocket::TcpSocket(DeviceNet& net, uint32_t handle) : net_(net), handle_(handle), rx_(net.heap()) {}

TcpSocket::~TcpSocket() = default;

bool TcpSocket::next_event(VTime* at) const {
  bool any = false;
  auto consider = [&](VTime t) {
    if (!any || t < *at) *at = t;
    any = true;
  };
  VTime t;
  if (rx_.next_visible(&t)) consider(t);
  if (peer_closed_) consider(peer_closed_at_);
  if (link_model_.reply_pending()) consider(link_model_.reply_at());
  // Held bytes go when the partition ends, lwIP's timer fires or the wire is free: the device must
  // be there (they go at its next call on the socket).
  if (!unsent_.empty())
    if (const VTime h = hold_end(); h > net_.task().now()) consider(h);
  if (state_ == State::connecting || pending_writes_ > 0) consider(net_.task().now());  // a wait of its own
  return any;
}

bool TcpSocket::close_visible() const { return peer_closed_ && peer_closed_at_ <= net_.task().now(); }

// --- connect (DeviceNet::connect) ----------------------------------------------------------------

int TcpSocket::start(const sockaddr_in& peer) {
  const VTime now = net_.task().now();
  VTime extra = net_.faults().extra_delay(now);
  // A packet_loss: a lost SYN is sent again after lwIP's 3 s, a lost SYN-ACK after the broker's
  // 1 s, doubled (Linux's TCP_TIMEOUT_INIT); the connect's outcome comes that much later.
  bool lost = false;
  for (uint8_t k = 0; k < LwipRto::kSynMaxRetransmits && net_.segment_lost(now); ++k, lost = true) {
    extra = extra + LwipRto::kSynTimeout;
    net_.counters().retransmits++;
  }
  for (uint8_t k = 0; k < LwipRto::kSynMaxRetransmits && net_.segment_lost(now); ++k, lost = true)
    extra = extra + VTime::from_us(int64_t(1000000) << k);
  link_model_.transmit(now, net_.link(), net_.rng(), extra);
  if (!lost) rto_.sample(link_model_.ack_at(net_.link()) - now);
  net_.counters().tcp_connects++;
  int rc = net_.transport().open(*this, peer, net_.source());
  if (rc < 0) record(NetEventKind::connect, rc, net_.task().now());
  return rc;
}

bool TcpSocket::await_connected(uint32_t timeout_ms) {
  Task& task = net_.task();
  Scheduler& sched = net_.sched();
  VTime deadline = task.now() + VTime::from_ms(timeout_ms);
  HoldWhile hold(
      [this, until = host_now() + kConnectHold] { return state_ == State::connecting ? until : HostTime{}; });
  net_.transport().hold(net_, ParkSite::connect, handle_, hold);
  while (state_ == State::connecting && task.now() < deadline) sched.park_io(task, deadline);
  // The outcome reached the host while the device was held: it sees it one link delay on.
  if (state_ != State::connecting && event_at_ > task.now()) sched.park_until(task, std::min(event_at_, deadline));
  link_model_.reply_seen();
  return state_ == State::connected && event_at_ <= deadline;
}

// --- the firmware's calls --------------------------------------------------------------------------

size_t TcpSocket::write(const uint8_t* buf, size_t len) {
  net_.before_effect();
  HostSection host;
  if (state_ != State::connected || len == 0) return 0;
  if (close_visible()) return 0;  // the close has reached the device
  net_.clock().charge(cost::kTcpCall + cost::kTcpByte * len);
  net_.transport().sync_to_wall(net_);
  if (state_ != State::connected) return 0;
  // Into the send buffer, which nothing empties until the partition ends or the lost segment
  // before these bytes has gone again (TCP keeps the order).
  // On a capped link the bytes wait there until the wire has carried them (after what the device
  // sent before: DeviceNet::serialize_out).
  const VTime now = net_.task().now();
  auto hold = [&] {
    const size_t take = std::min(len, LinkFaults::kSendBuffer - std::min(LinkFaults::kSendBuffer, unsent_.size()));
    unsent_.append(reinterpret_cast<const char*>(buf), take);
    net_.counters().tx_bytes += take;
    if (const VTime wire = net_.serialize_out(now, take); wire.ns > 0)
      wire_at_ = std::max(wire_at_, ceil_us(now + wire));
    return take;
  };
  if (VTime until{}; net_.faults().partitioned(now, &until)) return hold();
  release_unsent();
  if (state_ != State::connected) return 0;
  if (!unsent_.empty() || net_.faults().rate_at(now) > 0) return hold();
  if (net_.segment_lost(now)) {  // lost on its way: lwIP keeps it and sends it again at its timeout
    net_.counters().retransmits++;
    resend_at_ = ceil_us(now + rto_.timeout(0));
    retries_ = 0;
    return hold();
  }
  return send_now(buf, len, true);
}

RxLink TcpSocket::rx_link(VTime now) {
  return RxLink{net_.faults().rate_at(now), net_.faults().loss_at(now), &net_.loss_rng(), net_.link().rtt};
}

VTime TcpSocket::hold_end() const {
  const VTime now = net_.task().now();
  if (VTime until{}; net_.faults().partitioned(now, &until)) return until;
  return std::max({now, resend_at_, wire_at_});
}

void TcpSocket::release_unsent() {
  if (unsent_.empty() || state_ != State::connected) return;
  const VTime now = net_.task().now();
  if (hold_end() > now) return;
  net_.before_effect();
  // Sent again (the partition's end, or lwIP's timer), and lost again: the timer doubles, and
  // after TCP_MAXRTX tries lwIP gives the connection up.
  if (net_.segment_lost(now)) {
    net_.counters().retransmits++;
    if (resend_at_.ns > 0 && ++retries_ >= LwipRto::kMaxRetransmits) {
      unsent_.clear();
      resend_at_ = {};
      link_lost(now, UV_ETIMEDOUT);
      return;
    }
    resend_at_ = ceil_us(now + rto_.timeout(retries_));
    return;
  }
  const bool first = resend_at_.ns == 0;
  resend_at_ = {};
  wire_at_ = {};
  retries_ = 0;
  std::string held = std::move(unsent_);
  unsent_.clear();
  net_.counters().tx_bytes -= held.size();  // counted again as it goes out
  send_now(reinterpret_cast<const uint8_t*>(held.data()), held.size(), first);
}

size_t TcpSocket::send_now(const uint8_t* buf, size_t len, bool first) {
  uint64_t hash = hash_bytes(buf, len);
  int status = net_.transport().send(*this, buf, len, hash);
  if (status == Transport::kDiverged) return 0;
  if (net_.recording()) {
    NetEvent e;
    e.kind = NetEventKind::write;
    e.handle = handle_;
    e.status = status < 0 ? status : 0;
    e.hash = hash;
    e.length = uint32_t(len);
    net_.record(std::move(e));
  }
  // The host refused the write (EPIPE, ECONNRESET: its kernel already has the peer's reset) while,
  // in device time, the close has not reached the device: lwIP would take the bytes — the reset
  // is still on its way — so the write counts as sent, the bytes are lost, and the close arrives
  // when it is due. (Decided from the socket's state alone, so replay decides the same.)
  const bool refused = status < 0;
  if (refused && close_visible()) return 0;
  if (!refused) pending_writes_++;  // a refused write never completes
  const VTime now = net_.task().now();
  link_model_.transmit(now, net_.link(), net_.rng(), net_.faults().extra_delay(now));
  if (first) rto_.sample(link_model_.ack_at(net_.link()) - now);
  watch_.sent(host_now());
  net_.counters().tx_bytes += len;
  return len;
}

// Fast mode: the device looks for the reply to its last transmission at or after the time it is
// due; if the real peer has not answered yet (or is still sending), the host holds this device
// until it has, or until it is clear no reply is coming. Replay holds where the tape says.
void TcpSocket::await_reply() {
  if (!link_model_.reply_pending() || net_.task().now() < link_model_.reply_at()) return;
  HoldWhile hold([this] {
    if (peer_closed_ || state_ != State::connected) return HostTime{};
    return watch_.hold_until();
  });
  net_.transport().hold(net_, ParkSite::reply, handle_, hold);
  link_model_.reply_seen();
}

int TcpSocket::available() {
  HostSection host;
  net_.counters().looks++;
  release_unsent();
  // The call's cost first: the reply is looked for at the same moment its bytes are checked for,
  // so whether they had reached the host before that moment cannot change what the device sees.
  net_.clock().charge(cost::kTcpCall / 4);
  await_reply();
  VTime now = net_.task().now();
  rx_.take_arrived(now, rx_link(now));
  return int(rx_.visible(now));
}

int TcpSocket::read(uint8_t* buf, size_t len) {
  HostSection host;
  net_.counters().looks++;
  release_unsent();
  await_reply();
  VTime now = net_.task().now();
  rx_.take_arrived(now, rx_link(now));
  if (len && rx_.visible(now)) net_.before_effect();  // it takes bytes
  size_t n = rx_.read(buf, len, now);
  net_.counters().rx_read += n;
  net_.clock().charge(cost::kTcpCall / 4 + cost::kTcpByte * n);
  if (!rx_.window_full()) start_reading();
  return int(n);
}

int TcpSocket::peek() {
  HostSection host;
  net_.counters().looks++;
  release_unsent();
  await_reply();
  VTime now = net_.task().now();
  rx_.take_arrived(now, rx_link(now));
  return rx_.peek(now);
}

bool TcpSocket::flush(uint32_t timeout_ms) {
  net_.before_effect();
  HostSection host;
  if (state_ != State::connected) return false;
  Task& task = net_.task();
  Scheduler& sched = net_.sched();
  VTime deadline = task.now() + VTime::from_ms(timeout_ms);
  // No ACK comes through a partition, nor for a lost segment or one still on a capped wire. Each
  // turn ends a hold (the times are whole microseconds, which the clock reaches exactly), so a
  // partition and lwIP's retries are all it takes; the bound is a guard.
  for (int turn = 0; !unsent_.empty(); ++turn) {
    if (turn > 2 * LwipRto::kMaxRetransmits) return false;
    const VTime until = hold_end();
    if (until > task.now()) {
      sched.park_until(task, std::min(until, deadline));
      if (until > deadline) return false;
    }
    release_unsent();
    if (state_ != State::connected) return false;
  }
  if (pending_writes_ > 0) {
    HoldWhile hold(
        [this, until = host_now() + kFlushHold] { return pending_writes_ > 0 && !peer_closed_ ? until : HostTime{}; });
    net_.transport().hold(net_, ParkSite::flush, handle_, hold);
  }
  while (pending_writes_ > 0 && !peer_closed_ && task.now() < deadline) sched.park_io(task, deadline);
  if (pending_writes_ > 0) return false;
  // The ACK comes back one link round trip after the last segment went out.
  VTime ack = link_model_.ack_at(net_.link());
  if (ack > deadline) {
    sched.park_until(task, deadline);
    return false;
  }
  if (ack > task.now()) sched.park_until(task, ack);
  return true;
}

bool TcpSocket::connected() {
  HostSection host;
  net_.counters().looks++;
  release_unsent();
  await_reply();
  return state_ == State::connected && !close_visible();
}

void TcpSocket::close() { net_.close(*this); }

void TcpSocket::link_lost(VTime now, int error) {
  if (state_ == State::closed || peer_closed_) return;
  rx_.clear();
  if (state_ == State::connected)
    deliver_close(error, now);
  else
    deliver_connect(error, now);  // a connect under way fails
}

void TcpSocket::shut() {
  state_ = State::closed;
  rx_.clear();
}

// --- what arrives ------------------------------------------------------------------------------------

VTime TcpSocket::stamp() {
  Scheduler& s = net_.sched();
  // Realtime: on the device's side of its wall offset (how far the host let its clock fall behind).
  return link_model_.stamp(ArrivalClock{s.realtime(), s.wall_now() - net_.task().wall_offset(), s.event_floor()});
}

void TcpSocket::record(NetEventKind kind, int status, VTime at, const char* bytes, size_t n) {
  if (!net_.recording()) return;
  NetEvent e;
  e.kind = kind;
  e.handle = handle_;
  e.status = status;
  e.stamp = at;
  if (bytes) e.bytes.assign(bytes, n);
  net_.record(std::move(e));
}

void TcpSocket::start_reading() {
  if (reading_ || peer_closed_ || state_ != State::connected) return;
  reading_ = net_.transport().set_reading(*this, true);
}

void TcpSocket::stop_reading() {
  if (!reading_) return;
  net_.transport().set_reading(*this, false);
  reading_ = false;
}

// What each network event does to the socket — the same code for the live callbacks and replay.
void TcpSocket::deliver_data(const char* bytes, size_t n, VTime vis) {
  net_.counters().rx_bytes += n;
  rx_.deliver(bytes, n, vis);
  watch_.received(host_now());
  if (rx_.window_full()) stop_reading();
  net_.sched().signal_io(net_.task(), vis);
  net_.sched().release(net_.task());
}

void TcpSocket::deliver_close(int err, VTime vis) {
  peer_closed_ = true;
  peer_closed_at_ = vis;
  if (err) error_ = err;
  stop_reading();
  net_.sched().signal_io(net_.task(), vis);
  net_.sched().release(net_.task());
}

void TcpSocket::deliver_connect(int status, VTime vis) {
  if (status < 0) {
    state_ = State::failed;
    error_ = status;
  } else {
    state_ = State::connected;
    start_reading();
  }
  event_at_ = vis;
  net_.sched().signal_io(net_.task(), vis);
  net_.sched().release(net_.task());
}

void TcpSocket::deliver_write_done(int status, VTime vis) {
  pending_writes_--;
  if (status < 0 && !peer_closed_) {
    peer_closed_ = true;
    error_ = status;
    peer_closed_at_ = vis;
  }
  if (pending_writes_ == 0) net_.sched().signal_io(net_.task(), net_.task().now());
  net_.sched().release(net_.task());
}

void TcpSocket::arrived_connect(int status) {
  if (state_ == State::closed) return;
  int st = status < 0 ? status : 0;
  VTime vis = net_.faults().after_partition(stamp());  // a partition holds what the peer sends
  link_model_.keep_order(vis);
  record(NetEventKind::connect, st, vis);
  deliver_connect(st, vis);
}

void TcpSocket::arrived_data(const char* bytes, size_t n) {
  if (state_ == State::closed) return;
  VTime vis = net_.faults().after_partition(stamp());
  link_model_.keep_order(vis);
  record(NetEventKind::data, 0, vis, bytes, n);
  deliver_data(bytes, n, vis);
}

void TcpSocket::arrived_close(int err) {
  if (state_ == State::closed) return;
  VTime vis = net_.faults().after_partition(stamp());
  link_model_.keep_order(vis);
  record(NetEventKind::close, err, vis);
  deliver_close(err, vis);
}

void TcpSocket::arrived_write_done(int status) {
  if (state_ == State::closed) {
    pending_writes_--;
    return;
  }
  int st = status < 0 ? status : 0;
  VTime vis = st < 0 && !peer_closed_ ? stamp() : VTime{};
  record(NetEventKind::write_done, st, vis);
  deliver_write_done(st, vis);
}

std::string TcpSocket::apply(const NetEvent& e) {
  if (state_ == State::closed)
    return "the tape has an event for socket " + std::to_string(e.handle) + ", which the device does not have open";
  switch (e.kind) {
    case NetEventKind::connect:
      if (state_ != State::connecting) return "the tape connects socket " + std::to_string(e.handle) + " twice";
      link_model_.keep_order(e.stamp);
      deliver_connect(e.status, e.stamp);
      return {};
    case NetEventKind::data:
      link_model_.keep_order(e.stamp);
      deliver_data(e.bytes.data(), e.bytes.size(), e.stamp);
      return {};
    case NetEventKind::close:
      link_model_.keep_order(e.stamp);
      deliver_close(e.status, e.stamp);
      return {};
    case NetEventKind::write_done:
      if (pending_writes_ <= 0) return "the tape completes a write the device did not make";
      deliver_write_done(e.status, e.stamp);
      return {};
    default:
      return "a device checkpoint where a network event belongs";
  }
}

}  // namespace espfleet
