// tests/core/test_mqtt_client.cpp — core/mqtt_client over an in-memory Client: what goes on the
// wire (and in how many writes), how scripted inbound bytes are handled, and the clock-driven
// parts (CONNACK timeout, keepalive ping, ping timeout) under a test clock.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "stub_platform.h"
#include "mqtt_client.h"  // after the standard headers: Arduino.h defines malloc/free as macros

namespace {

using Bytes = std::vector<uint8_t>;

// The device as far as these tests need one: a cycle counter the test controls (delay and yield
// advance it), and a heap on the host's malloc that counts live blocks and can be made to fail.
class TestPlatform : public espfleet::test::StubPlatform {
public:
  static constexpr uint32_t kMhz = 80;
  uint64_t now = 0;
  int live_blocks = 0;
  bool fail_malloc = false;

  uint32_t ms() const { return uint32_t(now / (kMhz * 1000)); }
  void advance_ms(uint32_t m) { now += uint64_t(m) * kMhz * 1000; }

  uint64_t cycles() override { return now; }
  uint32_t cpu_mhz() override { return kMhz; }
  void charge(uint32_t c) override { now += c; }
  void delay_ms(uint32_t m) override { advance_ms(m); now += 200; }
  void yield() override { now += 100 * kMhz; }  // 100 µs per turn of a polling loop

  void* heap_malloc(size_t size, const char*, int) override {
    if (fail_malloc || size == 0) return nullptr;
    live_blocks++;
    return (::malloc)(size);
  }
  void* heap_calloc(size_t n, size_t size, const char*, int) override {
    if (fail_malloc || n == 0 || size == 0) return nullptr;
    live_blocks++;
    return (::calloc)(n, size);
  }
  void* heap_realloc(void* p, size_t size, const char* f, int l) override {
    if (!p) return heap_malloc(size, f, l);
    return (::realloc)(p, size);
  }
  void heap_free(void* p, const char*, int) override {
    if (!p) return;
    live_blocks--;
    (::free)(p);
  }
  uint32_t heap_free_bytes() override { return 40000; }
  uint32_t heap_max_block() override { return 30000; }
  uint32_t chip_id() override { return 0xAB12; }
  bool thunk_acquire(uint32_t) override { return true; }
};

struct PlatformInstall {
  explicit PlatformInstall(EspPlatform* p) { esp_set_platform(p); }
  ~PlatformInstall() { esp_set_platform(nullptr); }
};

// The broker's side of the connection, scripted: inbound bytes become readable at a given
// millis(); every write() call is recorded on its own, so packet boundaries between writes show.
class FakeClient : public Client {
public:
  struct Timed {
    uint32_t at_ms;
    Bytes bytes;
  };
  std::deque<Timed> script;  // not yet arrived
  Bytes rx;                  // arrived, not yet read
  std::vector<Bytes> writes;
  int connect_result = 1;
  int connect_calls = 0;
  int stop_calls = 0;
  bool open = false;
  bool peer_closed = false;         // the broker closed: connected() false once rx is drained
  size_t short_write_after = SIZE_MAX;  // bytes accepted per write (to break a write)
  size_t close_after_writes = SIZE_MAX;  // the broker closes once this many writes arrived

  void feed(const Bytes& b, uint32_t at_ms = 0) { script.push_back({at_ms, b}); }

