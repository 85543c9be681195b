// tests/sim/device/test_watchdog.cpp — the soft and hardware watchdogs in virtual time: a device that
// never yields is reset at 3.2 s (soft) or, with the soft WDT disabled, 8.2 s (hardware) of its
// own clock, within one charge, with the core's post-mortem in its record; then it reboots. A
// device that yields (or waits in delay) keeps running. An ESP32-C3 has ESP-IDF's task watchdog
// on its loop task (5 s; a delay feeds it only around the wait) and interrupt watchdog (300 ms
// with interrupts off), each with its panic text and reset reason.
#include <doctest/doctest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "crash_record.h"
#include "device_test_support.h"
#include "fleet.h"
#include "platform.h"
#include "watchdog.h"
// Device-side API last: Arduino.h maps malloc/free to the device heap for the code below.
#include <Arduino.h>

using namespace espfleet;

namespace {

struct Reset {
  uint32_t device;
  int reason;
  VTime at;         // the device's clock when it reset
  uint64_t fed_at;  // cycles of its last feed
  std::string summary, record;
};
std::vector<Reset> g_resets;

FleetOptions options(void (*program)(), double seconds) {
  FleetOptions o = test::fast_options(program, seconds);
  o.on_crash = [](Device& d, ResetReason reason_code, const std::string& summary, const std::string& record) {
    int reason = reset_code(reason_code);
    g_resets.push_back({d.id(), reason, d.now(), d.watchdog().fed_at(), summary, record});
  };
  return o;
}

DeviceConfig cfg(uint32_t mhz) { return test::plain_device(mhz, 16384); }

// The cheapest charge a polling loop makes: a millis() read (kClockReadCycles, shims/platform.h).

void spin_forever() {
  for (;;) (void)millis();
}

void spin_without_soft_wdt() {
  ESP.wdtDisable();
  for (;;) (void)millis();
}

// 100 ms of busy work (delayMicroseconds does not yield), then a yield: forever.
void busy_then_yield() {
  for (;;) {
    delayMicroseconds(100000);
    yield();
  }
}

// 10 s of its clock without a yield, feeding the watchdog by hand (ESP.wdtFeed()), then delays.
void spin_feeding() {
  while (millis() < 10000) ESP.wdtFeed();
  for (;;) delay(100);
}

// Just under the soft timeout between yields: 3.1 s of work, then delay(1).
void long_bursts() {
  for (;;) {
    for (int i = 0; i < 31; ++i) delayMicroseconds(100000);
    delay(1);
  }
}

}  // namespace

TEST_CASE("watchdog: a loop that never yields gets a soft WDT reset at 3.2 s of its clock, then reboots") {
  for (uint32_t mhz : {80u, 160u}) {
    g_resets.clear();
    Fleet eng(options(&spin_forever, 10), 1, 16384);
    Device& d = eng.add_device(0, cfg(mhz), 1, {}, VTime{});
    eng.run();
    REQUIRE(g_resets.size() >= 2);
    const Reset& r = g_resets[0];
    CHECK(r.reason == reset_code(ResetReason::soft_wdt));
    // 3.2 s after its boot (the last feed), within one charge.
    VTime since = r.at - cycles_to_time(r.fed_at, mhz);
    CHECK(since >= VTime::from_ms(3200));
    CHECK(since <= VTime::from_ms(3200) + cycles_to_time(kClockReadCycles, mhz) + VTime::from_ns(1));
    CHECK(r.at >= VTime::from_ms(3200));
    CHECK(r.at <= VTime::from_ms(3201));
    CHECK(r.summary.find("Soft WDT reset") == 0);
    for (const char* line :
         {"--------------- CUT HERE FOR EXCEPTION DECODER ---------------", "\nSoft WDT reset\n", ">>>stack>>>",
          "ctx: cont", "sp: ", "offset: 01a0", "<<<stack<<<", "ets Jan  8 2013,rst cause:2, boot mode:(3,6)"})
      CHECK_MESSAGE(r.record.find(line) != std::string::npos, line);
    CHECK(r.record.find("ctx: bearssl") == std::string::npos);
    // It rebooted (300 ms of boot) and was reset again 3.2 s after that boot.
    CHECK(g_resets[1].reason == reset_code(ResetReason::soft_wdt));
    VTime gap = g_resets[1].at - r.at;
    CHECK(gap >= VTime::from_ms(3500));
    CHECK(gap <= VTime::from_ms(3501));
    CHECK(d.life().boots() == g_resets.size() + 1);
    CHECK(test::crash_reasons(d).size() == g_resets.size());
    CHECK(test::crash_reasons(d)[0].find("Soft WDT reset") == 0);
  }
}

