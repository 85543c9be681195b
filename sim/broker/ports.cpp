// sim/broker/ports.cpp — free-port choice, TCP probes and a process's listening ports read from
// /proc (see ports.h).
#include "ports.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "broker_error.h"

namespace espfleet {

std::string normalize_bind(const std::string& bind) {
  if (bind.empty() || bind == "localhost") return "127.0.0.1";
  return bind;
}

sockaddr_in ipv4_addr(const std::string& host, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
    throw BrokerError("broker: \"" + host + "\" is not an IPv4 address");
  return sa;
}

uint16_t pick_free_port(const std::string& bind_ipv4) {
  sockaddr_in sa = ipv4_addr(normalize_bind(bind_ipv4), 0);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw BrokerError(std::string("broker: pick port: socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(fd);
    throw BrokerError("broker: pick port: bind " + bind_ipv4 + ":0: " + std::strerror(e));
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

bool tcp_port_open(const std::string& host_ipv4, uint16_t port) {
  sockaddr_in sa = ipv4_addr(host_ipv4, port);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

std::optional<std::vector<uint16_t>> listening_tcp_ports(pid_t pid) {
  // The process's socket inodes, from its fd table...
  const std::filesystem::path proc = "/proc/" + std::to_string(pid);
  std::set<unsigned long> inodes;
  std::error_code ec;
  std::filesystem::directory_iterator it(proc / "fd", ec);
  if (ec) return std::nullopt;
  for (const auto& entry : it) {
    std::error_code lec;
    std::string target = std::filesystem::read_symlink(entry.path(), lec).string();
    if (!lec && target.rfind("socket:[", 0) == 0) inodes.insert(std::stoul(target.substr(8)));
  }
  // ... matched against LISTEN (state 0A) sockets of its network namespace.
  std::vector<uint16_t> ports;
  bool any_table = false;
  for (const char* table : {"net/tcp", "net/tcp6"}) {
    std::ifstream in(proc / table);
    if (!in) continue;
    any_table = true;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, st, queues, timer, retr, uid, timeout;
      unsigned long inode = 0;
      if (!(ls >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
      if (st != "0A" || !inodes.count(inode)) continue;
      auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      ports.push_back(static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16)));
    }
  }
  if (!any_table) return std::nullopt;
  return ports;
}

}  // namespace espfleet
