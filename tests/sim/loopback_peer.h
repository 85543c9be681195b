// tests/sim/loopback_peer.h — TCP on 127.0.0.1 for engine tests: a listening socket on a free
// port, and a peer that accepts one connection, answers each 'p' with 'r', closes on 'c'. The
// peer is stopped (and its thread joined) when it goes.
#pragma once
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

namespace espfleet::test {

// A socket listening on 127.0.0.1 at a port the system chose (*port).
inline int listen_loopback(uint16_t* port, int backlog = 1) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::listen(fd, backlog) == 0);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

struct LoopbackPeer {
  int listen_fd = -1;
  uint16_t port = 0;
  std::thread t;
  LoopbackPeer() {
    listen_fd = listen_loopback(&port);
    t = std::thread([fd = listen_fd] {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char b;
      while (::read(c, &b, 1) == 1) {
        if (b == 'p' && ::write(c, "r", 1) != 1) break;
        if (b == 'c') break;
      }
      ::close(c);
    });
  }
  ~LoopbackPeer() {
    ::shutdown(listen_fd, SHUT_RDWR);
    ::close(listen_fd);
    t.join();
  }
  LoopbackPeer(const LoopbackPeer&) = delete;
  LoopbackPeer& operator=(const LoopbackPeer&) = delete;
};

}  // namespace espfleet::test
