// tests/sim/device_test_support.h — what engine-level tests share: a plain (no TLS) device
// config, fast-mode engine options with a silent device log, and the results a test firmware
// records from inside its device (kept in host memory, keyed by the device's chip id).
#pragma once
#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include <Esp.h>

#include "engine.h"

namespace espfleet::test {

inline DeviceConfig plain_device(uint32_t mhz, uint32_t heap = 49152) {
  DeviceConfig c;
  c.cpu_mhz = mhz;
  c.heap_bytes = heap;
  c.tls_enabled = false;
  return c;
}

inline std::shared_ptr<spdlog::logger> quiet_logger() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

inline EngineOptions fast_options(void (*program)(), double seconds) {
  EngineOptions o;
  o.realtime = false;
  o.duration = VTime::from_s(seconds);
  o.program = program;
  o.device_log = quiet_logger();
  return o;
}

// Results recorded by test programs (recorded inside a HostSection: host memory).
struct Record {
  uint32_t device;
  uint64_t value;
  std::string what;
};
inline std::vector<Record>& records() {
  static std::vector<Record> r;
  return r;
}
inline void record(const char* what, uint64_t v) {
  HostSection host;
  records().push_back({uint32_t(ESP.getChipId()), v, what});
}
inline uint64_t find(const char* what, uint32_t chip) {
  for (auto& r : records())
    if (r.what == what && r.device == chip) return r.value;
  FAIL("no record " << what);
  return 0;
}

}  // namespace espfleet::test
