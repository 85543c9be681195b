// tests/sim/engine/test_engine.cpp — the device engine: clock per CPU frequency, device allocations on
// the device heap, OOM abort and reboot, fast-mode virtual time, deterministic interleaving.
#include <doctest/doctest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "device_test_support.h"
#include "fleet.h"
#include "platform.h"
#include "report.h"
// Device-side API last: Arduino.h maps malloc/free to the device heap for the code below.
#include <Arduino.h>

using namespace espfleet;

namespace {

using test::fast_options;
using test::find;
using test::quiet_logger;
using test::record;
DeviceConfig cfg_at(uint32_t mhz, uint32_t heap = 49152) { return test::plain_device(mhz, heap); }

void fixed_work_program() {
  uint32_t t0 = micros();
  for (int i = 0; i < 1000; ++i) delayMicroseconds(0), (void)ESP.getCycleCount();
  esp_platform()->charge(8000000);  // the same modelled work at any clock
  record("elapsed_us", micros() - t0);
  for (;;) delay(1000);
}

void heap_program() {
  uint32_t before = ESP.getFreeHeap();
  int* p = new int[100];  // 400 B + 4 B header → 51 blocks → 408 B
  uint32_t after = ESP.getFreeHeap();
  record("new_cost", before - after);
  record("in_device_heap", esp_platform() != nullptr && test::running_device().heap().contains(p));
  void* m = malloc(1000);
  record("malloc_cost", after - ESP.getFreeHeap());
  free(m);
  delete[] p;
  record("restored", ESP.getFreeHeap() == before);
  for (;;) delay(1000);
}

char* volatile g_sink;
void oom_program() {
  record("boot", ESP.getFreeHeap());
  char* big = new char[30000];  // more than the heap: the chip aborts ("Unhandled C++ exception: OOM")
  g_sink = big;                 // escapes: the allocation cannot be elided
  record("survived", 1);
  for (;;) delay(1000);
}

void sleepy_program() {
  for (;;) {
    delay(60000);
    record("tick", millis());
  }
}

void jitter_program() {
  for (int i = 0; i < 20; ++i) {
    delay(1 + esp_random() % 50);
    record("step", millis());
  }
  for (;;) delay(100000);
}

// The host stalls the device for 1.5 s of wall time (no device cycles pass), then it polls
// with delay(1) for 2 s of its own time, as the TLS client waits for a reply.
void stalled_then_polling() {
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  uint32_t t0 = millis();
  while (millis() - t0 < 2000) delay(1);
  record("polled_ms", millis() - t0);
  for (;;) delay(100000);
}

}  // namespace

TEST_CASE("realtime: a device behind the wall clock catches up without a wake-up per poll, and the lag is reported") {
  test::records().clear();
  FleetOptions o = fast_options(&stalled_then_polling, 3.0);
  o.mode = RunMode::realtime;
  Fleet eng(o, 1, 49152);
  Device& d = eng.add_device(0, cfg_at(80), 1, {}, VTime{});
  eng.run();
  CHECK(find("polled_ms", d.identity().chip_id) >= 2000);
  // About 1.5 s behind after the stall: those polls went on at once; the rest woke on time.
  CHECK(d.task().lag_max() >= VTime::from_ms(1400));
  CHECK(eng.stats().caught_up >= 1000);
  CHECK(eng.stats().wakeups < 1000);
  CHECK(eng.stats().lagged_wakeups <= 2);
  auto s = fleet_summary(eng.devices(), eng.stats());
  CHECK(s["host"]["overloaded"] == true);
  CHECK(s["host"]["devices_lagged"] == 1);
  CHECK(s["host"]["device_lag_ms"]["max"].get<uint32_t>() >= 1400);
  CHECK(overload_warning(s).find("1 of 1 devices ran more than 1 s behind the wall clock") == 0);
}

TEST_CASE("clock: the same cycles take twice as long at 80 MHz as at 160 MHz") {
  CHECK(cycles_to_time(160000000, 80) == VTime::from_s(2));
  CHECK(cycles_to_time(160000000, 160) == VTime::from_s(1));
  test::records().clear();
  {
    Fleet eng(fast_options(&fixed_work_program, 2), 2, 49152);
    Device& slow = eng.add_device(0, cfg_at(80), 7, {}, VTime{});
    Device& fast = eng.add_device(1, cfg_at(160), 7, {}, VTime{});
    eng.run();
    uint64_t t80 = find("elapsed_us", slow.identity().chip_id), t160 = find("elapsed_us", fast.identity().chip_id);
    REQUIRE(t160 > 0);
    // Same cycle count in both: time differs by exactly the clock ratio (±1 µs of rounding).
    CHECK(t80 >= 2 * t160 - 2);
    CHECK(t80 <= 2 * t160 + 2);
    CHECK(t80 >= 100000);  // 8 M cycles at 80 MHz is 100 ms at least
  }
}