  int connect(IPAddress, uint16_t) override { return connect("ip", 0); }
  int connect(const char*, uint16_t) override {
    connect_calls++;
    if (connect_result == 1) {
      open = true;
      peer_closed = false;
    }
    return connect_result;
  }
  size_t write(uint8_t b) override { return write(&b, 1); }
  size_t write(const uint8_t* buf, size_t n) override {
    if (!open || peer_closed) return 0;
    size_t take = n < short_write_after ? n : short_write_after;
    writes.emplace_back(buf, buf + take);
    if (writes.size() >= close_after_writes) peer_closed = true;
    return take;
  }
  int available() override {
    arrive();
    return int(rx.size());
  }
  int read() override {
    uint8_t b;
    return read(&b, 1) == 1 ? b : -1;
  }
  int read(uint8_t* buf, size_t n) override {
    arrive();
    size_t take = n < rx.size() ? n : rx.size();
    if (take == 0) return -1;
    memcpy(buf, rx.data(), take);
    rx.erase(rx.begin(), rx.begin() + long(take));
    return int(take);
  }
  int peek() override {
    arrive();
    return rx.empty() ? -1 : rx[0];
  }
  bool flush(unsigned int) override { return true; }
  bool stop(unsigned int) override {
    stop_calls++;
    open = false;
    rx.clear();
    script.clear();
    return true;
  }
  uint8_t connected() override {
    arrive();
    return (open && !peer_closed) || !rx.empty();
  }
  operator bool() override { return connected(); }
  using Client::flush;
  using Client::stop;

