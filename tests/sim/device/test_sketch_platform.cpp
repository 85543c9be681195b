// tests/sim/device/test_sketch_platform.cpp — the parts of a device a sketch sees through the
// ESP8266 API: its Wi-Fi station (idle until begin, associated a seeded join time later, a join
// per begin, the same draws whatever happened before), its GPIO, and where its connects lead.
#include <doctest/doctest.h>

#include <string>

#include "device.h"

using namespace espfleet;

TEST_CASE("wifi station: idle until begin(), associated a join time later, with an address") {
  WifiStation w(false, 5, 1234);
  CHECK(w.status(VTime::from_s(10)) == WifiStation::kIdle);
  CHECK(!w.connected(VTime::from_s(10)));
  CHECK(w.ip(VTime::from_s(10)) == 0);
  w.begin(VTime::from_s(10));
  CHECK(w.joins() == 1);
  w.begin(VTime::from_s(10));  // joining already: not a second join
  CHECK(w.joins() == 1);
  CHECK(w.status(VTime::from_s(10) + WifiStation::kJoinMin - VTime::from_ms(1)) == WifiStation::kDisconnected);
  const VTime up = VTime::from_s(10) + WifiStation::kJoinMin + WifiStation::kJoinSpread;
  CHECK(w.status(up) == WifiStation::kConnected);
  // 10.x.y.z from id 5: 10.0.0.7, in memory order as lwIP keeps it
  const uint32_t ip = w.ip(up);
  const uint8_t* b = reinterpret_cast<const uint8_t*>(&ip);
  CHECK((int(b[0]) == 10 && int(b[1]) == 0 && int(b[2]) == 0 && int(b[3]) == 7));
  w.disconnect();
  CHECK(w.status(up) == WifiStation::kIdle);
}

TEST_CASE("wifi station: join times come from the device's seed, differ per device and per join") {
  auto join_time = [](uint64_t seed, int nth) {
    WifiStation w(false, 0, seed);
    VTime t{};
    for (int i = 0; i <= nth; ++i) {
      w.disconnect();
      w.begin(t);
    }
    VTime at = t;
    while (!w.connected(at)) at = at + VTime::from_ms(1);
    return at;
  };
  CHECK(join_time(1, 0) == join_time(1, 0));  // reproducible
  CHECK(join_time(1, 0) != join_time(2, 0));  // per device
  CHECK(join_time(1, 0) != join_time(1, 1));  // per join
  for (uint64_t seed = 1; seed < 20; ++seed) {
    const VTime t = join_time(seed, 0);
    CHECK(t >= WifiStation::kJoinMin);
    CHECK(t <= WifiStation::kJoinMin + WifiStation::kJoinSpread);
  }
  WifiStation builtin(true, 0, 1);  // the built-in firmware boots associated
  CHECK(builtin.connected(VTime{}));
}

TEST_CASE("wifi station: a wifi_loss fault disassociates any station, which joins again after it") {
  // The built-in firmware's station (up from boot) and a sketch's (joined at 1 s) alike.
  for (bool builtin : {true, false}) {
    WifiStation w(builtin, 3, 99);
    w.set_drops({}, 99);
    w.add_loss(WindowSchedule(40'000'000, 30'000'000, 0));  // at 40 s for 30 s
    if (!builtin) w.begin(VTime::from_s(1));
    CHECK(w.status(VTime::from_s(39)) == WifiStation::kConnected);
    CHECK(w.drops_started(VTime::from_s(39)) == 0);
    CHECK(w.status(VTime::from_s(40)) == WifiStation::kDisconnected);  // WiFi.status() says so
    CHECK(w.ip(VTime::from_s(55)) == 0);
    CHECK(w.drops_started(VTime::from_s(55)) == 1);  // the device's connections went at 40 s
    VTime t{};
    CHECK((w.next_change(VTime::from_s(39), &t) && t == VTime::from_s(40)));
    CHECK((w.next_change(VTime::from_s(55), &t) && t == VTime::from_s(70)));
    CHECK(w.status(VTime::from_s(70)) == WifiStation::kDisconnected);  // joining again
    CHECK((w.next_change(VTime::from_s(70), &t) && t >= VTime::from_s(70) + WifiStation::kJoinMin &&
           t <= VTime::from_s(70) + WifiStation::kJoinMin + WifiStation::kJoinSpread));
    CHECK(w.status(t) == WifiStation::kConnected);
  }
}

TEST_CASE("gpio: outputs keep their level, inputs read their pull, changes are counted") {
  GpioPins g;
  CHECK(g.mode(2) == GpioPins::kUnset);
  g.set_mode(2, GpioPins::kOutput);
  g.write(2, 1);
  g.write(2, 1);  // no change
  g.write(2, 0);
  CHECK(g.read(2) == 0);
  CHECK(g.changes() == 2);
  g.set_mode(4, GpioPins::kInputPullup);
  g.set_mode(5, GpioPins::kInput);
  CHECK(g.read(4) == 1);
  CHECK(g.read(5) == 0);
  g.write(40, 1);  // no such pin: ignored
  CHECK(g.read(40) == 0);
  g.reset();  // a boot
  CHECK(g.mode(2) == GpioPins::kUnset);
  CHECK(g.changes() == 2);  // over the device's life
}

TEST_CASE("sketch network: names and other addresses lead to the broker, MQTT ports to its listeners") {
  SketchNetwork n{"127.0.0.1", 40001, 40002};
  uint16_t port = 1883;
  CHECK(std::string(n.route("broker.example.com", &port)) == "127.0.0.1");
  CHECK(port == 40001);
  port = 8883;
  CHECK(std::string(n.route("192.168.1.10", &port)) == "127.0.0.1");
  CHECK(port == 40002);
  port = 9000;                                                     // another port: as given
  CHECK(std::string(n.route("127.0.0.5", &port)) == "127.0.0.5");  // loopback: as given
  CHECK(port == 9000);
  SketchNetwork tls_only{"localhost", 0, 40002};
  port = 1883;
  tls_only.route("mqtt.local", &port);
  CHECK(port == 1883);  // no plain listener to lead to
}