TEST_CASE("device code allocates from its own umm heap; new[] of 400 B costs 408 B") {
  test::records().clear();
  Fleet eng(fast_options(&heap_program, 2), 1, 49152);
  Device& d = eng.add_device(0, cfg_at(80), 1, {}, VTime{});
  eng.run();
  CHECK(find("new_cost", d.identity().chip_id) == 408);
  CHECK(find("in_device_heap", d.identity().chip_id) == 1);
  CHECK(find("malloc_cost", d.identity().chip_id) == 1008);  // ceil((1000+4)/8) = 126 blocks
  CHECK(find("restored", d.identity().chip_id) == 1);
}

TEST_CASE("new beyond the heap aborts only that device with OOM (reason 254) and it reboots") {
  test::records().clear();
  Fleet eng(fast_options(&oom_program, 5), 2, 49152);
  Device& victim = eng.add_device(0, cfg_at(80, 16384), 1, {}, VTime{});
  Device& healthy = eng.add_device(1, cfg_at(80, 49152), 1, {}, VTime{});
  eng.run();
  CHECK(victim.life().boots() >= 2);
  REQUIRE(!test::crash_reasons(victim).empty());
  CHECK(test::crash_reasons(victim)[0].find("OOM") != std::string::npos);
  CHECK(test::crash_reasons(healthy).empty());
  CHECK(healthy.life().boots() == 1);
  CHECK(find("survived", healthy.identity().chip_id) == 1);
}

TEST_CASE("new beyond an ESP32-C3's heap: std::bad_alloc, uncaught, abort() and ESP-IDF's panic (ESP_RST_PANIC)") {
  test::records().clear();
  FleetOptions o = fast_options(&oom_program, 3);
  static std::vector<std::pair<int, std::string>> resets;
  resets.clear();
  o.on_crash = [](Device& d, ResetReason r, const std::string& summary, const std::string& record) {
    resets.emplace_back(reset_code(r, d.config().chip), summary + "\n" + record);
  };
  Fleet eng(o, 1, 65536);
  DeviceConfig c = cfg_at(160, 24576);
  c.chip = Chip::esp32c3;
  Device& d = eng.add_device(0, c, 1, {}, VTime{});
  eng.run();
  REQUIRE(!resets.empty());
  CHECK(resets[0].first == 4);  // ESP_RST_PANIC
  const std::string& text = resets[0].second;
  CHECK(text.find("abort() was called at PC 0x42") == 0);  // the summary
  CHECK(text.find("(std::bad_alloc: new of 30000 B)") != std::string::npos);
  // terminate's lines, a blank line, the abort as the panic's details (no reason line), the
  // registers of panic_abort's store to NULL.
  CHECK(text.find("\nterminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc\n\n"
                  "abort() was called at PC 0x42") != std::string::npos);
  CHECK(text.find(" on core 0\nCore  0 register dump:\nMEPC    : 0x4038") != std::string::npos);
  CHECK(text.find("MCAUSE  : 0x00000007  MTVAL   : 0x00000000") != std::string::npos);
  CHECK(text.find("Guru Meditation") == std::string::npos);
  CHECK(text.find("Unhandled C++ exception") == std::string::npos);
  CHECK(text.find("rst:0xc (RTC_SW_CPU_RST)") != std::string::npos);
  CHECK(crash_kind(ResetReason::panic, text.substr(0, text.find('\n'))) == "bad_alloc");
  CHECK(d.life().boots() >= 2);
}

TEST_CASE("fast mode: an hour of delay() takes no wall time and lands on exact virtual times") {
  test::records().clear();
  auto t0 = std::chrono::steady_clock::now();
  Fleet eng(fast_options(&sleepy_program, 3600), 1, 49152);
  Device& d = eng.add_device(0, cfg_at(160), 1, {}, VTime{});
  eng.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(wall < 5.0);
  size_t ticks = 0;
  for (auto& r : test::records())
    if (r.what == "tick" && r.device == d.identity().chip_id) ticks++;
  CHECK(ticks >= 59);
  CHECK(ticks <= 60);
  CHECK(find("tick", d.identity().chip_id) >= 60000);
  CHECK(find("tick", d.identity().chip_id) < 60010);
}

TEST_CASE("the same seed gives the same interleaving of 50 devices; another seed does not") {
  auto run = [](uint64_t seed) {
    test::records().clear();
    Fleet eng(fast_options(&jitter_program, 10), 50, 16384);
    for (uint32_t i = 0; i < 50; ++i) eng.add_device(i, cfg_at(i % 2 ? 80 : 160, 16384), seed, {}, VTime{});
    eng.run();
    std::string out;
    for (auto& r : test::records()) out += std::to_string(r.device) + ":" + std::to_string(r.value) + " ";
    return out;
  };
  std::string a = run(42), b = run(42), c = run(43);
  CHECK(a.size() > 100);
  CHECK(a == b);
  CHECK(a != c);
}
