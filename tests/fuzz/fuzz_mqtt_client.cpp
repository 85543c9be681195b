// tests/fuzz/fuzz_mqtt_client.cpp — the firmware's MQTT client (core/mqtt_client.cpp) as a broker,
// or anything posing as one, drives it: the input is the byte stream the client reads, cut into
// arrivals of the sizes its first bytes say. The client connects (its CONNACK wait bounded by the
// socket timeout), loops, publishes and subscribes as the firmware does, and must neither read
// nor write outside its buffer, nor hand the callback a topic that is not NUL-terminated inside
// it, nor wait forever: its clock is this file's (each millis() call advances it 1 ms), as are
// yield() and the heap calls that shims/Arduino.h routes malloc and free to.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mqtt_client.h"

#undef malloc
#undef free
#undef calloc
#undef realloc

namespace {
uint64_t g_clock_ms = 0;
uint64_t g_yields = 0;

// A Client whose peer sends the fuzz input: `chunk` bytes become available per yield.
class InputClient final : public Client {
 public:
  InputClient(const uint8_t* d, size_t n, size_t chunk) : data_(d), size_(n), chunk_(chunk ? chunk : 1) {}
  int connect(IPAddress, uint16_t) override { return open_ = true; }
  int connect(const char*, uint16_t) override { return open_ = true; }
  size_t write(uint8_t) override { return open_ ? 1 : 0; }
  size_t write(const uint8_t* buf, size_t n) override {
    if (!open_) return 0;
    for (size_t i = 0; i < n; ++i) sum_ += buf[i];  // reads every byte the client claims to send
    return n;
  }
  int available() override {
    if (visible_ < size_ && g_yields > seen_yields_) {  // more arrives while the client waits
      seen_yields_ = g_yields;
      visible_ = visible_ + chunk_ < size_ ? visible_ + chunk_ : size_;
    }
    return int(visible_ - read_);
  }
  int read() override { return available() > 0 ? data_[read_++] : -1; }
  int read(uint8_t* buf, size_t n) override {
    size_t k = size_t(available());
    if (k > n) k = n;
    std::memcpy(buf, data_ + read_, k);
    read_ += k;
    return int(k);
  }
  int peek() override { return available() > 0 ? data_[read_] : -1; }
  void flush() override {}
  void stop() override { open_ = false; }
  // The peer closes once it has sent everything and the client has read it.
  uint8_t connected() override { return open_ && (read_ < size_ || visible_ < size_); }
  operator bool() override { return open_; }
  size_t unread() const { return size_ - read_; }

 private:
  const uint8_t* data_;
  size_t size_, chunk_, visible_ = 0, read_ = 0;
  uint64_t seen_yields_ = 0;
  bool open_ = false;
  uint32_t sum_ = 0;
};

struct Seen {
  uint32_t messages = 0;
};

void on_message(void* ctx, char* topic, uint8_t* payload, unsigned int len) {
  // The topic is a C string and the payload readable to its end (ASan checks both).
  volatile size_t n = std::strlen(topic);
  volatile uint8_t sum = 0;
  for (unsigned int i = 0; i < len; ++i) sum = uint8_t(sum + payload[i]);
  (void)n;
  static_cast<Seen*>(ctx)->messages++;
}
void on_ack(void* ctx, uint16_t id) {
  if (id == 0) std::abort();  // a PUBACK's packet id is never 0 (the decoder refuses it)
  (void)ctx;
}
}  // namespace

// The platform the client runs on, as far as it uses it.
extern "C" {
unsigned long millis(void) { return (unsigned long)++g_clock_ms; }
unsigned long micros(void) { return (unsigned long)(g_clock_ms * 1000); }
void yield(void) { g_yields++; }
void delay(unsigned long ms) { g_clock_ms += ms, g_yields++; }
void optimistic_yield(uint32_t) {}
void* pvPortMalloc(size_t size, const char*, int) { return std::malloc(size); }
void* pvPortCalloc(size_t count, size_t size, const char*, int) { return std::calloc(count, size); }
void* pvPortRealloc(void* p, size_t size, const char*, int) { return std::realloc(p, size); }
void vPortFree(void* p, const char*, int) { std::free(p); }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = size_t(data[0]) * 8 + 1;  // bytes arriving per wait
  const uint8_t qos = data[1] & 1;
  InputClient net(data + 2, size - 2, chunk);
  g_clock_ms = 0;
  g_yields = 0;
  Seen seen;
  {
    MqttClient mqtt(net);
    mqtt.setServer("broker", 8883).setCallback(on_message, &seen).setAckCallback(on_ack, nullptr);
    mqtt.setKeepAlive(30).setSocketTimeout(4);
    if (mqtt.connect("DVES_FUZZ", nullptr, nullptr, "tele/fuzz/LWT", 1, true, "Offline", true)) {
      mqtt.subscribe("cmnd/fuzz/#", qos);
      // Loop until the input is used up and the client has noticed (bounded: each pass reads or
      // waits, and its clock runs).
      for (int pass = 0; pass < 4096 && mqtt.connected(); ++pass) {
        mqtt.loop();
        g_yields++;
        if (pass % 16 == 0)
          mqtt.publish("tele/fuzz/STATE", reinterpret_cast<const uint8_t*>("{\"Uptime\":1}"), 12, false, qos);
        if (net.unread() == 0 && pass > 64) break;
      }
    }
    (void)mqtt.state();
    (void)mqtt.msUntilDue(uint32_t(g_clock_ms));
  }
  if (g_clock_ms > 100000000) std::abort();  // some wait ran on and on
  return 0;
}
