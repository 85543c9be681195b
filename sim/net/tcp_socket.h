// sim/net/tcp_socket.h — one TCP connection of a device, as the firmware's WiFiClient sees it:
// connect blocks up to its timeout, available()/read() never block, flush() waits for the peer's
// ACK (up to its timeout), writes after the close has reached the device fail. Underneath: the
// lwIP receive model (lwip_rx.h), the link model (link_model.h), fast mode's reply watch
// (fast_pacing.h) and the device's transport (transport.h).
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "fast_pacing.h"
#include "link_model.h"
#include "lwip_rto.h"
#include "lwip_rx.h"
#include "net_event.h"
#include "platform.h"

namespace espfleet {

class DeviceNet;

class TcpSocket final : public EspTcp {
 public:
  enum class State { connecting, connected, closed, failed };

  TcpSocket(DeviceNet& net, uint32_t handle);
  ~TcpSocket();
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  // --- the firmware's calls (EspTcp), on the device's fiber ---
  size_t write(const uint8_t* buf, size_t len) override;
  int available() override;
  int read(uint8_t* buf, size_t len) override;
  int peek() override;
  bool flush(uint32_t timeout_ms) override;
  bool connected() override;
  void close() override;

  // --- the transport's: what arrives, between the device's slices ---
  // Live: stamped (link model), recorded on the device's tape, then delivered.
  void arrived_connect(int status);
  void arrived_data(const char* bytes, size_t n);
  void arrived_close(int err);  // 0: the peer closed; else the libuv error
  void arrived_write_done(int status);
  // Replay: a recorded event, delivered at its recorded stamp. "" or why it cannot be.
  std::string apply(const NetEvent& e);

  // The earliest device time at which what this socket shows the firmware can change: unread
  // bytes become visible, the peer's close arrives, the reply to the last write is due (fast mode
  // holds there), a connect completes. False when nothing is on its way.
  bool next_event(VTime* at) const;
  // Realtime: the device may be waiting on the peer here (connecting, a write not done, or sent
  // with nothing arrived since): a wait then keeps the device's wall offset (Scheduler).
  bool awaits_peer() const {
    return state_ == State::connecting || pending_writes_ > 0 ||
           (state_ == State::connected && !peer_closed_ && link_model_.awaiting());
  }

  uint32_t handle() const { return handle_; }
  DeviceNet& net() const { return net_; }
  State state() const { return state_; }
  bool peer_closed() const { return peer_closed_; }
  bool open() const { return state_ == State::connected && !close_visible(); }
  // DeviceNet::link_lost: aborted at `now` with `error` (nothing more arrives; unread bytes are lost).
  void link_lost(VTime now, int error);
  int pending_writes() const { return pending_writes_; }
  void write_cancelled() { pending_writes_--; }  // a closed socket's write finished (libuv)
  void* link = nullptr;                          // the transport's own state for this connection

 private:
  friend class DeviceNet;
  // DeviceNet::connect's steps.
  int start(const sockaddr_in& peer);
  bool await_connected(uint32_t timeout_ms);
  void shut();  // closed: pbufs freed
  // Hands `len` bytes to the transport (recorded, counted, the link's exchange drawn, a link_delay
  // added): a write, or the bytes held in the send buffer, once they may go. `first`: sent for the
  // first time, a round-trip sample for lwIP's timer.
  size_t send_now(const uint8_t* buf, size_t len, bool first);
  // What the send buffer holds goes out now if it may (the partition over, the retransmission
  // due — and not lost again): the firmware's next call on the socket.
  void release_unsent();
  // When what the send buffer holds may go next: the open partition's end, else the lost
  // segment's retransmission or the capped wire's end, else now.
  VTime hold_end() const;
  // What the link does to received segments at `now` (lwip_rx.h).
  RxLink rx_link(VTime now);

  void deliver_connect(int status, VTime vis);
  void deliver_data(const char* bytes, size_t n, VTime vis);
  void deliver_close(int err, VTime vis);
  void deliver_write_done(int status, VTime vis);
  VTime stamp();
  void record(NetEventKind kind, int status, VTime at, const char* bytes = nullptr, size_t n = 0);
  void await_reply();
  void start_reading();
  void stop_reading();
  bool close_visible() const;  // the peer's close has reached the device

  DeviceNet& net_;
  uint32_t handle_;
  State state_ = State::connecting;
  int error_ = 0;  // libuv error of connect/read
  RxQueue rx_;
  LinkModel link_model_;
  ReplyWatch watch_;
  bool reading_ = false;
  bool peer_closed_ = false;
  VTime peer_closed_at_{};
  int pending_writes_ = 0;
  VTime event_at_{};     // when the device sees the connect's outcome
  std::string unsent_;   // held: written during a partition or lost (at most LinkFaults::kSendBuffer)
  VTime resend_at_{};    // what unsent_ holds was lost: when lwIP sends it again ({}: not lost)
  VTime wire_at_{};      // a capped link: when the wire has carried what unsent_ holds ({}: no cap)
  uint8_t retries_ = 0;  // its retransmissions so far
  LwipRto rto_;
};

}  // namespace espfleet
