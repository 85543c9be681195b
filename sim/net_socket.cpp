// sim/net_socket.cpp — device TCP over libuv with lwIP's memory behaviour and the link model.
#include "net_socket.h"

#include <algorithm>
#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <memory>

#include "cost_model.h"
#include "engine.h"

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

// When a reply the broker sent becomes visible to the device: realtime, the wall clock plus the
// modelled link; fast, one modelled round trip after the device's last transmission.
VTime stamp(DeviceSocket& s) {
  Engine& eng = *s.engine;
  VTime base = eng.options().realtime ? eng.wall_now() : s.last_tx;
  // TCP delivers in order: jitter never lets a later event (bytes, the close) overtake an earlier.
  VTime t = std::max(base + link_delay(*s.dev), s.last_stamp);
  s.last_stamp = t;
  return t;
}

void set_awaiting(DeviceSocket& s, bool on) {
  if (s.awaiting == on) return;
  s.awaiting = on;
  if (on) s.awaiting_since_ns = uv_hrtime();
  s.engine->inflight_add(on ? 1 : -1);
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
// would drop the segment and the peer would retransmit it).
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

void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char scratch[64 * 1024];  // copied out at once; the loop is single-threaded
  buf->base = scratch;
  buf->len = sizeof scratch;
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* s = static_cast<DeviceSocket*>(stream->data);
  if (s->state == DeviceSocket::State::closed) return;
  if (nread > 0) {
    set_awaiting(*s, false);
    s->dev->stats.rx_bytes += uint64_t(nread);
    VTime vis = stamp(*s);
    s->backlog_visible_at = vis;
    s->backlog.append(buf->base, size_t(nread));
    fill_pbufs(*s);
    if (s->rx_held + s->backlog.size() >= kTcpWnd && s->reading) {
      uv_read_stop(stream);
      s->reading = false;
    }
    s->engine->signal_io(*s->dev, vis);
  } else if (nread < 0) {
    set_awaiting(*s, false);
    s->peer_closed = true;
    s->peer_closed_at = stamp(*s);
    if (nread != UV_EOF) s->error = int(nread);
    if (s->reading) {
      uv_read_stop(stream);
      s->reading = false;
    }
    s->engine->signal_io(*s->dev, s->peer_closed_at);
  }
}

void start_reading(DeviceSocket& s) {
  if (s.reading || s.peer_closed || s.state != DeviceSocket::State::connected) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&s.tcp), on_alloc, on_read) == 0) s.reading = true;
}

void on_connect(uv_connect_t* req, int status) {
  auto* s = static_cast<DeviceSocket*>(req->data);
  if (s->state == DeviceSocket::State::closed) return;
  set_awaiting(*s, false);
  if (status < 0) {
    s->state = DeviceSocket::State::failed;
    s->error = status;
  } else {
    s->state = DeviceSocket::State::connected;
    start_reading(*s);
  }
  s->engine->signal_io(*s->dev, stamp(*s));
}

void on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteReq> w(static_cast<WriteReq*>(req->data));
  DeviceSocket* s = w->sock;
  s->pending_writes--;
  if (s->state == DeviceSocket::State::closed) return;
  if (status < 0 && !s->peer_closed) {
    s->peer_closed = true;
    s->error = status;
    s->peer_closed_at = stamp(*s);
  }
  if (s->pending_writes == 0) s->engine->signal_io(*s->dev, s->dev->now());
}

void close_socket(DeviceSocket* s) {
  set_awaiting(*s, false);
  s->state = DeviceSocket::State::closed;
  free_pbufs(*s);
  if (s->handle_open) {
    s->handle_open = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), [](uv_handle_t* h) {
      delete static_cast<DeviceSocket*>(h->data);
    });
  } else {
    delete s;
  }
}

size_t visible_bytes(DeviceSocket& s, VTime now) {
  size_t n = 0;
  for (auto& p : s.rx) {
    if (p.visible_at > now) break;
    n += p.len;
  }
  return n;
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

  size_t slot = 0;
  while (slot < d.sockets.size() && d.sockets[slot]) ++slot;
  if (slot == d.sockets.size()) d.sockets.emplace_back();
  d.sockets[slot] = std::move(owned);
  int h = int(slot) + 1;

  s->last_tx = d.now();
  d.stats.tcp_connects++;
  int rc = uv_tcp_connect(&s->connect_req, &s->tcp, reinterpret_cast<sockaddr*>(&addr), on_connect);
  if (rc < 0) {
    socket_close(eng, d, h);
    return -1;
  }
  set_awaiting(*s, true);
  VTime deadline = d.now() + VTime::from_ms(timeout_ms);
  while (s->state == DeviceSocket::State::connecting && d.now() < deadline) eng.park_io(d, deadline);
  if (s->state != DeviceSocket::State::connected) {
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
  auto* w = new WriteReq{};
  w->sock = s;
  w->data.reset(new char[len]);
  std::memcpy(w->data.get(), buf, len);
  w->req.data = w;
  uv_buf_t b = uv_buf_init(w->data.get(), unsigned(len));
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&s->tcp), &b, 1, on_write) < 0) {
    delete w;
    return 0;
  }
  s->pending_writes++;
  s->last_tx = d.now();
  d.stats.tx_bytes += len;
  set_awaiting(*s, true);
  return len;
}

int socket_available(Engine& eng, Device& d, int h) {
  DeviceSocket* s = sock_of(d, h);
  if (!s) return 0;
  d.charge(cost::kTcpCall / 4);
  if (!s->backlog.empty()) fill_pbufs(*s);
  return int(visible_bytes(*s, d.now()));
}

int socket_read(Engine& eng, Device& d, int h, uint8_t* buf, size_t len) {
  DeviceSocket* s = sock_of(d, h);
  if (!s) return -1;
  if (!s->backlog.empty()) fill_pbufs(*s);
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
  DeviceSocket* s = sock_of(d, h);
  if (!s || s->rx.empty() || s->rx.front().visible_at > d.now()) return -1;
  return s->rx.front().data[s->rx.front().off];
}

bool socket_flush(Engine& eng, Device& d, int h, uint32_t timeout_ms) {
  DeviceSocket* s = sock_of(d, h);
  if (!s || s->state != DeviceSocket::State::connected) return false;
  VTime deadline = d.now() + VTime::from_ms(timeout_ms);
  while (s->pending_writes > 0 && !s->peer_closed && d.now() < deadline) {
    eng.park_io(d, deadline);
    s = sock_of(d, h);
    if (!s) return false;
  }
  if (s->pending_writes > 0) return false;
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

int socket_expire_awaiting(Engine& eng, uint64_t wall_ns, uint64_t quiet_ns) {
  int n = 0;
  for (auto& d : eng.devices())
    for (auto& s : d->sockets)
      if (s && s->awaiting && wall_ns - s->awaiting_since_ns > quiet_ns) {
        s->awaiting = false;  // the caller adjusts the in-flight count
        ++n;
      }
  return n;
}

}  // namespace espfleet
