// tests/core/mqtt_client_rig.h — what the MQTT client's tests share: a device reduced to a test
// clock and a counting heap, an in-memory Client that records writes and plays scripted inbound
// bytes, hand-built broker packets, and a Rig holding one client under test.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

#include "mqtt_client.h"  // after the standard headers: Arduino.h defines malloc/free as macros
#include "stub_platform.h"

namespace mqtt_test {

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
  void delay_ms(uint32_t m) override {
    advance_ms(m);
    now += 200;
  }
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
  bool peer_closed = false;              // the broker closed: connected() false once rx is drained
  size_t short_write_after = SIZE_MAX;   // bytes accepted per write (to break a write)
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
  // The core's Client shape: flush() and stop() are the pure ones.
  void flush() override {}
  void stop() override {
    stop_calls++;
    open = false;
    rx.clear();
    script.clear();
  }
  uint8_t connected() override {
    arrive();
    return (open && !peer_closed) || !rx.empty();
  }
  operator bool() override { return connected(); }

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

inline Bytes str_bytes(const char* s) { return Bytes(s, s + strlen(s)); }

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

// A PUBLISH from the broker, built by hand (§3.3) rather than with the codec under test.
inline Bytes broker_publish(const std::string& topic, const std::string& payload, uint8_t qos = 0, uint16_t id = 0) {
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

inline const Bytes kConnackAccepted = {0x20, 0x02, 0x00, 0x00};
inline const Bytes kPingreq = {0xC0, 0x00};
inline const Bytes kPingresp = {0xD0, 0x00};

// Tasmota's CONNECT (hand-derived in test_mqtt_codec.cpp).
inline const Bytes kTasmotaConnect = cat({{0x10, 0x2C, 0x00, 0x04},
                                          str_bytes("MQTT"),
                                          {0x04, 0x2E, 0x00, 0x1E, 0x00, 0x0B},
                                          str_bytes("DVES_00AB12"),
                                          {0x00, 0x0A},
                                          str_bytes("tele/x/LWT"),
                                          {0x00, 0x07},
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

}  // namespace mqtt_test
