// sim/broker/subprocess.cpp — child processes (see subprocess.h): PATH search, fork + exec with
// default signal state, fds ≥ 3 closed and an optional parent-death signal, bounded waits, stop
// by pid.
#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

extern char** environ;

namespace espfleet {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int e) { return std::strerror(e); }

ExitStatus decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

bool is_executable_file(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return std::string("killed by SIG") + (name ? name : std::to_string(signal));
  }
  return "exit " + std::to_string(code);
}

std::optional<std::filesystem::path> find_executable(std::string_view name,
                                                     const std::vector<std::filesystem::path>& extra_dirs) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path p(name);
    if (is_executable_file(p)) return std::filesystem::absolute(p);
    return std::nullopt;
  }
  std::vector<std::filesystem::path> dirs;
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    dirs.emplace_back(dir.empty() ? std::string(".") : std::string(dir));
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (const auto& d : dirs) {
    auto candidate = d / std::string(name);
    if (is_executable_file(candidate)) return std::filesystem::absolute(candidate);
  }
  return std::nullopt;
}

Subprocess Subprocess::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw SubprocessError("spawn: empty argv");
  auto exe = find_executable(spec.argv[0]);
  if (!exe) throw SubprocessError("spawn " + spec.argv[0] + ": not found in PATH");

  // Everything the child needs is built here: between fork and exec it may only make
  // async-signal-safe calls (no allocation, no locks).
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // Environment: environ with overrides applied.
  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& o : spec.env_overrides)
      if (std::string_view(o).substr(0, o.find('=')) == key) overridden = true;
    if (!overridden) env_store.emplace_back(entry);
  }
  for (const auto& o : spec.env_overrides) env_store.push_back(o);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // the child writes errno here if exec fails (closed by a good exec)
  auto close_all = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], exec_pipe[0], exec_pipe[1]})
      if (fd >= 0) ::close(fd);
  };
  if ((spec.capture && (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)) ||
      ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close_all();
    throw SubprocessError("spawn " + spec.argv[0] + ": pipe: " + errno_text(e));
  }
  const std::string out_file = spec.stdout_file.string(), err_file = spec.stderr_file.string();
  const bool err_to_out = !err_file.empty() && err_file == out_file;
  struct rlimit nofile {};
  const bool raise = spec.raise_nofile && ::getrlimit(RLIMIT_NOFILE, &nofile) == 0;
  nofile.rlim_cur = nofile.rlim_max;
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    close_all();
    throw SubprocessError("spawn " + exe->string() + ": fork: " + errno_text(e));
  }
  if (pid == 0) {
    // The child. Tie it to our life first: when this process dies, even by SIGKILL, the kernel
    // sends the child SIGTERM (and if we died before this line, it goes at once).
    if (spec.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
    }
    // Default dispositions and an empty mask, whatever this process blocks or ignores (libuv
    // and test harnesses change SIGPIPE/SIGCHLD handling).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (spec.new_process_group) ::setpgid(0, 0);
    auto fail = [&](int e) {
      (void)!::write(exec_pipe[1], &e, sizeof e);
      ::_exit(127);
    };
    int in = ::open("/dev/null", O_RDONLY);
    if (in < 0 || ::dup2(in, 0) < 0) fail(errno);
    auto route = [&](int target, const std::string& file, int pipe_w) {
      int fd = -1;
      if (!file.empty())
        fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      else if (spec.capture)
        fd = pipe_w;
      else if (!spec.inherit_output)
        fd = ::open("/dev/null", O_WRONLY);
      else
        return;
      if (fd < 0 || ::dup2(fd, target) < 0) fail(errno);
    };
    route(1, out_file, out_pipe[1]);
    if (err_to_out) {
      if (::dup2(1, 2) < 0) fail(errno);
    } else {
      route(2, err_file, err_pipe[1]);
    }
    // Nothing of ours (sockets, the libuv loop, other children's pipes) leaks into the child;
    // the exec pipe is close-on-exec.
    if (exec_pipe[1] > 3) ::close_range(3, unsigned(exec_pipe[1]) - 1, 0);
    ::close_range(unsigned(exec_pipe[1]) + 1, ~0u, 0);
    if (raise) ::setrlimit(RLIMIT_NOFILE, &nofile);
    ::execve(exe->c_str(), argv.data(), envp.data());
    fail(errno);
  }

  ::close(exec_pipe[1]);
  exec_pipe[1] = -1;
  int child_errno = 0;
  ssize_t got;
  while ((got = ::read(exec_pipe[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {}
  ::close(exec_pipe[0]);
  exec_pipe[0] = -1;
  if (got == sizeof child_errno) {
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    close_all();
    throw SubprocessError("spawn " + exe->string() + ": " + errno_text(child_errno));
  }

  Subprocess p;
  p.pid_ = pid;
  p.last_pid_ = pid;
  if (spec.capture) {
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    p.out_fd_ = out_pipe[0];
    p.err_fd_ = err_pipe[0];
    ::fcntl(p.out_fd_, F_SETFL, O_NONBLOCK);
    ::fcntl(p.err_fd_, F_SETFL, O_NONBLOCK);
  }
  return p;
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
  }
  close_pipes();
}

Subprocess::Subprocess(Subprocess&& o) noexcept { *this = std::move(o); }

Subprocess& Subprocess::operator=(Subprocess&& o) noexcept {
  if (this != &o) {
    this->~Subprocess();
    pid_ = o.pid_;
    last_pid_ = o.last_pid_;
    out_fd_ = o.out_fd_;
    err_fd_ = o.err_fd_;
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
    status_ = o.status_;
    o.pid_ = -1;
    o.out_fd_ = -1;
    o.err_fd_ = -1;
  }
  return *this;
}

void Subprocess::close_pipes() {
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
  out_fd_ = err_fd_ = -1;
}

void Subprocess::drain(int timeout_ms) {
  if (out_fd_ < 0 && err_fd_ < 0) {
    if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  pollfd fds[2];
  int n = 0;
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  int r = ::poll(fds, n, timeout_ms);
  if (r <= 0) return;
  for (int i = 0; i < n; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
    std::string& dst = fds[i].fd == out_fd_ ? out_ : err_;
    char buf[4096];
    while (true) {
      ssize_t got = ::read(fd, buf, sizeof buf);
      if (got > 0) {
        dst.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got == 0) {  // EOF
        ::close(fd);
        fd = -1;
      }
      break;  // EAGAIN, EINTR or EOF
    }
  }
}

bool Subprocess::reap_nohang() {
  if (pid_ <= 0) return true;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = decode(st);
    pid_ = -1;
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere
    status_ = ExitStatus{};
    pid_ = -1;
    return true;
  }
  return false;
}

bool Subprocess::running() {
  drain(0);
  return !reap_nohang();
}

std::optional<ExitStatus> Subprocess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (reap_nohang()) {
      // The child is gone: collect what is left in the pipes (bounded: a grandchild could
      // keep the write end open).
      auto drain_deadline = Clock::now() + std::chrono::milliseconds(500);
      while ((out_fd_ >= 0 || err_fd_ >= 0) && Clock::now() < drain_deadline) drain(10);
      close_pipes();
      return status_;
    }
    auto now = Clock::now();
    if (now >= deadline) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    drain(static_cast<int>(std::min<long long>(left, 10)));
  }
}

