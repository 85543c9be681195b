// sim/net_socket.cpp — device TCP over libuv with lwIP's memory behaviour and the link model.
#include "net_socket.h"

#include <algorithm>
#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <memory>

#include "cost_model.h"
#include "engine.h"
#include "tape.h"

namespace espfleet {

namespace {

struct WriteReq {
  uv_write_t req;
  DeviceSocket* sock;
  std::unique_ptr<char[]> data;
};

DeviceSocket* sock_of(Device& d, int h) {
  if (h <= 0 || size_t(h) > d.sockets.size()) return nullptr;
  return d.sockets[size_t(h) - 1].get();
}

VTime link_delay(Device& d) {
  const DeviceConfig& c = d.config();
  int64_t j = c.jitter.us > 0 ? int64_t(d.rng_net.below(uint64_t(c.jitter.us))) : 0;
  return VTime::from_us(c.rtt.us + j);
}

// Fast mode: how long the engine holds a device whose peer has not answered yet (host time).
constexpr uint64_t kBurstQuietNs = 1000000;        // a reply is whole once 1 ms passed without more bytes
constexpr uint64_t kNoReplyNs = 40ull * 1000000;   // no byte 40 ms after the write: no reply is coming
constexpr uint64_t kConnectWaitNs = 3000ull * 1000000;
constexpr uint64_t kFlushWaitNs = 1000ull * 1000000;

uint32_t handle_of(const DeviceSocket& s) {
  auto& v = s.dev->sockets;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i].get() == &s) return uint32_t(i + 1);
  return 0;
}

// When something the peer sent becomes visible to the device. Realtime: the wall clock plus the
// link delay drawn at the device's last transmission. Fast: a reply is due one link delay after
// the device's last transmission; anything unasked for (a broker going away, a command) one link
// delay after the fleet's present. Drawn per transmission, not per read: how the host's TCP cuts
// the bytes must not change the device's history. TCP delivers in order: a later event (bytes,
// the close) never overtakes an earlier one.
VTime stamp(DeviceSocket& s) {
  Engine& eng = *s.engine;
  VTime base = eng.options().realtime ? eng.wall_now() + s.delay
               : s.reply_pending       ? s.reply_at
                                       : eng.event_floor() + s.delay;
  VTime t = std::max(base, s.last_stamp);
  s.last_stamp = t;
  return t;
}

void record(DeviceSocket& s, TapeKind kind, int status, VTime at, const char* bytes = nullptr, size_t n = 0) {
  if (!s.dev->tape) return;
  TapeEvent e;
  e.kind = kind;
  e.handle = handle_of(s);
  e.status = status;
  e.stamp = at;
  if (bytes) e.bytes.assign(bytes, n);
  s.engine->tape_record(*s.dev, std::move(e));
}

void free_pbufs(DeviceSocket& s) {
  for (auto& p : s.rx) {
    s.dev->heap_tags.erase(s.dev->heap(), p.data);
    s.dev->heap().free(p.data);
  }
  s.rx.clear();
  s.rx_held = 0;
  s.backlog.clear();
}

// Move received bytes into pbufs on the device heap; what does not fit stays in the backlog (lwIP
// would drop the segment and the peer would retransmit it). Runs on the device's fiber when it
// looks at the socket, so the pbufs it gets depend only on the bytes, never on how the host's
// reads cut them.
void fill_pbufs(DeviceSocket& s) {
  UmmHeap& heap = s.dev->heap();
  size_t off = 0;
  while (off < s.backlog.size()) {
    size_t len = std::min(kMss, s.backlog.size() - off);
    auto* p = static_cast<uint8_t*>(heap.malloc(len + kPbufOverhead));
    if (!p) break;
    s.dev->heap_tags.set(heap, p, HeapTag::lwip);
    std::memcpy(p + kPbufOverhead, s.backlog.data() + off, len);
    s.rx.push_back(Pbuf{p, uint16_t(len), uint16_t(kPbufOverhead), s.backlog_visible_at});
    s.rx_held += len;
    off += len;
  }
  s.backlog.erase(0, off);
  s.dev->note_heap();
}