TEST_CASE("watchdog: with the soft WDT disabled the hardware WDT resets at 8.2 s (reason 1)") {
  g_resets.clear();
  Fleet eng(options(&spin_without_soft_wdt, 12), 1, 16384);
  Device& d = eng.add_device(0, cfg(80), 1, {}, VTime{});
  eng.run();
  REQUIRE(!g_resets.empty());
  const Reset& r = g_resets[0];
  CHECK(r.reason == reset_code(ResetReason::hardware_wdt));
  VTime since = r.at - cycles_to_time(r.fed_at, 80);
  CHECK(since >= VTime::from_ms(8200));
  CHECK(since <= VTime::from_ms(8200) + cycles_to_time(kClockReadCycles, 80) + VTime::from_ns(1));
  CHECK(r.summary.find("Hardware WDT reset") == 0);
  CHECK(r.record.find("Hardware WDT reset") != std::string::npos);
  CHECK(r.record.find(">>>stack>>>") != std::string::npos);
  CHECK(r.record.find("rst cause:4, boot mode:(3,6)") != std::string::npos);
  CHECK(r.record.find("wdt reset") != std::string::npos);
  // It rebooted; spinning again, it is reset again 8.2 s after that boot (a device that never
  // yields runs on past the end of the run until something stops it).
  REQUIRE(g_resets.size() >= 2);
  CHECK(g_resets[1].reason == reset_code(ResetReason::hardware_wdt));
  CHECK(g_resets[1].at - r.at >= VTime::from_ms(8500));
  CHECK(d.life().boots() == g_resets.size() + 1);
}

TEST_CASE("watchdog: ESP.wdtFeed() in a loop that never yields keeps both watchdogs off") {
  g_resets.clear();
  Fleet eng(options(&spin_feeding, 12), 1, 16384);
  Device& d = eng.add_device(0, cfg(80), 1, {}, VTime{});
  eng.run();
  CHECK(g_resets.empty());
  CHECK(d.life().boots() == 1);
  CHECK(d.now() >= VTime::from_s(11));
}

TEST_CASE("watchdog: a device that yields, or waits in delay(), keeps running") {
  g_resets.clear();
  Fleet eng(options(&busy_then_yield, 20), 2, 16384);
  Device& a = eng.add_device(0, cfg(80), 1, {}, VTime{});
  Device& b = eng.add_device(1, cfg(160), 1, {}, VTime{});
  eng.run();
  CHECK(g_resets.empty());
  CHECK(a.life().boots() == 1);
  CHECK(b.life().boots() == 1);
  CHECK(a.now() >= VTime::from_s(19));

  g_resets.clear();
  Fleet eng2(options(&long_bursts, 20), 1, 16384);
  Device& c = eng2.add_device(0, cfg(80), 1, {}, VTime{});
  eng2.run();
  CHECK(g_resets.empty());
  CHECK(c.life().boots() == 1);
}

TEST_CASE("watchdog: one device's reset leaves the others running") {
  g_resets.clear();
  // Device 0 spins, device 1 yields: only device 0 resets.
  auto program = [] {
    if (test::running_device().id() == 0) spin_forever();
    busy_then_yield();
  };
  Fleet eng(options(program, 8), 2, 16384);
  Device& spinner = eng.add_device(0, cfg(80), 1, {}, VTime{});
  Device& healthy = eng.add_device(1, cfg(80), 1, {}, VTime{});
  eng.run();
  CHECK(spinner.life().boots() >= 2);
  CHECK(healthy.life().boots() == 1);
  CHECK(test::crash_reasons(healthy).empty());
  for (auto& r : g_resets) CHECK(r.device == 0);
}