bool Subprocess::wait_output(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    drain(10);
    if (out_.find(needle) != std::string::npos) return true;
    if (reap_nohang()) {
      drain(0);
      return out_.find(needle) != std::string::npos;
    }
    if (Clock::now() >= deadline) return false;
  }
}

void Subprocess::send_signal(int sig) {
  if (pid_ > 0 && ::kill(pid_, sig) != 0 && errno != ESRCH)
    throw SubprocessError("kill " + std::to_string(pid_) + ": " + errno_text(errno));
}

ExitStatus Subprocess::terminate(std::chrono::milliseconds grace) {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!wait_for(grace)) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      pid_t r;
      while ((r = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {}
      status_ = r == pid_ ? decode(st) : ExitStatus{};
      pid_ = -1;
    }
  }
  close_pipes();
  return status_.value_or(ExitStatus{});
}

RunResult run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  SpawnSpec spec;
  spec.argv = argv;
  spec.capture = true;
  Subprocess p = Subprocess::spawn(spec);
  RunResult r;
  if (auto st = p.wait_for(timeout)) {
    r.status = *st;
  } else {
    r.timed_out = true;
    p.send_signal(SIGKILL);
    r.status = p.wait_for(std::chrono::milliseconds(5000)).value_or(ExitStatus{});
  }
  r.out = p.out();
  r.err = p.err();
  return r;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0) return errno == EPERM;
  // A zombie still answers kill(0); look at its state.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= line.size()) return true;
  return line[close_paren + 2] != 'Z';
}

}  // namespace espfleet
