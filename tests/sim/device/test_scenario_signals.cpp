// tests/sim/device/test_scenario_signals.cpp — what a scenario does to a sketch's devices from
// outside: input signals on GPIO pins (sketch.gpio_inputs) and Wi-Fi drops (sketch.wifi_drops).
// The schedule arithmetic; the keys, good and bad; a device reading a button that the scenario
// presses (the same reads with idle passes skipped or not); a device whose access point goes away
// (disconnected during the drop, its connection gone, joined again a join time after it).
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <string>

#include "config/scenario_test_support.h"
#include "device_test_support.h"
#include "loopback_peer.h"
#include "scenario.h"
#include "time_windows.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <ESP8266WiFi.h>
#include <WiFiClient.h>

using namespace espfleet;
using namespace espfleet::test;
using scenario_test::error_of;  // the scenario tests' own: the error text of parsing a file

TEST_CASE("WindowSchedule: once, for good, repeating, and the offset from spread") {
  auto ms = [](int64_t v) { return VTime::from_ms(v); };
  TimeWindows once{Duration::from_ms(1000), Duration::from_ms(200), {}, {}};
  const WindowSchedule a = window_schedule(once, 12345);
  CHECK(a.open_at(ms(999)) == -1);
  CHECK(a.open_at(ms(1000)) == 0);
  CHECK(a.open_at(ms(1199)) == 0);
  CHECK(a.open_at(ms(1200)) == -1);
  VTime t{};
  REQUIRE(a.next_change(ms(0), &t));
  CHECK(t == ms(1000));
  REQUIRE(a.next_change(ms(1100), &t));
  CHECK(t == ms(1200));
  CHECK_FALSE(a.next_change(ms(1300), &t));

  TimeWindows repeat{Duration::from_ms(1000), Duration::from_ms(200), Duration::from_ms(1000), {}};
  const WindowSchedule r = window_schedule(repeat, 0);
  CHECK(r.open_at(ms(3100)) == 2);
  CHECK(r.open_at(ms(3300)) == -1);
  REQUIRE(r.next_change(ms(3300), &t));
  CHECK(t == ms(4000));
  VTime end{};
  int64_t k = -1;
  REQUIRE(r.last_closed(ms(3300), &end, &k));
  CHECK(end == ms(3200));
  CHECK(k == 2);
  REQUIRE(r.open_until(ms(3100), &end));  // the window open at a time, and when it closes
  CHECK(end == ms(3200));
  CHECK_FALSE(r.open_until(ms(3300), &end));
  CHECK(r.opened_by(ms(999)) == 0);
  CHECK(r.opened_by(ms(1000)) == 1);
  CHECK(r.opened_by(ms(3300)) == 3);
  CHECK(a.opened_by(ms(5000)) == 1);

  const WindowSchedule forever = window_schedule(TimeWindows{Duration::from_ms(500), {}, {}, {}}, 0);
  CHECK(forever.open_at(ms(100000)) == 0);
  CHECK_FALSE(forever.next_change(ms(600), &t));

  // spread: each draw its own start within [at, at + spread)
  TimeWindows spread{Duration::from_ms(1000), Duration::from_ms(10), {}, Duration::from_ms(500)};
  int64_t lo = INT64_MAX, hi = 0;
  for (uint64_t d = 0; d < 200; ++d) {
    const WindowSchedule s = window_schedule(spread, mix_seed(99, d));
    VTime first{};
    REQUIRE(s.next_change(ms(0), &first));
    lo = std::min(lo, first.us());
    hi = std::max(hi, first.us());
  }
  CHECK(lo >= 1000000);
  CHECK(hi < 1500000);
  CHECK(hi - lo > 300000);  // spread out, not one instant
}