  Bytes all_written() const {
    Bytes all;
    for (const Bytes& w : writes) all.insert(all.end(), w.begin(), w.end());
    return all;
  }

private:
  void arrive() {
    if (!open) return;
    uint32_t now = millis();
    while (!script.empty() && int32_t(now - script.front().at_ms) >= 0) {
      rx.insert(rx.end(), script.front().bytes.begin(), script.front().bytes.end());
      script.pop_front();
    }
  }
};

Bytes str_bytes(const char* s) { return Bytes(s, s + strlen(s)); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

// A PUBLISH from the broker, built by hand (§3.3) rather than with the codec under test.
Bytes broker_publish(const std::string& topic, const std::string& payload, uint8_t qos = 0, uint16_t id = 0) {
  Bytes body = {uint8_t(topic.size() >> 8), uint8_t(topic.size())};
  body.insert(body.end(), topic.begin(), topic.end());
  if (qos) {
    body.push_back(uint8_t(id >> 8));
    body.push_back(uint8_t(id));
  }
  body.insert(body.end(), payload.begin(), payload.end());
  Bytes pkt = {uint8_t(0x30 | (qos << 1))};
  size_t rl = body.size();
  do {
    uint8_t d = uint8_t(rl % 128);
    rl /= 128;
    pkt.push_back(d | (rl ? 0x80 : 0));
  } while (rl);
  pkt.insert(pkt.end(), body.begin(), body.end());
  return pkt;
}

const Bytes kConnackAccepted = {0x20, 0x02, 0x00, 0x00};
const Bytes kPingreq = {0xC0, 0x00};
const Bytes kPingresp = {0xD0, 0x00};

// Tasmota's CONNECT (hand-derived in test_mqtt_codec.cpp).
const Bytes kTasmotaConnect = cat({{0x10, 0x2C, 0x00, 0x04}, str_bytes("MQTT"), {0x04, 0x2E, 0x00, 0x1E, 0x00, 0x0B},
                                   str_bytes("DVES_00AB12"), {0x00, 0x0A}, str_bytes("tele/x/LWT"), {0x00, 0x07},
                                   str_bytes("Offline")});

struct Message {
  std::string topic;
  std::string payload;
};

// One device: test clock + heap, the fake connection, the client under test.
struct Rig {
  TestPlatform platform;
  PlatformInstall install{&platform};
  FakeClient net;
  MqttClient mqtt{net};
  std::vector<Message> received;
  // What the callback does besides recording (e.g. publish a reply).
  void (*on_message)(Rig&, const Message&) = nullptr;

  Rig() {
    mqtt.setServer("broker.local", 8883);
    mqtt.setCallback(&Rig::callback, this);
  }

  static void callback(void* ctx, char* topic, uint8_t* payload, unsigned int len) {
    Rig& r = *static_cast<Rig*>(ctx);
    r.received.push_back({topic, std::string(reinterpret_cast<char*>(payload), len)});
    if (r.on_message) r.on_message(r, r.received.back());
  }

  bool connect_tasmota() {
    net.feed(kConnackAccepted);
    bool ok = mqtt.connect("DVES_00AB12", nullptr, nullptr, "tele/x/LWT", 1, true, "Offline", true);
    net.writes.clear();
    return ok;
  }

  // The firmware's main loop: mqtt.loop() then sleep, until `ms` of device time have passed.
  void run_for(uint32_t ms, uint32_t sleep_ms = 50) {
    uint32_t end = platform.ms() + ms;
    while (int32_t(platform.ms() - end) < 0 && mqtt.connected()) {
      mqtt.loop();
      delay(sleep_ms);
    }
  }
};

}  // namespace

// ---- connecting --------------------------------------------------------------------------------

TEST_CASE("connect opens the Client and sends CONNECT with the will in one write") {
  Rig r;
  r.net.feed(kConnackAccepted);
  CHECK(r.mqtt.state() == MQTT_DISCONNECTED);
  REQUIRE(r.mqtt.connect("DVES_00AB12", nullptr, nullptr, "tele/x/LWT", 1, true, "Offline", true));
  CHECK(r.net.connect_calls == 1);
  REQUIRE(r.net.writes.size() == 1);
  CHECK(r.net.writes[0] == kTasmotaConnect);
  CHECK(r.mqtt.state() == MQTT_CONNECTED);
  CHECK(r.mqtt.connected());
  CHECK(r.mqtt.stats().connects == 1);
  CHECK(r.mqtt.stats().packets_out == 1);
  CHECK(r.mqtt.stats().bytes_out == kTasmotaConnect.size());
  CHECK(r.mqtt.stats().packets_in == 1);
  CHECK(r.mqtt.stats().bytes_in == 4);
  // Already connected: true at once, nothing sent.
  CHECK(r.mqtt.connect("DVES_00AB12"));
  CHECK(r.net.writes.size() == 1);
}

TEST_CASE("connect sends a password only together with a user name") {
  Rig r;
  r.net.feed(kConnackAccepted);
  REQUIRE(r.mqtt.connect("c", nullptr, "secret"));
  // Flags: clean session only; keepalive 30.
  CHECK(r.net.writes[0] == Bytes{0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x1E, 0x00, 0x01, 'c'});
}

TEST_CASE("a failed Client connect leaves state MQTT_CONNECT_FAILED and sends nothing") {
  Rig r;
  r.net.connect_result = 0;
  CHECK_FALSE(r.mqtt.connect("DVES_00AB12"));
  CHECK(r.mqtt.state() == MQTT_CONNECT_FAILED);
  CHECK(r.net.writes.empty());
}

TEST_CASE("a refused CONNACK reports its return code and closes the connection") {
  Rig r;
  r.net.feed({0x20, 0x02, 0x00, 0x05});
  CHECK_FALSE(r.mqtt.connect("DVES_00AB12"));
  CHECK(r.mqtt.state() == MQTT_CONNECT_UNAUTHORIZED);
  CHECK(r.net.stop_calls == 1);
  CHECK_FALSE(r.mqtt.connected());
}

TEST_CASE("no CONNACK within the socket timeout is MQTT_CONNECTION_TIMEOUT after 4 s") {
  Rig r;
  uint32_t t0 = r.platform.ms();
  CHECK_FALSE(r.mqtt.connect("DVES_00AB12"));
  uint32_t waited = r.platform.ms() - t0;
  CHECK(r.mqtt.state() == MQTT_CONNECTION_TIMEOUT);
  CHECK(waited >= 4000);
  CHECK(waited <= 4002);
  CHECK(r.net.stop_calls == 1);
}

TEST_CASE("a CONNACK arriving late but within the timeout is waited for") {
  Rig r;
  r.net.feed(kConnackAccepted, 3500);
  CHECK(r.mqtt.connect("DVES_00AB12"));
  CHECK(r.platform.ms() >= 3500);
}

TEST_CASE("a broker closing before CONNACK shows as a timeout, as on the chip") {
  Rig r;
  r.net.close_after_writes = 1;  // CONNECT is written, then the broker hangs up
  uint32_t t0 = r.platform.ms();
  CHECK_FALSE(r.mqtt.connect("DVES_00AB12"));
  CHECK(r.net.writes.size() == 1);
  CHECK(r.mqtt.state() == MQTT_CONNECTION_TIMEOUT);
  CHECK(r.platform.ms() - t0 >= 4000);
}

TEST_CASE("a CONNECT that cannot be written fails the connect") {
  Rig r;
  r.net.short_write_after = 0;
  CHECK_FALSE(r.mqtt.connect("DVES_00AB12"));
  CHECK(r.mqtt.state() == MQTT_CONNECT_FAILED);
  CHECK_FALSE(r.net.open);
}

TEST_CASE("a packet buffer that cannot be allocated fails connect until memory returns") {
  TestPlatform platform;
  PlatformInstall install(&platform);
  FakeClient net;
  platform.fail_malloc = true;
  {
    MqttClient mqtt(net);
    CHECK_FALSE(mqtt.hasBuffer());
    CHECK(mqtt.state() == MQTT_CONNECT_FAILED);
    mqtt.setServer("broker.local", 1883);
    CHECK_FALSE(mqtt.connect("DVES_00AB12"));
    CHECK(mqtt.state() == MQTT_CONNECT_FAILED);
    CHECK(net.connect_calls == 0);
    platform.fail_malloc = false;
    net.feed(kConnackAccepted);
    CHECK(mqtt.connect("DVES_00AB12"));
    CHECK(mqtt.hasBuffer());
    CHECK(platform.live_blocks == 1);
  }
  CHECK(platform.live_blocks == 0);  // the destructor freed the buffer
}

// ---- publishing --------------------------------------------------------------------------------

TEST_CASE("publish writes header and topic, then the payload, in exactly two writes") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  const char* payload = "Online";
  REQUIRE(r.mqtt.publish("tele/x/LWT", reinterpret_cast<const uint8_t*>(payload), 6, true));
  REQUIRE(r.net.writes.size() == 2);
  CHECK(r.net.writes[0] == cat({{0x31, 0x12, 0x00, 0x0A}, str_bytes("tele/x/LWT")}));
  CHECK(r.net.writes[1] == str_bytes("Online"));
  CHECK(r.mqtt.stats().publishes_out == 1);
  CHECK(r.mqtt.stats().packets_out == 2);  // CONNECT + PUBLISH
}

