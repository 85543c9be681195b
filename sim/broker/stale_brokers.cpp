// sim/broker/stale_brokers.cpp — the /proc walk that finds orphaned embedded Mosquittos and
// stops them (see stale_brokers.h).
#include "stale_brokers.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "subprocess.h"

namespace espfleet {

std::vector<StaleBroker> stop_stale_brokers() {
  std::vector<StaleBroker> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = pid_t(std::stol(name));
    std::string all;
    try {
      std::ifstream cmd(entry.path() / "cmdline", std::ios::binary);
      all.assign(std::istreambuf_iterator<char>(cmd), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      continue;  // it exited while we read (read() fails with ESRCH): not a broker of anyone's
    }
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
