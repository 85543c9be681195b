// tests/sim/device/test_loop_passes.cpp — a sketch's idle loop passes are skipped and the
// device's history is the same as with every pass run: a polling sketch that sends a ping every
// 500 ms (comparing millis()) to a loopback peer and counts the replies, in fast mode, records the
// same reply times and ends with the same digest with skipping on and off (so the probes of the
// milliseconds ahead never send a ping of their own), and with it on runs a few hundred
// thousandths of the passes. A pass that changes its globals, or reads micros(), is never skipped.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>

#include "device_test_support.h"
#include "loopback_peer.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <ESP8266WiFi.h>
#include <WiFiClient.h>

using namespace espfleet;
using namespace espfleet::test;

namespace {

std::atomic<uint16_t> g_port{0};

// The sketch's globals: the program image's state region.
struct Globals {
  WiFiClient* client;
  uint32_t last_ping, pings, replies, passes;
  bool reported;
};
Globals g;
Globals g_pristine;

void common_setup() {
  WiFi.begin("lab", "secret");
  while (WiFi.status() != WL_CONNECTED) delay(100);
  g.client = new WiFiClient;
  if (!g.client->connect("127.0.0.1", g_port.load())) record("connect failed", 1);
}

// Polls as a published MQTT sketch does: bytes? time to publish? Otherwise nothing.
// At 6 s it notes the clock and from then on sleeps a second a pass (the end of the run then
// finds both runs in the same place).
void polling_loop() {
  if (g.reported) {
    delay(1000);
    return;
  }
  if (!g.client->connected()) return;
  if (g.client->available()) {
    g.client->read();
    ++g.replies;
    record("reply at us", micros64());
  }
  const uint32_t now = millis();
  if (g.pings < 6 && now - g.last_ping >= 500) {
    g.last_ping = now;
    ++g.pings;
    g.client->write(uint8_t('p'));
  }
  if (now >= 6000) {
    g.reported = true;
    record("6 s seen at us", micros64());
  }
}

// Counts its passes in a global: no pass is idle.
void counting_loop() {
  ++g.passes;
  if (!g.reported && millis() >= 3000) {
    g.reported = true;
    record("passes by 3 s", g.passes);
  }
}

// Reads the fine clock: no pass is known to repeat.
void micros_loop() {
  const unsigned long t = micros();
  if (!g.reported && t >= 3000000) {
    g.reported = true;
    record("micros loop done", 1);
  }
}

struct Outcome {
  std::vector<uint64_t> replies;
  uint64_t passes_by_3s = 0, six_s = 0, run = 0, skipped = 0;
  std::string digest;
};

Outcome run(void (*loop)(), bool skip) {
  LoopbackPeer peer;
  g_port = peer.port;
  records().clear();
  std::memset(&g_pristine, 0, sizeof g_pristine);
  ProgramImage im = sketch_image(g, g_pristine, &common_setup, loop);
  FleetOptions o = fast_options(nullptr, 8);
  o.program = Program{"loop-test", nullptr, &im};
  o.skip_idle_steps = skip;
  Fleet fleet(o, 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  Outcome r;
  for (const Record& rec : records()) {
    if (rec.what == "reply at us") r.replies.push_back(rec.value);
    if (rec.what == "passes by 3 s") r.passes_by_3s = rec.value;
    if (rec.what == "6 s seen at us") r.six_s = rec.value;
    if (rec.what == "connect failed") FAIL("the sketch could not connect to its peer");
  }
  r.run = d.platform().run_passes();
  r.skipped = d.platform().skipped_passes();
  r.digest = std::to_string(d.digest());
  return r;
}

}  // namespace

TEST_CASE("loop passes: skipped idle passes leave the same history as every pass run") {
  Outcome every = run(&polling_loop, false), skipped = run(&polling_loop, true);
  REQUIRE(every.replies.size() == 6);
  CHECK(skipped.replies == every.replies);
  CHECK(every.six_s >= 6000000);
  CHECK(skipped.six_s == every.six_s);
  CHECK(skipped.digest == every.digest);
  CHECK(every.skipped == 0);
  // 6 s of polling at tens of microseconds a pass is some 10^5 passes; skipped, a few per ping.
  MESSAGE("passes run: every " << every.run << ", skipping " << skipped.run << " (+" << skipped.skipped << " skipped)");
  CHECK(every.run > 100000);
  CHECK(skipped.run + skipped.skipped == every.run);
  CHECK(skipped.run * 1000 < every.run);
}

TEST_CASE("loop passes: a pass that changes the sketch's globals is never skipped") {
  Outcome every = run(&counting_loop, false), skipped = run(&counting_loop, true);
  CHECK(every.passes_by_3s > 10000);
  CHECK(skipped.passes_by_3s == every.passes_by_3s);
  CHECK(skipped.skipped == 0);
  CHECK(skipped.digest == every.digest);
}

TEST_CASE("loop passes: a pass that reads micros() is never skipped") {
  Outcome skipped = run(&micros_loop, true);
  CHECK(skipped.skipped == 0);
  CHECK(skipped.run > 10000);
}