TEST_CASE("publish at QoS 1 puts a fresh packet id in the first write") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  REQUIRE(r.mqtt.publish("a/b", reinterpret_cast<const uint8_t*>("xyz"), 3, false, 1));
  REQUIRE(r.mqtt.publish("a/b", reinterpret_cast<const uint8_t*>("xyz"), 3, false, 1));
  REQUIRE(r.net.writes.size() == 4);
  CHECK(r.net.writes[0] == Bytes{0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x01});
  CHECK(r.net.writes[2] == Bytes{0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x02});
  CHECK(r.net.writes[3] == str_bytes("xyz"));
  CHECK_FALSE(r.mqtt.publish("a/b", reinterpret_cast<const uint8_t*>("x"), 1, false, 2));
  r.net.feed({0x40, 0x02, 0x00, 0x01});
  r.mqtt.loop();
  CHECK(r.mqtt.stats().pubacks_in == 1);
}

TEST_CASE("a payload larger than the packet buffer is still sent, in the second write") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  std::string big(3000, 'p');
  REQUIRE(r.mqtt.publish("t", reinterpret_cast<const uint8_t*>(big.data()), unsigned(big.size())));
  REQUIRE(r.net.writes.size() == 2);
  // Remaining = 2 + 1 + 3000 = 3003 = 0x3B + 0x17 * 128 → 0xBB 0x17.
  CHECK(r.net.writes[0] == Bytes{0x30, 0xBB, 0x17, 0x00, 0x01, 't'});
  CHECK(r.net.writes[1].size() == 3000);
}

