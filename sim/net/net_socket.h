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
  std::string backlog;           // received, not yet in pbufs (they are taken when the device looks)
  VTime backlog_visible_at{};
  VTime last_stamp{};  // the latest arrival stamped on this socket (arrivals stay in order)
  size_t rx_held = 0;            // bytes held in pbufs
  bool reading = false;
  bool peer_closed = false;
  VTime peer_closed_at{};
  int pending_writes = 0;
  VTime last_tx{};               // device time of the last write (or the connect)
  VTime connected_at{};
  VTime event_at{};              // when the device sees the connect's outcome
  VTime delay{};                 // the link's one-way-and-back delay drawn at the last transmission
  // The reply the device may be waiting for (fast mode, docs/replay.md): due at reply_at; the
  // engine holds the device — not the fleet — when it looks for it before the peer answered.
  bool reply_pending = false;
  VTime reply_at{};
  uint64_t write_ns = 0;         // host time of the last write
  bool rx_since_write = false;
  uint64_t last_rx_ns = 0;       // host time of the last bytes received
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
bool resolve_host(const char* host, uint32_t* ipv4_be);

// Replay: what a tape event (sim/tape.h) did to the device's socket when it was recorded.
// Returns "" or what makes the event impossible (the device diverged from its tape).
struct TapeEvent;
std::string socket_apply_tape_event(Engine& eng, Device& d, const TapeEvent& e);

}  // namespace espfleet
