// tests/sim/device_test_support.h — what engine-level tests share: a plain (no TLS) device
// config, fast-mode fleet options with a silent device log, the device whose code is running,
// and the results a test firmware records from inside its device (kept in host memory, keyed by
// the device's chip id).
#pragma once
#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include <Esp.h>

#include "alloc_scope.h"
#include "device_resets.h"
#include "fleet.h"

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

inline FleetOptions fast_options(void (*program)(), double seconds) {
  FleetOptions o;
  o.mode = RunMode::fast;
  o.duration = VTime::from_s(seconds);
  o.program = Program{"test", program};
  o.device_log = quiet_logger();
  return o;
}

// A sketch-like program for a test: its globals (`state`, with their initial values in
// `pristine`), setup() and loop(), as a built sketch's image gives them.
template <class G>
ProgramImage sketch_image(G& state, const G& pristine, void (*setup)(), void (*loop)()) {
  ProgramImage im;
  im.state = reinterpret_cast<uint8_t*>(&state);
  im.state_bytes = sizeof state;
  im.pristine = reinterpret_cast<const uint8_t*>(&pristine);
  im.setup = setup;
  im.loop = loop;
  return im;
}

// The device whose code is running (its platform is the installed one), from that code.
inline Device& running_device() { return static_cast<DevicePlatform*>(esp_platform())->device(); }

// One engine call on the device's thunk block, as the platform makes it (without the cost hooks a
// real BearSSL engine gets): on the thunk stack, and "BSSL stack smashing" when it overran.
inline void thunked_call(Device& d, void (*fn)(void*), void* arg) {
  ThunkBlock::Call c = d.thunk().call(fn, arg, d.costs());
  if (c.smashed) reset_stack_smash(d, c);
}

// The one-line summaries of a device's crashes, in order.
inline std::vector<std::string> crash_reasons(const Device& d) {
  std::vector<std::string> out;
  for (const CrashEntry& c : d.life().crashes()) out.push_back(c.summary);
  return out;
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