TEST_CASE("publish refuses when not connected and when the topic is invalid") {
  Rig r;
  CHECK_FALSE(r.mqtt.publish("a", "b"));
  REQUIRE(r.connect_tasmota());
  CHECK_FALSE(r.mqtt.publish("a/#", "b"));
  CHECK_FALSE(r.mqtt.publish("", "b"));
  CHECK(r.net.writes.empty());
  CHECK(r.mqtt.connected());
}

TEST_CASE("a short write ends the connection as MQTT_CONNECTION_LOST") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.net.short_write_after = 3;
  CHECK_FALSE(r.mqtt.publish("tele/x/STATE", "{}"));
  CHECK(r.mqtt.state() == MQTT_CONNECTION_LOST);
  CHECK_FALSE(r.mqtt.connected());
}

TEST_CASE("subscribe and unsubscribe are single writes with increasing packet ids") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  REQUIRE(r.mqtt.subscribe("cmnd/x/#"));
  REQUIRE(r.mqtt.unsubscribe("cmnd/x/#"));
  REQUIRE(r.mqtt.subscribe("a", 1));
  REQUIRE(r.net.writes.size() == 3);
  CHECK(r.net.writes[0] == cat({{0x82, 0x0D, 0x00, 0x01, 0x00, 0x08}, str_bytes("cmnd/x/#"), {0x00}}));
  CHECK(r.net.writes[1] == cat({{0xA2, 0x0C, 0x00, 0x02, 0x00, 0x08}, str_bytes("cmnd/x/#")}));
  CHECK(r.net.writes[2] == Bytes{0x82, 0x06, 0x00, 0x03, 0x00, 0x01, 'a', 0x01});
  CHECK_FALSE(r.mqtt.subscribe("a", 2));
  r.net.feed({0x90, 0x03, 0x00, 0x01, 0x00});
  r.net.feed({0xB0, 0x02, 0x00, 0x02});
  r.mqtt.loop();
  CHECK(r.mqtt.stats().packets_in == 3);
  CHECK(r.mqtt.stats().dropped_malformed == 0);
}

TEST_CASE("packet ids wrap from 65535 to 1, skipping 0") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  for (int i = 0; i < 65535; i++) {
    REQUIRE(r.mqtt.subscribe("a"));
    r.net.writes.clear();
  }
  REQUIRE(r.mqtt.subscribe("a"));
  CHECK(r.net.writes[0] == Bytes{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00});
}

TEST_CASE("disconnect sends DISCONNECT and closes the Client") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.mqtt.disconnect();
  REQUIRE(r.net.writes.size() == 1);
  CHECK(r.net.writes[0] == Bytes{0xE0, 0x00});
  CHECK(r.mqtt.state() == MQTT_DISCONNECTED);
  CHECK_FALSE(r.net.open);
  CHECK_FALSE(r.mqtt.loop());
}

// ---- receiving ---------------------------------------------------------------------------------

TEST_CASE("an inbound QoS 0 PUBLISH reaches the callback with a terminated topic") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.net.feed(broker_publish("cmnd/x/Status", "0"));
  CHECK(r.mqtt.loop());
  REQUIRE(r.received.size() == 1);
  CHECK(r.received[0].topic == "cmnd/x/Status");
  CHECK(r.received[0].payload == "0");
  CHECK(r.net.writes.empty());
  CHECK(r.mqtt.stats().publishes_in == 1);
}

TEST_CASE("an inbound QoS 1 PUBLISH is delivered and answered with PUBACK") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.net.feed(broker_publish("cmnd/x/TelePeriod", "60", 1, 0x0A0B));
  CHECK(r.mqtt.loop());
  REQUIRE(r.received.size() == 1);
  CHECK(r.received[0].topic == "cmnd/x/TelePeriod");
  CHECK(r.received[0].payload == "60");
  REQUIRE(r.net.writes.size() == 1);
  CHECK(r.net.writes[0] == Bytes{0x40, 0x02, 0x0A, 0x0B});
}

