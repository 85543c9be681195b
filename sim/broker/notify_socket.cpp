// sim/broker/notify_socket.cpp — the sd_notify(3) socket the embedded broker waits on (see
// notify_socket.h).
#include "notify_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>

namespace espfleet {

NotifySocket::NotifySocket() {
  static std::atomic<unsigned> counter{0};
  name_ = "espfleet-mosquitto-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() & 0xffffff);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return;
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path + 1, name_.data(), name_.size());  // sun_path[0] = 0: abstract
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool NotifySocket::ready_from(pid_t pid) {
  if (fd_ < 0) return false;
  while (true) {
    char buf[1024];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof buf - 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) return false;  // EAGAIN: nothing (more) pending
    pid_t sender = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
        sender = reinterpret_cast<ucred*>(CMSG_DATA(c))->pid;
    std::string text(buf, static_cast<size_t>(n));
    if (sender == pid && ("\n" + text + "\n").find("\nREADY=1\n") != std::string::npos) return true;
  }
}

}  // namespace espfleet