void stop_reading(DeviceSocket& s) {
  if (!s.reading) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&s.tcp));
  s.reading = false;
}

// What each network event does to the socket — the same code for the live callbacks and replay.
void deliver_data(DeviceSocket& s, const char* bytes, size_t n, VTime vis) {
  s.dev->stats.rx_bytes += n;
  s.backlog_visible_at = vis;
  s.backlog.append(bytes, n);
  s.rx_since_write = true;
  s.last_rx_ns = uv_hrtime();
  if (s.rx_held + s.backlog.size() >= kTcpWnd) stop_reading(s);
  s.engine->signal_io(*s.dev, vis);
  s.engine->release(*s.dev);
}

void deliver_close(DeviceSocket& s, int err, VTime vis) {
  s.peer_closed = true;
  s.peer_closed_at = vis;
  if (err) s.error = err;
  stop_reading(s);
  s.engine->signal_io(*s.dev, vis);
  s.engine->release(*s.dev);
}

void start_reading(DeviceSocket& s);

void deliver_connect(DeviceSocket& s, int status, VTime vis) {
  if (status < 0) {
    s.state = DeviceSocket::State::failed;
    s.error = status;
  } else {
    s.state = DeviceSocket::State::connected;
    start_reading(s);
  }
  s.event_at = vis;
  s.engine->signal_io(*s.dev, vis);
  s.engine->release(*s.dev);
}

void deliver_write_done(DeviceSocket& s, int status, VTime vis) {
  s.pending_writes--;
  if (status < 0 && !s.peer_closed) {
    s.peer_closed = true;
    s.error = status;
    s.peer_closed_at = vis;
  }
  if (s.pending_writes == 0) s.engine->signal_io(*s.dev, s.dev->now());
  s.engine->release(*s.dev);
}

void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char scratch[64 * 1024];  // copied out at once; the loop is single-threaded
  buf->base = scratch;
  buf->len = sizeof scratch;
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* s = static_cast<DeviceSocket*>(stream->data);
  if (s->state == DeviceSocket::State::closed) return;
  if (nread > 0) {
    VTime vis = stamp(*s);
    record(*s, TapeKind::data, 0, vis, buf->base, size_t(nread));
    deliver_data(*s, buf->base, size_t(nread), vis);
  } else if (nread < 0) {
    int err = nread == UV_EOF ? 0 : int(nread);
    VTime vis = stamp(*s);
    record(*s, TapeKind::close, err, vis);
    deliver_close(*s, err, vis);
  }
}

void start_reading(DeviceSocket& s) {
  if (s.reading || s.peer_closed || s.state != DeviceSocket::State::connected || !s.handle_open) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&s.tcp), on_alloc, on_read) == 0) s.reading = true;
}

void on_connect(uv_connect_t* req, int status) {
  auto* s = static_cast<DeviceSocket*>(req->data);
  if (s->state == DeviceSocket::State::closed) return;
  VTime vis = stamp(*s);
  record(*s, TapeKind::connect, status < 0 ? status : 0, vis);
  deliver_connect(*s, status < 0 ? status : 0, vis);
}

void on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteReq> w(static_cast<WriteReq*>(req->data));
  DeviceSocket* s = w->sock;
  if (s->state == DeviceSocket::State::closed) {
    s->pending_writes--;
    return;
  }
  VTime vis = status < 0 && !s->peer_closed ? stamp(*s) : VTime{};
  record(*s, TapeKind::write_done, status < 0 ? status : 0, vis);
  deliver_write_done(*s, status < 0 ? status : 0, vis);
}

void close_socket(DeviceSocket* s) {
  s->state = DeviceSocket::State::closed;
  free_pbufs(*s);
  if (s->handle_open) {
    s->handle_open = false;
    // libuv runs the cancelled writes' callbacks before the close callback.
    uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), [](uv_handle_t* h) {
      delete static_cast<DeviceSocket*>(h->data);
    });
  } else {
    delete s;
  }
}

