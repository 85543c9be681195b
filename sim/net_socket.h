// sim/net_socket.h — a device's TCP connection: a real libuv socket to the broker underneath,
// lwIP's behaviour on top (received segments held as pbufs on the *device* heap, a receive
// window of 4·MSS, flush waiting for the ACK) and the link model (RTT, jitter) in virtual time.
#pragma once
#include <uv.h>

#include <cstdint>
#include <deque>
#include <string>

#include "sim_time.h"

namespace espfleet {

class Device;
class Engine;

inline constexpr size_t kMss = 536;
inline constexpr size_t kTcpWnd = 4 * kMss;     // 2144 B unread data before the window closes
inline constexpr size_t kPbufOverhead = 80;     // pbuf struct + headers per received segment

struct Pbuf {
  uint8_t* data;  // on the device heap
  uint16_t len;
  uint16_t off;
  VTime visible_at;
};

struct DeviceSocket {
  enum class State { connecting, connected, closed, failed };

  Engine* engine = nullptr;
  Device* dev = nullptr;
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  State state = State::connecting;
  int error = 0;                 // libuv error of connect/read
  std::deque<Pbuf> rx;           // received, visible from visible_at on
  std::string backlog;           // received but no heap for a pbuf yet (lwIP would drop + retransmit)
  VTime backlog_visible_at{};
  VTime last_stamp{};  // the latest arrival stamped on this socket (arrivals stay in order)
  size_t rx_held = 0;            // bytes held in pbufs
  bool reading = false;
  bool peer_closed = false;
  VTime peer_closed_at{};
  int pending_writes = 0;
  VTime last_tx{};               // device time of the last write (or the connect)
  VTime connected_at{};
  bool awaiting = false;         // an exchange with the peer is in flight (fast mode)
  uint64_t awaiting_since_ns = 0;
  bool handle_open = false;
};

// Operations used by the platform, on the device's fiber.
int socket_connect(Engine& eng, Device& d, const char* host, uint16_t port, uint32_t timeout_ms);
size_t socket_write(Engine& eng, Device& d, int h, const uint8_t* buf, size_t len);
int socket_available(Engine& eng, Device& d, int h);
int socket_read(Engine& eng, Device& d, int h, uint8_t* buf, size_t len);
int socket_peek(Engine& eng, Device& d, int h);
bool socket_flush(Engine& eng, Device& d, int h, uint32_t timeout_ms);
bool socket_connected(Engine& eng, Device& d, int h);
void socket_close(Engine& eng, Device& d, int h);
// Drop every socket of a device (reboot / end of run).
void socket_close_all(Engine& eng, Device& d);
// Fast mode: sockets whose exchange has been silent for a while no longer hold virtual time.
int socket_expire_awaiting(Engine& eng, uint64_t wall_ns, uint64_t quiet_ns);
bool resolve_host(const char* host, uint32_t* ipv4_be);

}  // namespace espfleet
