// tests/sim/device/test_delay_while.cpp — esp_delay() on the host skips the steps nothing can
// end, and a device's history is the same as with every step run: a device waiting on a real
// loopback TCP peer for a reply, for nothing (the timeout) and for the peer's close, in fast mode,
// records the same times and ends with the same digest with skipping on and off; with it on it
// suspends far fewer times. A wait whose predicate reads the clock is never skipped.
#include <doctest/doctest.h>

#include <atomic>

#include "device_test_support.h"
#include "loopback_peer.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <WiFiClient.h>
#include <coredecls.h>

using namespace espfleet;
using namespace espfleet::test;

namespace {

std::atomic<uint16_t> g_port{0};

void waiting_program() {
  WiFiClient c;
  if (!c.connect("127.0.0.1", g_port.load())) {
    record("connect failed", 1);
    for (;;) delay(1000);
  }
  auto idle = [&c]() { return c.connected() && c.available() == 0; };
  c.write(uint8_t('p'));
  esp_delay(10000, idle, 50);  // ends when the reply is visible
  record("reply seen", uint64_t(micros64()));
  record("reply byte", uint64_t(c.read()));
  esp_delay(3000, idle, 50);  // nothing comes: the timeout
  record("timeout", uint64_t(micros64()));
  c.write(uint8_t('c'));
  esp_delay(10000, idle, 50);  // ends when the close is visible
  record("close seen", uint64_t(micros64()));
  // A predicate that reads the clock: never skipped, ends when it says.
  const uint32_t t0 = millis();
  esp_delay(
      10000, [t0]() { return millis() - t0 < 1234; }, 50);
  record("clock predicate", millis() - t0);
  for (;;) delay(1000);
}

struct Outcome {
  uint64_t reply = 0, byte = 0, timeout = 0, close = 0, clock_ms = 0, slices = 0;
  std::string digest;
};

Outcome run(bool skip) {
  LoopbackPeer peer;
  g_port = peer.port;
  records().clear();
  FleetOptions o = fast_options(&waiting_program, 40);
  o.skip_idle_steps = skip;
  Fleet fleet(o, 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 3, {}, VTime{});
  fleet.run();
  const uint32_t chip = d.identity().chip_id;
  Outcome r;
  r.reply = find("reply seen", chip);
  r.byte = find("reply byte", chip);
  r.timeout = find("timeout", chip);
  r.close = find("close seen", chip);
  r.clock_ms = find("clock predicate", chip);
  r.slices = d.task().slices();
  r.digest = std::to_string(d.digest());
  return r;
}

}  // namespace

TEST_CASE("esp_delay: skipped steps leave the same history as every step run") {
  Outcome every = run(false), skipped = run(true);
  CHECK(every.byte == 'r');
  CHECK(skipped.byte == 'r');
  CHECK(skipped.reply == every.reply);
  CHECK(skipped.timeout == every.timeout);
  CHECK(skipped.close == every.close);
  CHECK(skipped.clock_ms == every.clock_ms);
  CHECK(every.clock_ms >= 1234);
  CHECK(every.clock_ms < 1234 + 60);
  CHECK(skipped.digest == every.digest);
  // 3 s of timeout in 50 ms steps alone is 60 suspensions; skipped, a handful.
  MESSAGE("slices: every step " << every.slices << ", skipped " << skipped.slices);
  CHECK(skipped.slices + 50 < every.slices);
}

namespace {

// A predicate that looks at nothing but the firmware's own memory and says so (NodeMCU's event
// loop with no socket open: net_looked): only a timer, which runs inside a step's delay, can end it.
bool g_flag = false;
void set_flag(void*) { g_flag = true; }
bool flag_unset() {
  esp_platform()->net_looked();
  return !g_flag;
}

void timer_flag_program() {
  g_flag = false;
  esp_platform()->timer_arm(&g_flag, set_flag, 777, false);
  esp_delay(
      10000, []() { return flag_unset(); }, 50);
  record("flag seen", uint64_t(micros64()));
  esp_delay(
      2000, []() { return flag_unset() || true; }, 50);  // nothing ends it: the timeout
  record("memory timeout", uint64_t(micros64()));
  for (;;) delay(1000);
}

struct FlagOutcome {
  uint64_t seen = 0, timeout = 0, slices = 0;
  std::string digest;
};

FlagOutcome run_flag(bool skip) {
  records().clear();
  FleetOptions o = fast_options(&timer_flag_program, 10);
  o.skip_idle_steps = skip;
  Fleet fleet(o, 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 3, {}, VTime{});
  fleet.run();
  const uint32_t chip = d.identity().chip_id;
  return FlagOutcome{find("flag seen", chip), find("memory timeout", chip), d.task().slices(),
                     std::to_string(d.digest())};
}

}  // namespace

TEST_CASE(
    "esp_delay: a predicate on the firmware's own memory that says it looked is skipped up to the timer that changes "
    "it") {
  FlagOutcome every = run_flag(false), skipped = run_flag(true);
  CHECK(every.seen >= 777000);
  CHECK(every.seen < 777000 + 60000);  // the first 50 ms step after the timer
  CHECK(skipped.seen == every.seen);
  CHECK(skipped.timeout == every.timeout);
  CHECK(every.timeout >= every.seen + 1999000);  // 2 s from the millis() it started at
  CHECK(every.timeout < every.seen + 2060000);
  CHECK(skipped.digest == every.digest);
  MESSAGE("slices: every step " << every.slices << ", skipped " << skipped.slices);
  CHECK(skipped.slices + 40 < every.slices);
}