TEST_CASE("watchdog: off when the engine sets no timeouts") {
  g_resets.clear();
  FleetOptions o = options(&spin_forever, 1);
  o.soft_wdt = VTime{};
  o.hardware_wdt = VTime{};
  o.duration = VTime::from_s(1);
  // A spinning device with no watchdog would never return to the scheduler: check only the arming.
  Fleet eng(o, 1, 16384);
  DeviceConfig c = cfg(80);
  Device& d = eng.add_device(0, c, 1, {}, VTime{});
  CHECK(d.clock().alarm_at() == UINT64_MAX);
}

// --- The ESP32-C3: ESP-IDF's task watchdog on the loop task and the interrupt watchdog ---------

namespace {

DeviceConfig c3(uint32_t heap = 65536) {
  DeviceConfig c = test::plain_device(160, heap);
  c.chip = Chip::esp32c3;
  return c;
}

// One wait longer than the task watchdog's timeout: Tasmota's BlockedLoop on an ESP32.
void delay_forever_10s() {
  for (;;) delay(10000);
}

// 4.9 s of work, then a short delay: the watchdog is fed around every delay.
void c3_long_bursts() {
  for (;;) {
    for (int i = 0; i < 49; ++i) delayMicroseconds(100000);
    delay(1);
  }
}

// 4.9 s of work, then a yield (Tasmota's yield() feeds the loop task's watchdog).
void c3_bursts_then_yield() {
  for (;;) {
    for (int i = 0; i < 49; ++i) delayMicroseconds(100000);
    yield();
  }
}

// Delays of 4.9 s: each is fed before and after, so none starves the watchdog.
void c3_long_delays() {
  for (;;) delay(4900);
}

// Interrupts off, then busy: the interrupt watchdog at 300 ms.
void interrupts_off_spin() {
  noInterrupts();
  for (;;) delayMicroseconds(1000);
}

// Interrupts off for 250 ms at a time, then on again: never the interrupt watchdog.
void interrupts_off_briefly() {
  for (;;) {
    noInterrupts();
    delayMicroseconds(250000);
    interrupts();
    delay(10);
  }
}

VTime since_boot(const Reset& r, uint32_t mhz) { return r.at - cycles_to_time(r.fed_at, mhz); }

}  // namespace

TEST_CASE("watchdog (ESP32-C3): a loop that never yields gets the task watchdog's panic at 5 s, ESP_RST_TASK_WDT") {
  g_resets.clear();
  Fleet eng(options(&spin_forever, 12), 1, 65536);
  Device& d = eng.add_device(0, c3(), 1, {}, VTime{});
  eng.run();
  REQUIRE(g_resets.size() >= 2);
  const Reset& r = g_resets[0];
  CHECK(r.reason == reset_code(ResetReason::task_wdt));
  CHECK(reset_code(ResetReason::task_wdt, Chip::esp32c3) == 6);  // ESP_RST_TASK_WDT
  CHECK(since_boot(r, 160) >= VTime::from_s(5));
  CHECK(since_boot(r, 160) <= VTime::from_s(5) + cycles_to_time(kClockReadCycles, 160) + VTime::from_ns(1));
  CHECK(r.summary.find("Task watchdog got triggered (loopTask did not reset it for 5.000 s; loopTask running)") == 0);
  for (const char* line :
       {"task_wdt: Task watchdog got triggered. The following tasks/users did not reset the watchdog in time:\n",
        "task_wdt:  - loopTask (CPU 0)\n", "task_wdt: Tasks currently running:\n", "task_wdt: CPU 0: loopTask\n",
        "task_wdt: Aborting.\n", "Core  0 register dump:", "MCAUSE  : 0x80000000",
        "Stack memory:", "ELF file SHA256: ", "Rebooting...", "rst:0xc (RTC_SW_CPU_RST)"})
    CHECK_MESSAGE(r.record.find(line) != std::string::npos, line);
  // An abort: the panic handler prints no reason line; nothing of the ESP8266's formats.
  CHECK(r.record.find("Guru Meditation") == std::string::npos);
  CHECK(r.record.find("Soft WDT") == std::string::npos);
  CHECK(r.record.find("E (5000) task_wdt:") != std::string::npos);  // the log's milliseconds
  CHECK(crash_kind(ResetReason::task_wdt, r.summary) == "task_wdt");
  // It rebooted and was reset again 5 s after that boot.
  CHECK(g_resets[1].reason == reset_code(ResetReason::task_wdt));
  CHECK(since_boot(g_resets[1], 160) <= VTime::from_s(5) + VTime::from_us(1));
  CHECK(d.life().boots() == g_resets.size() + 1);
}