// What has arrived and is visible by now goes into pbufs (the device is looking).
void take_arrived(DeviceSocket& s, VTime now) {
  if (!s.backlog.empty() && s.backlog_visible_at <= now) fill_pbufs(s);
}

size_t visible_bytes(DeviceSocket& s, VTime now) {
  size_t n = 0;
  for (auto& p : s.rx) {
    if (p.visible_at > now) break;
    n += p.len;
  }
  return n;
}

// Fast mode: the device looks for the reply to its last write at or after the time it is due;
// if the real peer has not answered yet (or is still sending), the engine holds this device
// until it has, or until it is clear no reply is coming. Replay holds where the tape says.
void await_reply(Engine& eng, Device& d, int h) {
  DeviceSocket* s = sock_of(d, h);
  if (!s || !s->reply_pending || d.now() < s->reply_at) return;
  if (eng.replaying()) {
    while (eng.replay_parks_here(d, ParkSite::reply, uint32_t(h))) eng.host_park(d, ParkSite::reply, uint32_t(h), 0);
  } else if (!eng.options().realtime) {
    for (;;) {
      s = sock_of(d, h);
      if (!s || s->peer_closed || s->state != DeviceSocket::State::connected) break;
      uint64_t now = uv_hrtime(), until = s->rx_since_write ? s->last_rx_ns + kBurstQuietNs : s->write_ns + kNoReplyNs;
      if (now >= until) break;
      eng.host_park(d, ParkSite::reply, uint32_t(h), until);
    }
  }
  if ((s = sock_of(d, h))) s->reply_pending = false;
}

// Holds the device while `waiting` says its real peer owes it an answer (fast mode), at most
// budget_ns of host time; in replay, where the tape says.
template <class Waiting>
void hold_while(Engine& eng, Device& d, ParkSite site, int h, uint64_t budget_ns, Waiting waiting) {
  if (eng.replaying()) {
    while (eng.replay_parks_here(d, site, uint32_t(h))) eng.host_park(d, site, uint32_t(h), 0);
    return;
  }
  if (eng.options().realtime) return;
  uint64_t until = uv_hrtime() + budget_ns;
  while (waiting() && uv_hrtime() < until) eng.host_park(d, site, uint32_t(h), until);
}

}  // namespace

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

int socket_connect(Engine& eng, Device& d, const char* host, uint16_t port, uint32_t timeout_ms) {
  eng.sync_to_wall(d);
  d.charge(cost::kTcpCall);
  uint32_t ip = 0;
  if (!resolve_host(host, &ip)) return -1;
  auto owned = std::make_unique<DeviceSocket>();
  DeviceSocket* s = owned.get();
  s->engine = &eng;
  s->dev = &d;
  size_t slot = 0;
  while (slot < d.sockets.size() && d.sockets[slot]) ++slot;
  if (slot == d.sockets.size()) d.sockets.emplace_back();
  d.sockets[slot] = std::move(owned);
  int h = int(slot) + 1;

  s->last_tx = d.now();
  s->delay = link_delay(d);
  s->reply_at = d.now() + s->delay;
  s->reply_pending = true;
  d.stats.tcp_connects++;
  int rc = 0;
  if (eng.replaying()) {
    // A connect libuv refused at once was recorded during the slice that made it.
    const TapeEvent* e = eng.tape_peek(d);
    if (e && e->kind == TapeKind::connect && e->slice == d.slices && e->handle == uint32_t(h)) {
      rc = e->status ? e->status : -1;
      eng.tape_pop(d);
    }
  } else {
    uv_tcp_init(eng.loop(), &s->tcp);
    s->tcp.data = s;
    s->handle_open = true;
    s->connect_req.data = s;
    const std::string& src = eng.source_address_for(d);
    if (!src.empty()) {
      sockaddr_in sa{};
      uv_ip4_addr(src.c_str(), 0, &sa);
      uv_tcp_bind(&s->tcp, reinterpret_cast<sockaddr*>(&sa), 0);
    }
    uv_tcp_nodelay(&s->tcp, 1);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = ip;
    rc = uv_tcp_connect(&s->connect_req, &s->tcp, reinterpret_cast<sockaddr*>(&addr), on_connect);
    if (rc < 0) record(*s, TapeKind::connect, rc, d.now());
  }
  if (rc < 0) {
    socket_close(eng, d, h);
    return -1;
  }
  VTime deadline = d.now() + VTime::from_ms(timeout_ms);
  hold_while(eng, d, ParkSite::connect, h, kConnectWaitNs,
             [&] { return sock_of(d, h) && sock_of(d, h)->state == DeviceSocket::State::connecting; });
  s = sock_of(d, h);
  while (s->state == DeviceSocket::State::connecting && d.now() < deadline) {
    eng.park_io(d, deadline);
    s = sock_of(d, h);
  }
  // The outcome reached the host while the device was held: it sees it one link delay on.
  if (s->state != DeviceSocket::State::connecting && s->event_at > d.now()) {
    eng.park_until(d, std::min(s->event_at, deadline));
    s = sock_of(d, h);
  }
  s->reply_pending = false;
  if (s->state != DeviceSocket::State::connected || s->event_at > deadline) {
    socket_close(eng, d, h);
    return -1;
  }
  s->connected_at = d.now();
  return h;
}