TEST_CASE("sketch.gpio_inputs and sketch.wifi_drops: the forms, and what is refused") {
  Scenario s = parse_scenario(
      "[sketch]\ngpio_inputs = [\"0=0 at=10s for=200ms every=30s spread=5s\", \"4=1 at=1m\"]\n"
      "wifi_drops = [\"at=60s for=10s spread=2s\"]\n",
      "test.toml");
  const DeviceConfig c = s.for_device(0);
  REQUIRE(c.gpio_inputs.size() == 2);
  CHECK(c.gpio_inputs[0].pin == 0);
  CHECK(c.gpio_inputs[0].level == 0);
  CHECK(c.gpio_inputs[0].when.length == Duration::from_ms(200));
  CHECK(c.gpio_inputs[0].when.every == Duration::from_s(30));
  CHECK(c.gpio_inputs[1].when.at == Duration::from_s(60));
  CHECK(c.gpio_inputs[1].when.length.us == 0);
  REQUIRE(c.wifi_drops.size() == 1);
  CHECK(c.wifi_drops[0].spread == Duration::from_s(2));

  CHECK(error_of("[sketch]\ngpio_inputs = [\"17=0 at=1s\"]\n").find("the ESP8266 has GPIO 0..16") != std::string::npos);
  CHECK(error_of("[sketch]\ngpio_inputs = [\"2=3 at=1s\"]\n").find("must be 0 or 1") != std::string::npos);
  CHECK(error_of("[sketch]\ngpio_inputs = [\"2=1 for=1s\"]\n").find("at= is missing") != std::string::npos);
  CHECK(error_of("[sketch]\ngpio_inputs = [\"2=1 at=1s when=2s\"]\n").find("unknown field 'when'") !=
        std::string::npos);
  const std::string e = error_of("[sketch]\nwifi_drops = [\"at=10s for=5s every=5s\"]\n");
  CHECK(e.find("test.toml:2:1: sketch.wifi_drops") == 0);
  CHECK(e.find("entry 1") != std::string::npos);
  CHECK(e.find("must be longer than for=") != std::string::npos);
  CHECK(error_of("[sketch]\nwifi_drops = [\"at=10s\"]\n").find("for= (longer than 0) is missing") != std::string::npos);
}

// ---- a button the scenario presses ---------------------------------------------------------------