TEST_CASE("a callback that publishes a reply still gets the right PUBACK sent after it") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.on_message = [](Rig& rig, const Message&) { rig.mqtt.publish("stat/x/RESULT", "{\"TelePeriod\":60}"); };
  r.net.feed(broker_publish("cmnd/x/TelePeriod", "60", 1, 0x0102));
  r.mqtt.loop();
  REQUIRE(r.net.writes.size() == 3);
  CHECK(r.net.writes[1] == str_bytes("{\"TelePeriod\":60}"));
  CHECK(r.net.writes[2] == Bytes{0x40, 0x02, 0x01, 0x02});
}

TEST_CASE("an inbound packet larger than the buffer is dropped and the next one still parsed") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  std::string huge(2000, 'h');
  r.net.feed(cat({broker_publish("cmnd/x/Big", huge, 1, 7), broker_publish("cmnd/x/Power", "ON")}));
  CHECK(r.mqtt.loop());
  REQUIRE(r.received.size() == 1);
  CHECK(r.received[0].topic == "cmnd/x/Power");
  CHECK(r.received[0].payload == "ON");
  CHECK(r.mqtt.stats().dropped_oversize == 1);
  CHECK(r.mqtt.stats().packets_in == 3);  // CONNACK, the dropped one, the small one
  CHECK(r.net.writes.empty());            // a dropped QoS 1 packet is not acknowledged
  CHECK(r.mqtt.connected());
}

TEST_CASE("a packet of exactly the buffer size is kept, one byte more is dropped") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  // Fixed header 3 bytes + topic field 2 + 1 = 6; payload 1194 → 1200 in all.
  Bytes fits = broker_publish("t", std::string(1194, 'a'));
  Bytes over = broker_publish("t", std::string(1195, 'a'));
  REQUIRE(fits.size() == MqttClient::kBufferSize);
  r.net.feed(fits);
  r.net.feed(over);
  r.mqtt.loop();
  REQUIRE(r.received.size() == 1);
  CHECK(r.received[0].payload.size() == 1194);
  CHECK(r.mqtt.stats().dropped_oversize == 1);
}

TEST_CASE("a packet arriving in pieces is assembled while loop() waits") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  Bytes pkt = broker_publish("cmnd/x/Power", std::string(300, 'z'));  // two-byte remaining length
  uint32_t t = r.platform.ms();
  r.net.feed(Bytes(pkt.begin(), pkt.begin() + 2), t);               // type + first length byte
  r.net.feed(Bytes(pkt.begin() + 2, pkt.begin() + 40), t + 100);    // rest of the length, topic
  r.net.feed(Bytes(pkt.begin() + 40, pkt.end()), t + 250);
  CHECK(r.mqtt.loop());
  REQUIRE(r.received.size() == 1);
  CHECK(r.received[0].topic == "cmnd/x/Power");
  CHECK(r.received[0].payload == std::string(300, 'z'));
  CHECK(r.platform.ms() >= t + 250);
  CHECK(r.mqtt.stats().bytes_in == 4 + pkt.size());
}

TEST_CASE("a packet that stops arriving times out after the socket timeout") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  Bytes pkt = broker_publish("cmnd/x/Power", "ON");
  r.net.feed(Bytes(pkt.begin(), pkt.begin() + 5));
  uint32_t t0 = r.platform.ms();
  CHECK_FALSE(r.mqtt.loop());
  CHECK(r.mqtt.state() == MQTT_CONNECTION_TIMEOUT);
  CHECK(r.platform.ms() - t0 >= 4000);
  CHECK(r.platform.ms() - t0 <= 4002);
  CHECK(r.received.empty());
}

TEST_CASE("a broker closing in the middle of a packet is MQTT_CONNECTION_LOST at once") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  Bytes pkt = broker_publish("cmnd/x/Power", "ON");
  r.net.feed(Bytes(pkt.begin(), pkt.begin() + 5));
  r.net.peer_closed = true;
  uint32_t t0 = r.platform.ms();
  CHECK_FALSE(r.mqtt.loop());
  CHECK(r.mqtt.state() == MQTT_CONNECTION_LOST);
  CHECK(r.platform.ms() - t0 < 10);
}