size_t socket_write(Engine& eng, Device& d, int h, const uint8_t* buf, size_t len) {
  DeviceSocket* s = sock_of(d, h);
  if (!s || s->state != DeviceSocket::State::connected || len == 0) return 0;
  if (s->peer_closed && s->peer_closed_at <= d.now()) return 0;  // the close has reached the device
  d.charge(cost::kTcpCall + cost::kTcpByte * len);
  eng.sync_to_wall(d);
  s = sock_of(d, h);
  if (!s || s->state != DeviceSocket::State::connected) return 0;
  uint64_t hash = Tape::hash_bytes(buf, len);
  int status = 0;
  if (eng.replaying()) {
    if (!eng.replay_write(d, uint32_t(h), hash, uint32_t(len), &status)) return 0;
  } else {
    auto* w = new WriteReq{};
    w->sock = s;
    w->data.reset(new char[len]);
    std::memcpy(w->data.get(), buf, len);
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data.get(), unsigned(len));
    status = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&s->tcp), &b, 1, on_write);
    if (status < 0) delete w;
    if (d.tape) {
      TapeEvent e;
      e.kind = TapeKind::write;
      e.handle = uint32_t(h);
      e.status = status < 0 ? status : 0;
      e.hash = hash;
      e.length = uint32_t(len);
      eng.tape_record(d, std::move(e));
    }
  }
  // The host refused the write (EPIPE, ECONNRESET: its kernel already has the peer's reset) while,
  // in device time, the close has not reached the device: lwIP would take the bytes — the reset
  // is still on its way — so the write counts as sent, the bytes are lost, and the close arrives
  // when it is due. (Decided from the socket's state alone, so replay decides the same.)
  const bool refused = status < 0;
  if (refused && s->peer_closed && s->peer_closed_at <= d.now()) return 0;
  if (!refused) s->pending_writes++;  // a refused write never completes
  s->last_tx = d.now();
  s->delay = link_delay(d);
  s->reply_at = d.now() + s->delay;
  s->reply_pending = true;
  s->write_ns = uv_hrtime();
  s->rx_since_write = false;
  d.stats.tx_bytes += len;
  return len;
}

int socket_available(Engine& eng, Device& d, int h) {
  await_reply(eng, d, h);
  DeviceSocket* s = sock_of(d, h);
  if (!s) return 0;
  d.charge(cost::kTcpCall / 4);
  take_arrived(*s, d.now());
  return int(visible_bytes(*s, d.now()));
}

