// sim/net/uv_transport.cpp — device sockets on libuv (uv_transport.h).
#include "uv_transport.h"

#include <uv.h>

#include <cstring>
#include <memory>

#include "device_net.h"
#include "scheduler.h"
#include "tcp_socket.h"

namespace espfleet {

namespace {

// A device socket's libuv side. Owned by the socket's `link` while it is open; freed with the
// socket once libuv has closed the handle.
struct UvLink {
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  TcpSocket* sock;
  bool open = true;
  bool reading = false;
};

struct WriteReq {
  uv_write_t req;
  TcpSocket* sock;
  std::unique_ptr<char[]> data;
};

UvLink* link_of(TcpSocket& s) { return static_cast<UvLink*>(s.link); }

void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char scratch[64 * 1024];  // copied out at once; the loop is single-threaded
  buf->base = scratch;
  buf->len = sizeof scratch;
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  TcpSocket* s = static_cast<UvLink*>(stream->data)->sock;
  if (nread > 0)
    s->arrived_data(buf->base, size_t(nread));
  else if (nread < 0)
    s->arrived_close(nread == UV_EOF ? 0 : int(nread));
}

void on_connect(uv_connect_t* req, int status) { static_cast<UvLink*>(req->data)->sock->arrived_connect(status); }

void on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteReq> w(static_cast<WriteReq*>(req->data));
  w->sock->arrived_write_done(status);
}

}  // namespace

int UvTransport::open(TcpSocket& s, const sockaddr_in& peer, const std::string& source_address) {
  auto* l = new UvLink{};
  l->sock = &s;
  s.link = l;
  uv_tcp_init(sched_.loop(), &l->tcp);
  l->tcp.data = l;
  l->connect_req.data = l;
  if (!source_address.empty()) {
    sockaddr_in sa{};
    uv_ip4_addr(source_address.c_str(), 0, &sa);
    uv_tcp_bind(&l->tcp, reinterpret_cast<sockaddr*>(&sa), 0);
  }
  uv_tcp_nodelay(&l->tcp, 1);
  return uv_tcp_connect(&l->connect_req, &l->tcp, reinterpret_cast<const sockaddr*>(&peer), on_connect);
}

int UvTransport::send(TcpSocket& s, const uint8_t* bytes, size_t n, uint64_t) {
  auto* w = new WriteReq{};
  w->sock = &s;
  w->data.reset(new char[n]);
  std::memcpy(w->data.get(), bytes, n);
  w->req.data = w;
  uv_buf_t b = uv_buf_init(w->data.get(), unsigned(n));
  int status = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&link_of(s)->tcp), &b, 1, on_write);
  if (status < 0) delete w;
  return status;
}

bool UvTransport::set_reading(TcpSocket& s, bool on) {
  UvLink* l = link_of(s);
  if (!l || !l->open) return false;
  auto* stream = reinterpret_cast<uv_stream_t*>(&l->tcp);
  if (on && !l->reading)
    l->reading = uv_read_start(stream, on_alloc, on_read) == 0;
  else if (!on && l->reading) {
    uv_read_stop(stream);
    l->reading = false;
  }
  return l->reading;
}

void UvTransport::close(std::unique_ptr<TcpSocket> s) {
  UvLink* l = link_of(*s);
  if (!l) return;  // never opened: nothing refers to it
  l->open = false;
  s.release();
  // libuv runs the cancelled writes' callbacks (the socket is closed: they only count down)
  // before the close callback, which frees both.
  uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), [](uv_handle_t* h) {
    auto* link = static_cast<UvLink*>(h->data);
    delete link->sock;
    delete link;
  });
}

void UvTransport::hold(DeviceNet& net, ParkSite site, uint32_t handle, const HoldUntil& hold) {
  if (sched_.realtime()) return;
  for (;;) {
    HostTime until = hold.until();
    if (host_now() >= until) return;
    net.host_park(site, handle, until);
  }
}

void UvTransport::sync_to_wall(DeviceNet& net) {
  if (!sched_.ahead_of_wall(net.task())) return;  // host pacing: not a yield
  NetEvent e;
  e.kind = NetEventKind::host_park;
  e.status = int32_t(ParkSite::sync);
  net.record(std::move(e));
  sched_.wait_for_wall(net.task());
}

}  // namespace espfleet
