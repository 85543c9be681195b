// tests/sim/loopback_peer.h — a TCP peer on 127.0.0.1 for engine tests: accepts one connection,
// answers each 'p' with 'r', closes on 'c'. Stopped (and its thread joined) when it goes.
#pragma once
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

namespace espfleet::test {

struct LoopbackPeer {
  int listen_fd = -1;
  uint16_t port = 0;
  std::thread t;
  LoopbackPeer() {
    listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(listen_fd, 1) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
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