int socket_read(Engine& eng, Device& d, int h, uint8_t* buf, size_t len) {
  await_reply(eng, d, h);
  DeviceSocket* s = sock_of(d, h);
  if (!s) return -1;
  take_arrived(*s, d.now());
  size_t n = 0;
  VTime now = d.now();
  while (n < len && !s->rx.empty() && s->rx.front().visible_at <= now) {
    Pbuf& p = s->rx.front();
    size_t take = std::min<size_t>(len - n, p.len);
    std::memcpy(buf + n, p.data + p.off, take);
    p.off += uint16_t(take);
    p.len -= uint16_t(take);
    s->rx_held -= take;
    n += take;
    if (p.len == 0) {
      d.heap_tags.erase(d.heap(), p.data);
      d.heap().free(p.data);
      s->rx.pop_front();
    }
  }
  d.charge(cost::kTcpCall / 4 + cost::kTcpByte * n);
  if (s->rx_held + s->backlog.size() < kTcpWnd) start_reading(*s);
  return int(n);
}

int socket_peek(Engine& eng, Device& d, int h) {
  await_reply(eng, d, h);
  DeviceSocket* s = sock_of(d, h);
  if (!s) return -1;
  take_arrived(*s, d.now());
  if (s->rx.empty() || s->rx.front().visible_at > d.now()) return -1;
  return s->rx.front().data[s->rx.front().off];
}

bool socket_flush(Engine& eng, Device& d, int h, uint32_t timeout_ms) {
  DeviceSocket* s = sock_of(d, h);
  if (!s || s->state != DeviceSocket::State::connected) return false;
  VTime deadline = d.now() + VTime::from_ms(timeout_ms);
  if (s->pending_writes > 0)
    hold_while(eng, d, ParkSite::flush, h, kFlushWaitNs, [&] {
      DeviceSocket* x = sock_of(d, h);
      return x && x->pending_writes > 0 && !x->peer_closed;
    });
  s = sock_of(d, h);
  while (s && s->pending_writes > 0 && !s->peer_closed && d.now() < deadline) {
    eng.park_io(d, deadline);
    s = sock_of(d, h);
  }
  if (!s || s->pending_writes > 0) return false;
  // The ACK comes back one link round trip after the last segment went out.
  VTime ack = s->last_tx + VTime::from_us(d.config().rtt.us);
  if (ack > deadline) {
    eng.park_until(d, deadline);
    return false;
  }
  if (ack > d.now()) eng.park_until(d, ack);
  return true;
}

bool socket_connected(Engine& eng, Device& d, int h) {
  await_reply(eng, d, h);
  DeviceSocket* s = sock_of(d, h);
  if (!s || s->state != DeviceSocket::State::connected) return false;
  return !(s->peer_closed && s->peer_closed_at <= d.now());
}

void socket_close(Engine& eng, Device& d, int h) {
  DeviceSocket* s = sock_of(d, h);
  if (!s) return;
  d.charge(cost::kTcpCall);
  close_socket(d.sockets[size_t(h) - 1].release());
}

void socket_close_all(Engine& eng, Device& d) {
  for (auto& s : d.sockets)
    if (s) close_socket(s.release());
  d.sockets.clear();
}

std::string socket_apply_tape_event(Engine& eng, Device& d, const TapeEvent& e) {
  DeviceSocket* s = sock_of(d, int(e.handle));
  if (!s || s->state == DeviceSocket::State::closed)
    return "the tape has an event for socket " + std::to_string(e.handle) + ", which the device does not have open";
  switch (e.kind) {
    case TapeKind::connect:
      if (s->state != DeviceSocket::State::connecting) return "the tape connects socket " + std::to_string(e.handle) + " twice";
      s->last_stamp = std::max(s->last_stamp, e.stamp);
      deliver_connect(*s, e.status, e.stamp);
      return {};
    case TapeKind::data:
      s->last_stamp = std::max(s->last_stamp, e.stamp);
      deliver_data(*s, e.bytes.data(), e.bytes.size(), e.stamp);
      return {};
    case TapeKind::close:
      s->last_stamp = std::max(s->last_stamp, e.stamp);
      deliver_close(*s, e.status, e.stamp);
      return {};
    case TapeKind::write_done:
      if (s->pending_writes <= 0) return "the tape completes a write the device did not make";
      deliver_write_done(*s, e.status, e.stamp);
      return {};
    default:
      return "a device checkpoint where a network event belongs";
  }
}

}  // namespace espfleet
