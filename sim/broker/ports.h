// sim/broker/ports.h — loopback TCP ports for the embedded broker: a free one to bind, whether
// one accepts, and which ones a process listens on.
#pragma once
#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace espfleet {

// "localhost" and "" mean 127.0.0.1; anything else is returned as given.
std::string normalize_bind(const std::string& bind);
// host:port as a socket address; throws BrokerError naming `host` when it is not IPv4.
sockaddr_in ipv4_addr(const std::string& host, uint16_t port);

// A port on `bind_ipv4` that was free a moment ago (bind to port 0, read it, close).
uint16_t pick_free_port(const std::string& bind_ipv4 = "127.0.0.1");
// Does something accept TCP connections on host:port right now?
bool tcp_port_open(const std::string& host_ipv4, uint16_t port);
// TCP ports `pid` listens on (Linux /proc: its socket inodes in LISTEN state); nullopt when
// /proc cannot tell.
std::optional<std::vector<uint16_t>> listening_tcp_ports(pid_t pid);

}  // namespace espfleet
