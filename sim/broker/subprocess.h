// sim/broker/subprocess.h — child processes of the host engine: spawn (fork + exec, PATH search,
// clean signal state, optional RLIMIT_NOFILE raise, optionally tied to our life), wait with a
// timeout, stop by pid (SIGTERM, grace, SIGKILL, reap), and run-and-capture for tests and tools.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace espfleet {

class SubprocessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a child ended.
struct ExitStatus {
  int code = -1;   // exit code when the child exited normally, else -1
  int signal = 0;  // terminating signal, else 0
  bool ok() const { return signal == 0 && code == 0; }
  std::string describe() const;  // "exit 0", "exit 3", "killed by SIGKILL"
};

struct SpawnSpec {
  std::vector<std::string> argv;           // argv[0] is searched in PATH unless it has a '/'
  std::vector<std::string> env_overrides;  // "NAME=value" entries replacing/adding to environ
  std::filesystem::path stdout_file;       // empty: see capture / inherit
  std::filesystem::path stderr_file;       // empty: see capture / inherit; may equal stdout_file
  bool capture = false;                    // stdout/stderr to pipes, read by wait_for()
  bool inherit_output = false;             // with no file and no capture: inherit (else /dev/null)
  bool raise_nofile = false;               // child starts with soft RLIMIT_NOFILE = hard
  bool new_process_group = false;          // child leads its own process group
  bool die_with_parent = false;            // SIGTERM to the child when this process dies
                                           // (PR_SET_PDEATHSIG), even by SIGKILL
};

// Absolute path of an executable named `name` in $PATH (or `name` itself if it has a '/'),
// plus `extra_dirs` searched after $PATH. nullopt when not found.
std::optional<std::filesystem::path> find_executable(std::string_view name,
                                                     const std::vector<std::filesystem::path>& extra_dirs = {});

// One spawned child. Move-only; the destructor SIGKILLs and reaps a child still running, so
// a test that throws never leaves a process behind.
class Subprocess {
 public:
  Subprocess() = default;
  static Subprocess spawn(const SpawnSpec& spec);
  ~Subprocess();
  Subprocess(Subprocess&& o) noexcept;
  Subprocess& operator=(Subprocess&& o) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }  // -1 when nothing was spawned or it was reaped
  bool running();                     // reaps if it has exited
  std::optional<ExitStatus> status() const { return status_; }

  // Waits up to `timeout` for the child to exit (draining captured output meanwhile).
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // Waits until captured stdout contains `needle` or the child exits or `timeout` passes.
  bool wait_output(std::string_view needle, std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, SIGKILL, reap. Returns the final status (also if already gone).
  ExitStatus terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  void send_signal(int sig);

  const std::string& out() const { return out_; }  // captured stdout so far
  const std::string& err() const { return err_; }  // captured stderr so far

 private:
  void drain(int timeout_ms);  // poll the capture pipes once
  void close_pipes();
  bool reap_nohang();

  pid_t pid_ = -1;
  pid_t last_pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<ExitStatus> status_;
};

// Result of run_capture().
struct RunResult {
  ExitStatus status;
  bool timed_out = false;  // the child was killed because `timeout` passed
  std::string out;
  std::string err;
};

// Runs argv to completion (bounded by `timeout`, then SIGKILL) and returns its output.
RunResult run_capture(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

// Is `pid` still a live (non-zombie) process? For tests checking a child really ended.
bool process_alive(pid_t pid);

}  // namespace espfleet
