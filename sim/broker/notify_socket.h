// sim/broker/notify_socket.h — how the embedded broker knows Mosquitto is ready: the receiving
// end of sd_notify(3). Debian's mosquitto is built with systemd support and sends "READY=1" once
// every listener (TLS context included) is set up.
#pragma once
#include <sys/types.h>

#include <string>

namespace espfleet {

// An abstract AF_UNIX datagram socket with a unique name; only datagrams from the child's pid
// count (SO_PASSCRED).
class NotifySocket {
 public:
  NotifySocket();
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  // The variable to put in the child's environment.
  std::string env() const { return "NOTIFY_SOCKET=@" + name_; }

  // Drains pending datagrams; true when one from `pid` said READY=1.
  bool ready_from(pid_t pid);

 private:
  int fd_ = -1;
  std::string name_;
};

}  // namespace espfleet