namespace {

struct ButtonGlobals {
  int last;
  uint32_t changes, change_ms[8];
  bool reported;
};
ButtonGlobals gb, gb_pristine;

void button_setup() {
  pinMode(0, INPUT_PULLUP);  // the NodeMCU's FLASH button: pressed reads 0
  gb.last = digitalRead(0);
}

void button_loop() {
  if (gb.reported) {
    delay(1000);
    return;
  }
  const int v = digitalRead(0);
  if (v != gb.last) {
    if (gb.changes < 8) gb.change_ms[gb.changes] = uint32_t(millis());
    ++gb.changes;
    gb.last = v;
  }
  if (millis() >= 9000) {
    gb.reported = true;
    record("changes", gb.changes);
    for (uint32_t i = 0; i < 6; ++i) record(("change " + std::to_string(i)).c_str(), gb.change_ms[i]);
  }
}

struct ButtonOutcome {
  uint64_t changes, at[6], skipped;
  std::string digest;
};

ButtonOutcome press_button(bool skip) {
  records().clear();
  std::memset(static_cast<void*>(&gb_pristine), 0, sizeof gb_pristine);
  ProgramImage im = sketch_image(gb, gb_pristine, &button_setup, &button_loop);
  FleetOptions o = fast_options(nullptr, 10);
  o.program = Program{"button-test", nullptr, &im};
  o.skip_idle_steps = skip;
  Fleet fleet(o, 1, 49152);
  DeviceConfig cfg = plain_device(80);
  cfg.gpio_inputs.push_back(
      GpioInput{0, 0, TimeWindows{Duration::from_s(2), Duration::from_ms(300), Duration::from_s(2), {}}});
  Device& d = fleet.add_device(0, cfg, 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  ButtonOutcome r{find("changes", chip), {}, d.platform().skipped_passes(), std::to_string(d.digest())};
  for (int i = 0; i < 6; ++i) r.at[i] = find(("change " + std::to_string(i)).c_str(), chip);
  return r;
}

}  // namespace

TEST_CASE("sketch.gpio_inputs: a sketch sees the button pressed and released at the scenario's times") {
  ButtonOutcome every = press_button(false), skipped = press_button(true);
  // pressed at 2, 4, 6, 8 s for 300 ms each: 8 changes by 9 s
  CHECK(every.changes == 8);
  const uint64_t want[6] = {2000, 2300, 4000, 4300, 6000, 6300};
  for (int i = 0; i < 6; ++i) CHECK(every.at[i] == want[i]);
  CHECK(skipped.skipped > 0);
  CHECK(skipped.changes == every.changes);
  for (int i = 0; i < 6; ++i) CHECK(skipped.at[i] == every.at[i]);
  CHECK(skipped.digest == every.digest);
}

// ---- an access point that goes away --------------------------------------------------------------

namespace {

std::atomic<uint16_t> g_peer_port{0};

void drop_program() {
  WiFi.begin("lab", "secret");
  while (WiFi.status() != WL_CONNECTED) delay(10);
  record("joined at ms", millis());
  WiFiClient c;
  record("connected", c.connect("127.0.0.1", g_peer_port.load()));
  while (WiFi.status() == WL_CONNECTED) delay(10);
  record("dropped at ms", millis());
  delay(20);
  record("connection after the drop", c.connected());
  record("connect during the drop", c.connect("127.0.0.1", g_peer_port.load()));
  while (WiFi.status() != WL_CONNECTED) delay(10);
  record("rejoined at ms", millis());
  for (;;) delay(1000);
}

}  // namespace

TEST_CASE("sketch.wifi_drops: disconnected in the window, its connection gone, joined again after") {
  LoopbackPeer peer;
  g_peer_port = peer.port;
  records().clear();
  FleetOptions o = fast_options(nullptr, 15);
  ProgramImage im;  // a sketch's device (its station joins on begin()), with no globals
  im.setup = [] { drop_program(); };
  im.loop = [] {};
  o.program = Program{"drop-test", nullptr, &im};
  Fleet fleet(o, 1, 49152);
  DeviceConfig cfg = plain_device(80);
  cfg.wifi_drops.push_back(TimeWindows{Duration::from_s(6), Duration::from_s(2), {}, {}});
  Device& d = fleet.add_device(0, cfg, 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  CHECK(find("joined at ms", chip) >= 1200);
  CHECK(find("connected", chip) == 1);
  const uint64_t dropped = find("dropped at ms", chip);
  CHECK(dropped >= 6000);
  CHECK(dropped <= 6011);
  CHECK(find("connection after the drop", chip) == 0);
  CHECK(find("connect during the drop", chip) == 0);  // no route while the station is away
  const uint64_t rejoined = find("rejoined at ms", chip);
  CHECK(rejoined >= 8000 + 1200);  // the window's end, then a fresh join time
  CHECK(rejoined <= 8000 + 3000 + 11);
}

// ---- host names the scenario maps ------------------------------------------------------------------

TEST_CASE("sketch.hosts: the forms, and what is refused") {
  Scenario s =
      parse_scenario("[sketch]\nhosts = [\"Backup.Example.com=none\", \"broker.example.com=broker\"]\n", "test.toml");
  const DeviceConfig c = s.for_device(0);
  REQUIRE(c.hosts.size() == 2);
  CHECK(c.hosts[0].name == "backup.example.com");
  CHECK(c.hosts[0].to == HostMapping::To::nowhere);
  CHECK(c.hosts[1].to == HostMapping::To::broker);
  CHECK(error_of("[sketch]\nhosts = [\"a.example=elsewhere\"]\n").find("expected broker") != std::string::npos);
  CHECK(error_of("[sketch]\nhosts = [\"a.example\"]\n").find("NAME=broker") != std::string::npos);
  CHECK(error_of("[sketch]\nhosts = [\"a b=none\"]\n").find("not a host name") != std::string::npos);
  CHECK(error_of("[sketch]\nhosts = [\"a.example=none\", \"A.example=broker\"]\n").find("listed twice") !=
        std::string::npos);
}

namespace {
void dns_program() {
  WiFi.begin("lab", "secret");
  while (WiFi.status() != WL_CONNECTED) delay(10);
  IPAddress ip;
  record("backup resolves", WiFi.hostByName("backup.example.com", ip));
  record("broker resolves", WiFi.hostByName("broker.example.com", ip));
  record("broker address", uint32_t(ip[0]) << 24 | uint32_t(ip[3]));
  WiFiClient c;
  record("backup connects", c.connect("backup.example.com", g_peer_port.load()));
  for (;;) delay(1000);
}
}  // namespace

TEST_CASE("sketch.hosts: a name mapped to none does not resolve or connect; others lead to the broker") {
  LoopbackPeer peer;
  g_peer_port = peer.port;
  records().clear();
  ProgramImage im;
  im.setup = [] { dns_program(); };
  im.loop = [] {};
  FleetOptions o = fast_options(nullptr, 5);
  o.program = Program{"dns-test", nullptr, &im};
  o.sketch_net = SketchNetwork{"127.0.0.1", peer.port, 0};
  Fleet fleet(o, 1, 49152);
  DeviceConfig cfg = plain_device(80);
  cfg.hosts.push_back(HostMapping{"backup.example.com", HostMapping::To::nowhere});
  Device& d = fleet.add_device(0, cfg, 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  CHECK(find("backup resolves", chip) == 0);
  CHECK(find("broker resolves", chip) == 1);
  CHECK(find("broker address", chip) == (127u << 24 | 1u));  // the run's broker, on loopback
  CHECK(find("backup connects", chip) == 0);
}
