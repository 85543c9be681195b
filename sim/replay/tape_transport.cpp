// sim/replay/tape_transport.cpp — a device's network from its tape (tape_transport.h).
#include "tape_transport.h"

#include "device_net.h"
#include "scheduler.h"
#include "tape.h"
#include "task.h"
#include "tcp_socket.h"

namespace espfleet {

const NetEvent* TapeTransport::peek(DeviceNet& net) {
  const NetEvent* e = tape_.peek();
  if (!e && !tape_.error().empty()) diverge(net, "the tape is damaged: " + tape_.error());
  return e;
}

void TapeTransport::diverge(DeviceNet& net, const std::string& why) {
  if (divergence_.empty())
    divergence_ = "device " + std::to_string(device_) + " left its tape at " +
                  std::to_string(net.task().now().seconds()) + " s: " + why;
  net.sched().request_stop();
}

int TapeTransport::open(TcpSocket& s, const sockaddr_in&, const std::string&) {
  // A connect libuv refused at once was recorded during the slice that made it.
  const NetEvent* e = peek(s.net());
  if (e && e->kind == NetEventKind::connect && e->slice == s.net().task().slices() && e->handle == s.handle()) {
    int rc = e->status ? e->status : -1;
    tape_.pop();
    return rc;
  }
  return 0;
}

int TapeTransport::send(TcpSocket& s, const uint8_t*, size_t n, uint64_t hash) {
  DeviceNet& net = s.net();
  const NetEvent* e = peek(net);
  if (!e) return 0;  // past the tape's end: the write goes nowhere
  uint64_t slices = net.task().slices();
  if (e->kind != NetEventKind::write || e->slice != slices || e->handle != s.handle() || e->hash != hash ||
      e->length != n) {
    diverge(net, "it wrote " + std::to_string(n) + " bytes on socket " + std::to_string(s.handle()) + " at slice " +
                     std::to_string(slices) + " where the tape has " +
                     (e->kind == NetEventKind::write
                          ? "a write of " + std::to_string(e->length) + " bytes on socket " +
                                std::to_string(e->handle) + " at slice " + std::to_string(e->slice)
                          : "event kind " + std::to_string(int(e->kind)) + " at slice " + std::to_string(e->slice)));
    return kDiverged;
  }
  int status = e->status;
  tape_.pop();
  return status;
}

bool TapeTransport::parks_here(DeviceNet& net, ParkSite site, uint32_t handle) {
  const NetEvent* e = peek(net);
  if (!e || e->kind != NetEventKind::host_park || e->slice != net.task().slices()) return false;
  if (e->status != int32_t(site) || e->handle != handle) return false;
  tape_.pop();
  return true;
}

void TapeTransport::close(std::unique_ptr<TcpSocket> s) { s.reset(); }

void TapeTransport::hold(DeviceNet& net, ParkSite site, uint32_t handle, const HoldUntil&) {
  while (parks_here(net, site, handle)) net.host_park(site, handle, HostTime{});
}

void TapeTransport::sync_to_wall(DeviceNet& net) {
  while (parks_here(net, ParkSite::sync, 0)) net.host_park(ParkSite::sync, 0, HostTime{});
}

void TapeTransport::after_slice(DeviceNet& net) {
  uint64_t slices = net.task().slices();
  while (const NetEvent* e = peek(net)) {
    if (e->slice > slices) break;
    if (e->kind == NetEventKind::write || e->kind == NetEventKind::host_park) {
      if (e->slice < slices)
        diverge(net, std::string("it did not reach its ") + (e->kind == NetEventKind::write ? "write" : "host wait") +
                         " of slice " + std::to_string(e->slice) + " (now at slice " + std::to_string(slices) + ")");
      break;  // the device's own checkpoint: its next slice consumes it
    }
    std::string err = net.apply(*e);
    if (!err.empty()) {
      diverge(net, err);
      break;
    }
    tape_.pop();
  }
  if (end_slices_ && slices >= end_slices_) net.sched().request_stop();
}

}  // namespace espfleet