TEST_CASE("malformed framing from the broker drops the connection, bad contents are skipped") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.net.feed({0x30, 0x04, 0x00, 0x09, 'a', 'b'});  // topic longer than the packet: skipped
  r.net.feed(broker_publish("ok", "1"));
  CHECK(r.mqtt.loop());
  CHECK(r.mqtt.stats().dropped_malformed == 1);
  REQUIRE(r.received.size() == 1);
  r.net.feed({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});  // a 5-byte remaining length: framing lost
  CHECK_FALSE(r.mqtt.loop());
  CHECK(r.mqtt.state() == MQTT_CONNECTION_LOST);
}

TEST_CASE("a closed connection is reported as MQTT_CONNECTION_LOST") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.net.peer_closed = true;
  CHECK_FALSE(r.mqtt.connected());
  CHECK(r.mqtt.state() == MQTT_CONNECTION_LOST);
  CHECK_FALSE(r.mqtt.loop());
}

// ---- keepalive ---------------------------------------------------------------------------------

TEST_CASE("after 30 s of silence loop() sends PINGREQ, and PINGRESP keeps the connection") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  uint32_t t0 = r.platform.ms();
  r.run_for(29900);
  CHECK(r.net.writes.empty());
  r.run_for(200);
  REQUIRE(r.net.writes.size() == 1);
  CHECK(r.net.writes[0] == kPingreq);
  CHECK(r.mqtt.stats().pings_out == 1);
  r.net.feed(kPingresp, r.platform.ms() + 80);  // a round trip later
  r.run_for(29000);
  CHECK(r.mqtt.connected());
  CHECK(r.net.writes.size() == 1);
  r.run_for(2000);  // 30 s after the PINGRESP: the next ping
  CHECK(r.net.writes.size() == 2);
  CHECK(r.mqtt.state() == MQTT_CONNECTED);
  CHECK(r.platform.ms() - t0 < 62000);
}

TEST_CASE("an unanswered ping drops the connection at 1.5 x keepalive of silence") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  uint32_t t0 = r.platform.ms();
  r.run_for(60000);
  CHECK(r.mqtt.state() == MQTT_CONNECTION_TIMEOUT);
  CHECK_FALSE(r.mqtt.connected());
  uint32_t at = r.platform.ms() - t0;
  CHECK(at >= 45000);
  CHECK(at <= 45200);
  CHECK(r.net.writes == std::vector<Bytes>{kPingreq});
  CHECK(r.net.stop_calls == 1);
}

TEST_CASE("publishing alone does not hold off the ping when nothing comes in") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  for (int i = 0; i < 7; i++) {
    r.run_for(5000);
    r.mqtt.publish("tele/x/STATE", "{}");
  }
  // 35 s: outbound every 5 s, inbound silent since the CONNACK → one ping went out at 30 s.
  CHECK(r.mqtt.stats().pings_out == 1);
}

TEST_CASE("any inbound traffic answers an outstanding ping") {
  Rig r;
  REQUIRE(r.connect_tasmota());
  r.run_for(30100);
  REQUIRE(r.mqtt.stats().pings_out == 1);
  r.net.feed(broker_publish("cmnd/x/Power", "ON"), r.platform.ms() + 10000);
  r.run_for(10100);
  r.run_for(10000);  // past 45 s since the CONNACK: fine, the PUBLISH arrived at 40 s
  CHECK(r.mqtt.connected());
}

TEST_CASE("keepalive 0 never pings") {
  Rig r;
  r.mqtt.setKeepAlive(0);
  REQUIRE(r.connect_tasmota());
  r.run_for(120000, 1000);
  CHECK(r.net.writes.empty());
  CHECK(r.mqtt.connected());
}
