// sim/broker.cpp — the embedded Mosquitto (see broker.h): config generation, free-port
// choice with bounded retries, spawn with a raised RLIMIT_NOFILE, readiness by TCP probe,
// stop by pid.
#include "broker.h"

#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "output_file.h"

namespace espfleet {

namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in ipv4_addr(const std::string& host, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
    throw BrokerError("broker: \"" + host + "\" is not an IPv4 address");
  return sa;
}

std::string normalize_bind(const std::string& bind) {
  if (bind.empty() || bind == "localhost") return "127.0.0.1";
  return bind;
}

// Last `n` lines of `text`.
std::string tail_lines(const std::string& text, size_t n) {
  if (n == 0) return {};
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  size_t pos = end;
  size_t found = 0;
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (++found == n) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  return text.substr(pos, end - pos);
}

std::string read_from(const std::filesystem::path& p, std::uintmax_t offset) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::uintmax_t file_size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  auto s = std::filesystem::file_size(p, ec);
  return ec ? 0 : s;
}

void check_config_value(const std::string& what, const std::string& v) {
  if (v.find_first_of("\r\n") != std::string::npos)
    throw BrokerError("broker: " + what + " contains a line break: " + v);
}

// The sd_notify(3) protocol, receiving end: Debian's mosquitto is built with systemd support
// and sends "READY=1" once every listener (TLS context included) is set up. An abstract
// AF_UNIX datagram socket, only datagrams from the child's pid count (SO_PASSCRED).
class NotifySocket {
 public:
  NotifySocket() {
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
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string env() const { return "NOTIFY_SOCKET=@" + name_; }

  // Drains pending datagrams; true when one from `pid` said READY=1.
  bool ready_from(pid_t pid) {
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

 private:
  int fd_ = -1;
  std::string name_;
};

}  // namespace

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

BrokerOptions prepare_broker_pki(const std::filesystem::path& dir, CertificateAuthority& ca,
                                 KeyType server_key, const std::string& bind) {
  std::filesystem::path pki = std::filesystem::absolute(dir) / "pki";
  std::error_code ec;
  std::filesystem::create_directories(pki, ec);
  if (ec) throw BrokerError("broker: create " + pki.string() + ": " + ec.message());
  write_file_atomically(pki / "ca.crt", ca.cert_pem());
  IssuedCert server = ca.issue_server("espfleet-broker", loopback_server_sans(bind), server_key);
  write_pem_files(server, pki / "server.crt", pki / "server.key", true);
  BrokerOptions o;
  o.dir = std::filesystem::absolute(dir);
  o.cafile = pki / "ca.crt";
  o.certfile = pki / "server.crt";
  o.keyfile = pki / "server.key";
  o.bind = bind;
  return o;
}

EmbeddedBroker::~EmbeddedBroker() {
  try {
    stop();
  } catch (...) {
  }
}

EmbeddedBroker& EmbeddedBroker::operator=(EmbeddedBroker&& o) noexcept {
  if (this != &o) {
    try {
      stop();
    } catch (...) {
    }
    opts_ = std::move(o.opts_);
    proc_ = std::move(o.proc_);
    host_ = std::move(o.host_);
    tls_port_ = o.tls_port_;
    plain_port_ = o.plain_port_;
    start_duration_ = o.start_duration_;
    last_exit_ = o.last_exit_;
  }
  return *this;
}

void EmbeddedBroker::check_options() const {
  if (opts_.dir.empty()) throw BrokerError("broker: options.dir is empty");
  auto need = [](const std::filesystem::path& p, const char* what) {
    if (p.empty()) throw BrokerError(std::string("broker: options.") + what + " is empty");
    if (!std::filesystem::exists(p))
      throw BrokerError(std::string("broker: ") + what + " " + p.string() + ": file not found");
    check_config_value(what, p.string());
  };
  need(opts_.certfile, "certfile");
  need(opts_.keyfile, "keyfile");
  if (opts_.require_certificate || !opts_.cafile.empty()) need(opts_.cafile, "cafile");
  check_config_value("dir", opts_.dir.string());
  for (const auto& line : opts_.extra_config) check_config_value("extra_config", line);
  if (opts_.plain_listener && opts_.tls_port != 0 && opts_.tls_port == opts_.plain_port)
    throw BrokerError("broker: tls_port and plain_port are both " + std::to_string(opts_.tls_port));
}

std::string EmbeddedBroker::render_config() const {
  std::ostringstream c;
  c << "# mosquitto.conf — generated by espfleet for its embedded broker; rewritten on each start.\n"
    << kOwnerMark << ::getpid() << "\n"
    << "per_listener_settings true\n";
  // Started as root, Mosquitto drops to user "mosquitto" before reading the keys; stay root.
  if (::geteuid() == 0) c << "user root\n";
  c << "persistence false\n"
    << "log_dest file " << (opts_.dir / "mosquitto.log").string() << "\n"
    << "log_type error\nlog_type warning\nlog_type notice\n"
    << "log_timestamp true\nlog_timestamp_format %Y-%m-%dT%H:%M:%S\n"
    << "max_keepalive " << opts_.max_keepalive << "\n"
    << "max_inflight_messages " << opts_.max_inflight_messages << "\n"
    << "max_queued_messages " << opts_.max_queued_messages << "\n"
    << "set_tcp_nodelay " << (opts_.tcp_nodelay ? "true" : "false") << "\n";
  for (const auto& line : opts_.extra_config) c << line << "\n";

  c << "\n# TLS listener\n"
    << "listener " << tls_port_ << " " << opts_.bind << "\n"
    << "socket_domain ipv4\n"
    << "max_connections -1\n";
  if (!opts_.cafile.empty()) c << "cafile " << opts_.cafile.string() << "\n";
  c << "certfile " << opts_.certfile.string() << "\n"
    << "keyfile " << opts_.keyfile.string() << "\n"
    << "require_certificate " << (opts_.require_certificate ? "true" : "false") << "\n"
    << "use_identity_as_username " << (opts_.use_identity_as_username ? "true" : "false") << "\n"
    // A client with a certificate gets its CN as user name; without one it is anonymous.
    << "allow_anonymous "
    << (opts_.require_certificate && opts_.use_identity_as_username ? "false" : "true") << "\n";

  if (opts_.plain_listener) {
    c << "\n# plain listener\n"
      << "listener " << plain_port_ << " " << opts_.bind << "\n"
      << "socket_domain ipv4\n"
      << "max_connections -1\n"
      << "allow_anonymous true\n";
  }
  return c.str();
}

void EmbeddedBroker::start(const BrokerOptions& opts) {
  if (running())
    throw BrokerError("broker: start: already running (pid " + std::to_string(pid()) + ")");
  auto t0 = Clock::now();
  opts_ = opts;
  opts_.bind = normalize_bind(opts_.bind);
  ipv4_addr(opts_.bind, 0);  // validates
  host_ = opts_.bind == "0.0.0.0" ? "127.0.0.1" : opts_.bind;
  opts_.dir = std::filesystem::absolute(opts_.dir);
  for (auto* p : {&opts_.cafile, &opts_.certfile, &opts_.keyfile})
    if (!p->empty()) *p = std::filesystem::absolute(*p);
  check_options();

  std::filesystem::path exe;
  if (!opts_.mosquitto.empty()) {
    auto found = find_executable(opts_.mosquitto.string());
    if (!found) throw BrokerError("broker: mosquitto executable " + opts_.mosquitto.string() + " not found");
    exe = *found;
  } else {
    // Debian installs the broker in /usr/sbin, which a non-root PATH often lacks.
    auto found = find_executable("mosquitto", {"/usr/sbin", "/usr/local/sbin"});
    if (!found)
      throw BrokerError("broker: mosquitto not found in PATH — run tools/deps (apt-get install mosquitto)");
    exe = *found;
  }

  std::error_code ec;
  std::filesystem::create_directories(opts_.dir, ec);
  if (ec) throw BrokerError("broker: create " + opts_.dir.string() + ": " + ec.message());

  const auto conf = config_path();
  const auto log = log_path();
  const auto out = opts_.dir / "mosquitto.out";
  const bool fixed_ports = opts_.tls_port != 0;
  const int attempts = std::max(1, opts_.bind_attempts);

  for (int attempt = 1;; ++attempt) {
    tls_port_ = opts_.tls_port ? opts_.tls_port : pick_free_port(opts_.bind);
    plain_port_ = 0;
    if (opts_.plain_listener) {
      plain_port_ = opts_.plain_port;
      for (int i = 0; plain_port_ == 0 || plain_port_ == tls_port_; ++i) {
        if (i > 50) throw BrokerError("broker: could not find a second free port on " + opts_.bind);
        plain_port_ = pick_free_port(opts_.bind);
      }
    }
    try {
      write_file_atomically(conf, render_config());
    } catch (const std::exception& e) {
      throw BrokerError(std::string("broker: write config: ") + e.what());
    }

    auto log_offset = file_size_or_zero(log);
    auto out_offset = file_size_or_zero(out);
    NotifySocket notify;
    SpawnSpec spec;
    spec.argv = {exe.string(), "-c", conf.string()};
    spec.stdout_file = out;
    spec.stderr_file = out;
    spec.raise_nofile = true;
    // The broker lives no longer than we do (even if we are killed), and a Ctrl-C on the
    // terminal reaches only us: we stop it ourselves after writing the outputs.
    spec.die_with_parent = true;
    spec.new_process_group = true;
    // Always set: an inherited NOTIFY_SOCKET (the simulator under systemd) would otherwise
    // receive the broker's READY=1.
    const bool notify_ok = opts_.use_sd_notify && notify.ok();
    spec.env_overrides.push_back(notify_ok ? notify.env() : std::string("NOTIFY_SOCKET="));
    try {
      proc_ = Subprocess::spawn(spec);
    } catch (const std::exception& e) {
      throw BrokerError(std::string("broker: start ") + exe.string() + ": " + e.what());
    }

    auto fresh_output = [&] {
      std::string s = read_from(log, log_offset);
      std::string o = read_from(out, out_offset);
      if (!o.empty()) s += (s.empty() ? "" : "\n") + o;
      return s;
    };

    // Ready means: mosquitto says READY=1 through NOTIFY_SOCKET (sent after every listener,
    // TLS context included, is set up). A build without systemd support never sends it; then,
    // once our child has listened on every port for a while, a probe connection must be
    // accepted by its main loop (logged "New connection from ...:<probe port> on port <tls
    // port>." at notice level; costs three log lines). A listening socket alone proves
    // nothing: mosquitto opens each listen socket *before* loading that listener's key.
    auto deadline = Clock::now() + opts_.ready_timeout;
    bool listening = false;
    Clock::time_point listening_since{};
    bool retry = false;
    int probe_fd = -1;
    std::string probe_needle;
    auto close_probe = [&] {
      if (probe_fd >= 0) ::close(probe_fd);
      probe_fd = -1;
    };
    while (true) {
      if (!proc_.running()) {
        close_probe();
        last_exit_ = proc_.status();
        std::string text = fresh_output();
        bool in_use = text.find("Address already in use") != std::string::npos;
        if (in_use && attempt < attempts) {
          retry = true;
          break;
        }
        throw BrokerError("broker: mosquitto exited during startup (" +
                          last_exit_.value_or(ExitStatus{}).describe() + ", config " + conf.string() +
                          ")" + (in_use ? " — port " + std::to_string(tls_port_) + " in use" : "") +
                          "; last output:\n" + tail_lines(text, 15));
      }
      if (notify_ok && notify.ready_from(proc_.pid())) {
        close_probe();
        break;
      }
      if (probe_fd < 0) {
        // Only probe ports that are *ours* (another process may have taken one meanwhile;
        // then mosquitto exits with "Address already in use" and we retry).
        auto ports = listening_tcp_ports(proc_.pid());
        auto listens = [&](uint16_t port) {
          return !ports || std::find(ports->begin(), ports->end(), port) != ports->end();
        };
        if (listens(tls_port_) && (!plain_port_ || listens(plain_port_))) {
          if (!listening) listening_since = Clock::now();
          listening = true;
        } else {
          listening = false;
        }
        bool probe_now = listening && (!notify_ok || Clock::now() - listening_since > std::chrono::seconds(1));
        if (probe_now) {
          sockaddr_in sa = ipv4_addr(host_, tls_port_);
          probe_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          if (probe_fd >= 0 && ::connect(probe_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
            sockaddr_in local{};
            socklen_t len = sizeof local;
            ::getsockname(probe_fd, reinterpret_cast<sockaddr*>(&local), &len);
            probe_needle = ":" + std::to_string(ntohs(local.sin_port)) + " on port " + std::to_string(tls_port_) + ".";
          } else {
            close_probe();
          }
        }
      } else if (read_from(log, log_offset).find(probe_needle) != std::string::npos) {
        close_probe();
        break;
      }
      if (Clock::now() >= deadline) {
        close_probe();
        ExitStatus st = proc_.terminate(std::chrono::milliseconds(1000));
        last_exit_ = st;
        throw BrokerError("broker: mosquitto not ready on " + host_ + ":" + std::to_string(tls_port_) +
                          " after " + std::to_string(opts_.ready_timeout.count()) +
                          " ms (stopped it: " + st.describe() + "); last output:\n" +
                          tail_lines(fresh_output(), 15));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!retry) break;
    // A fixed port may still be held for a moment (e.g. by the broker we just stopped).
    if (fixed_ports) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  start_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

void EmbeddedBroker::stop() {
  if (proc_.pid() > 0) last_exit_ = proc_.terminate(std::chrono::milliseconds(3000));
}

void EmbeddedBroker::restart() {
  if (opts_.dir.empty() || tls_port_ == 0) throw BrokerError("broker: restart: never started");
  stop();
  BrokerOptions o = opts_;
  o.tls_port = tls_port_;
  o.plain_port = plain_port_;
  start(o);
}

bool EmbeddedBroker::running() {
  if (proc_.pid() <= 0) return false;
  if (proc_.running()) return true;
  last_exit_ = proc_.status();
  return false;
}

std::string EmbeddedBroker::log_tail(size_t lines) const {
  std::string text = read_from(log_path(), 0);
  std::string out = read_from(opts_.dir / "mosquitto.out", 0);
  std::string r = tail_lines(text, lines);
  if (!out.empty()) r += "\n[stdout/stderr]\n" + tail_lines(out, lines);
  return r;
}

std::vector<StaleBroker> stop_stale_brokers() {
  std::vector<StaleBroker> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = pid_t(std::stol(name));
    std::ifstream cmd(entry.path() / "cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (size_t at = 0; at < all.size();) {
      size_t nul = all.find('\0', at);
      if (nul == std::string::npos) nul = all.size();
      args.push_back(all.substr(at, nul - at));
      at = nul + 1;
    }
    if (args.empty() || std::filesystem::path(args[0]).filename() != "mosquitto") continue;
    std::filesystem::path conf;
    for (size_t i = 1; i + 1 < args.size(); ++i)
      if (args[i] == "-c") conf = args[i + 1];
    if (conf.empty()) continue;
    // Our generated config names the espfleet that started the broker.
    std::ifstream in(conf);
    std::string line;
    pid_t owner = 0;
    for (int i = 0; i < 4 && std::getline(in, line); ++i)
      if (line.rfind(kOwnerMark, 0) == 0) owner = pid_t(std::atol(line.c_str() + std::strlen(kOwnerMark)));
    if (owner <= 0 || owner == ::getpid() || process_alive(owner)) continue;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 60 && process_alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (process_alive(pid)) ::kill(pid, SIGKILL);
    found.push_back(StaleBroker{pid, owner, conf});
  }
  return found;
}

}  // namespace espfleet