TEST_CASE("watchdog (ESP32-C3): one delay longer than 5 s starves the task watchdog, IDLE running") {
  g_resets.clear();
  Fleet eng(options(&delay_forever_10s, 12), 1, 65536);
  Device& d = eng.add_device(0, c3(), 1, {}, VTime{});
  eng.run();
  REQUIRE(!g_resets.empty());
  const Reset& r = g_resets[0];
  CHECK(r.reason == reset_code(ResetReason::task_wdt));
  // Fed when the delay began, fired 5 s into it, exactly (a park ends at the deadline).
  CHECK(since_boot(r, 160) == VTime::from_s(5));
  CHECK(r.summary.find("IDLE running, the loop task in one delay()") != std::string::npos);
  // IDLE's stack is static (.bss, below the heap): its rows are not modelled.
  CHECK(r.record.find("(32 more lines up to 3fc") != std::string::npos);
  CHECK(r.record.find("task_wdt: CPU 0: IDLE\n") != std::string::npos);
  CHECK(r.record.find("task_wdt:  - loopTask (CPU 0)\n") != std::string::npos);
  CHECK(d.life().boots() >= 2);
}

TEST_CASE("watchdog (ESP32-C3): work under 5 s between yields or delays, and delays under 5 s, keep running") {
  for (void (*program)() : {&c3_long_bursts, &c3_bursts_then_yield, &c3_long_delays, &interrupts_off_briefly}) {
    g_resets.clear();
    Fleet eng(options(program, 20), 1, 65536);
    Device& d = eng.add_device(0, c3(), 1, {}, VTime{});
    eng.run();
    CHECK(g_resets.empty());
    CHECK(d.life().boots() == 1);
    CHECK(d.now() >= VTime::from_s(19));
  }
}

TEST_CASE("watchdog (ESP32-C3): interrupts off for 300 ms give the interrupt watchdog's panic, ESP_RST_INT_WDT") {
  g_resets.clear();
  Fleet eng(options(&interrupts_off_spin, 3), 1, 65536);
  Device& d = eng.add_device(0, c3(), 1, {}, VTime{});
  eng.run();
  REQUIRE(g_resets.size() >= 2);
  const Reset& r = g_resets[0];
  CHECK(r.reason == reset_code(ResetReason::int_wdt));
  CHECK(reset_code(ResetReason::int_wdt, Chip::esp32c3) == 5);  // ESP_RST_INT_WDT
  CHECK(r.summary.find("Interrupt wdt timeout on CPU0 (interrupts off for 0.30") == 0);
  CHECK(r.record.find("Guru Meditation Error: Core  0 panic'ed (Interrupt wdt timeout on CPU0). \n") == 0);
  CHECK(r.record.find("MCAUSE  : 0x00000018") != std::string::npos);  // PANIC_RSN_INTWDT_CPU0
  CHECK(r.record.find("task_wdt") == std::string::npos);
  CHECK(crash_kind(ResetReason::int_wdt, r.summary) == "int_wdt");
  // 300 ms (within a busy-wait step of 1 ms) after the boot that turned interrupts off.
  const VTime gap = g_resets[1].at - r.at;
  CHECK(gap >= VTime::from_ms(300));
  CHECK(gap <= VTime::from_ms(700));  // the reboot's own time plus 300 ms
  CHECK(d.life().boots() == g_resets.size() + 1);
}

TEST_CASE("watchdog (ESP32-C3): the ESP8266's ESP.wdtDisable() has no effect there") {
  g_resets.clear();
  Fleet eng(options(&spin_without_soft_wdt, 7), 1, 65536);
  eng.add_device(0, c3(), 1, {}, VTime{});
  eng.run();
  REQUIRE(!g_resets.empty());
  CHECK(g_resets[0].reason == reset_code(ResetReason::task_wdt));
  CHECK(since_boot(g_resets[0], 160) <= VTime::from_s(5) + VTime::from_us(1));
}
