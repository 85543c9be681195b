// sim/report/live_metrics.h — `run --metrics HOST:PORT`: the run's figures as Prometheus metrics
// while it goes on (prometheus-cpp's registry and HTTP exposer, Debian's prometheus-cpp-dev):
// devices, connected, connects, connect failures by TLS code, crashes by reason, handshake time
// (a histogram of device milliseconds), the lowest free heap, publishes, the fleet's virtual time,
// the worst wake-up lag, host CPU and RSS; every series labelled with the shard ("0/1" for a whole
// fleet). Updated at the run's ticks (a few times a second), served from the exposer's threads.
#pragma once
#include <memory>
#include <string>

namespace espfleet {

class Fleet;

class LiveMetrics {
 public:
  // Listens on `address` ("127.0.0.1:9464"). Throws std::runtime_error naming it when it cannot.
  LiveMetrics(const std::string& address, const std::string& shard);
  ~LiveMetrics();
  LiveMetrics(const LiveMetrics&) = delete;
  LiveMetrics& operator=(const LiveMetrics&) = delete;

  // Reads the fleet's figures into the metrics (on the run's own thread, between slices).
  void update(const Fleet& fleet, double cpu_s, uint64_t rss_bytes);
  uint16_t port() const;  // the port it listens on (an address with port 0 gets a free one)

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace espfleet
