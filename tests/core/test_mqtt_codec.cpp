// tests/core/test_mqtt_codec.cpp — core/mqtt_codec: byte-exact MQTT 3.1.1 encodings (expected
// bytes derived by hand from the spec, section numbers alongside) and rejection of malformed input.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "mqtt_codec.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes encoded(const uint8_t* buf, int n) {
  REQUIRE(n > 0);
  return Bytes(buf, buf + n);
}

// A buffer with a sentinel tail: any write past `cap` shows up as a changed sentinel.
struct Guarded {
  static constexpr size_t kTail = 16;
  uint8_t mem[2048 + kTail];
  size_t cap;
  explicit Guarded(size_t c) : cap(c) { memset(mem, 0xA5, sizeof mem); }
  uint8_t* data() { return mem; }
  bool tail_intact() const {
    for (size_t i = cap; i < cap + kTail; i++)
      if (mem[i] != 0xA5) return false;
    return true;
  }
  bool untouched() const {
    for (size_t i = 0; i < cap + kTail; i++)
      if (mem[i] != 0xA5) return false;
    return true;
  }
};

MqttConnectOptions tasmota_connect() {
  MqttConnectOptions o{};
  o.client_id = "DVES_00AB12";
  o.will_topic = "tele/x/LWT";
  o.will_message = reinterpret_cast<const uint8_t*>("Offline");
  o.will_message_len = 7;
  o.will_qos = 1;
  o.will_retain = true;
  o.clean_session = true;
  o.keepalive_s = 30;
  return o;
}

// §3.2: CONNACK, §3.3: PUBLISH "a/b" = "hello" (QoS 0).
const Bytes kConnackOk = {0x20, 0x02, 0x00, 0x00};
const Bytes kPublishQos0 = {0x30, 0x0A, 0x00, 0x03, 'a', '/', 'b', 'h', 'e', 'l', 'l', 'o'};

}  // namespace

// ---- remaining length (§2.2.3) --------------------------------------------------------------

TEST_CASE("remaining length encodes the spec's boundary values in 1 to 4 bytes") {
  struct Case {
    uint32_t value;
    Bytes bytes;
  } cases[] = {
      {0, {0x00}},
      {127, {0x7F}},
      {128, {0x80, 0x01}},
      {16383, {0xFF, 0x7F}},
      {16384, {0x80, 0x80, 0x01}},
      {2097151, {0xFF, 0xFF, 0x7F}},
      {2097152, {0x80, 0x80, 0x80, 0x01}},
      {268435455, {0xFF, 0xFF, 0xFF, 0x7F}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.value);
    uint8_t out[4];
    int n = mqtt_encode_remaining_length(out, sizeof out, c.value);
    CHECK(encoded(out, n) == c.bytes);
    CHECK(mqtt_remaining_length_size(c.value) == c.bytes.size());
    uint32_t back = 0xDEADBEEF;
    CHECK(mqtt_decode_remaining_length(c.bytes.data(), c.bytes.size(), &back) == int(c.bytes.size()));
    CHECK(back == c.value);
  }
}

TEST_CASE("remaining length beyond 268435455 cannot be encoded") {
  uint8_t out[8];
  CHECK(mqtt_remaining_length_size(268435456u) == 0);
  CHECK(mqtt_encode_remaining_length(out, sizeof out, 268435456u) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_remaining_length(out, sizeof out, 0xFFFFFFFFu) == MQTT_ERR_INVALID);
}

TEST_CASE("remaining length needing a fifth byte is malformed") {
  const uint8_t five[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  uint32_t v;
  CHECK(mqtt_decode_remaining_length(five, sizeof five, &v) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_remaining_length(five, 4, &v) == MQTT_ERR_MALFORMED);  // 4th byte continues
  const uint8_t hdr[] = {0x30, 0x80, 0x80, 0x80, 0x80, 0x01};
  MqttFixedHeader h;
  CHECK(mqtt_decode_fixed_header(hdr, sizeof hdr, &h) == MQTT_ERR_MALFORMED);
}

TEST_CASE("remaining length cut short is incomplete, not malformed") {
  const uint8_t two[] = {0x80, 0x01};
  uint32_t v;
  CHECK(mqtt_decode_remaining_length(two, 1, &v) == MQTT_ERR_INCOMPLETE);
  CHECK(mqtt_decode_remaining_length(two, 0, &v) == MQTT_ERR_INCOMPLETE);
  MqttFixedHeader h;
  CHECK(mqtt_decode_fixed_header(two, 0, &h) == MQTT_ERR_INCOMPLETE);
}

TEST_CASE("remaining length never writes past a too-small buffer") {
  Guarded g(2);
  CHECK(mqtt_encode_remaining_length(g.data(), g.cap, 16384) == MQTT_ERR_NO_SPACE);
  CHECK(g.untouched());
}

TEST_CASE("fixed header rejects the reserved packet types 0 and 15") {
  const uint8_t t0[] = {0x00, 0x00};
  const uint8_t t15[] = {0xF0, 0x00};
  MqttFixedHeader h;
  CHECK(mqtt_decode_fixed_header(t0, 2, &h) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_fixed_header(t15, 2, &h) == MQTT_ERR_MALFORMED);
  const uint8_t pub[] = {0x3B, 0x80, 0x01};
  REQUIRE(mqtt_decode_fixed_header(pub, 3, &h) == 3);
  CHECK(h.type == MQTT_PKT_PUBLISH);
  CHECK(h.flags == 0x0B);
  CHECK(h.remaining == 128);
  CHECK(h.header_len == 3);
}

// ---- CONNECT (§3.1) -------------------------------------------------------------------------

TEST_CASE("CONNECT with Tasmota's will is byte-exact") {
  // Variable header: "MQTT", level 4, flags = will retain 0x20 | will QoS 1 0x08 | will 0x04 |
  // clean 0x02 = 0x2E, keepalive 30. Payload: client id, will topic, will message.
  // Remaining = 10 + (2+11) + (2+10) + (2+7) = 44 = 0x2C.
  const Bytes want = {0x10, 0x2C, 0x00, 0x04, 'M', 'Q',  'T',  'T', 0x04, 0x2E, 0x00, 0x1E, 0x00, 0x0B, 'D', 'V',
                      'E',  'S',  '_',  '0',  '0', 'A',  'B',  '1', '2',  0x00, 0x0A, 't',  'e',  'l',  'e', '/',
                      'x',  '/',  'L',  'W',  'T', 0x00, 0x07, 'O', 'f',  'f',  'l',  'i',  'n',  'e'};
  MqttConnectOptions o = tasmota_connect();
  Guarded g(256);
  int n = mqtt_encode_connect(g.data(), g.cap, &o);
  CHECK(n == 46);
  CHECK(encoded(g.data(), n) == want);
}

TEST_CASE("CONNECT without will or credentials is byte-exact") {
  MqttConnectOptions o{};
  o.client_id = "c";
  o.clean_session = true;
  o.keepalive_s = 60;
  const Bytes want = {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c'};
  uint8_t buf[64];
  CHECK(encoded(buf, mqtt_encode_connect(buf, sizeof buf, &o)) == want);
}

TEST_CASE("CONNECT with user and password, persistent session, keepalive 0") {
  MqttConnectOptions o{};
  o.client_id = "";
  o.user = "u";
  o.pass = "pw";
  // Flags: user 0x80 | password 0x40; remaining = 10 + 2 + 3 + 4 = 19.
  const Bytes want = {0x10, 0x13, 0x00, 0x04, 'M',  'Q', 'T',  'T',  0x04, 0xC0, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x01, 'u', 0x00, 0x02, 'p',  'w'};
  uint8_t buf[64];
  CHECK(encoded(buf, mqtt_encode_connect(buf, sizeof buf, &o)) == want);
}

TEST_CASE("CONNECT rejects arguments the protocol cannot carry") {
  uint8_t buf[128];
  MqttConnectOptions o = tasmota_connect();
  o.client_id = nullptr;
  CHECK(mqtt_encode_connect(buf, sizeof buf, &o) == MQTT_ERR_INVALID);
  o = tasmota_connect();
  o.pass = "secret";  // password without user name (§3.1.2.9)
  CHECK(mqtt_encode_connect(buf, sizeof buf, &o) == MQTT_ERR_INVALID);
  o = tasmota_connect();
  o.will_qos = 3;
  CHECK(mqtt_encode_connect(buf, sizeof buf, &o) == MQTT_ERR_INVALID);
  o = tasmota_connect();
  o.will_message = nullptr;
  CHECK(mqtt_encode_connect(buf, sizeof buf, &o) == MQTT_ERR_INVALID);
  std::vector<char> huge(70000, 'x');
  huge.back() = 0;
  o = tasmota_connect();
  o.client_id = huge.data();
  CHECK(mqtt_encode_connect(buf, sizeof buf, &o) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_connect(buf, sizeof buf, nullptr) == MQTT_ERR_INVALID);
}

TEST_CASE("encoders never write past the buffer and leave a too-small one untouched") {
  MqttConnectOptions o = tasmota_connect();
  for (size_t cap = 0; cap < 46; cap++) {
    CAPTURE(cap);
    Guarded g(cap);
    CHECK(mqtt_encode_connect(g.data(), g.cap, &o) == MQTT_ERR_NO_SPACE);
    CHECK(g.untouched());
  }
  for (size_t cap = 0; cap < 14; cap++) {
    Guarded g(cap);
    CHECK(mqtt_encode_publish_header(g.data(), g.cap, "tele/x/LWT", 6, 0, true, false, 0) == MQTT_ERR_NO_SPACE);
    CHECK(g.untouched());
  }
  for (size_t cap = 0; cap < 4; cap++) {
    Guarded g(cap);
    CHECK(mqtt_encode_puback(g.data(), g.cap, 1) == MQTT_ERR_NO_SPACE);
    CHECK(mqtt_encode_subscribe(g.data(), g.cap, 1, "a", 0) == MQTT_ERR_NO_SPACE);
    CHECK(mqtt_encode_unsubscribe(g.data(), g.cap, 1, "a") == MQTT_ERR_NO_SPACE);
    if (cap < 2) {
      CHECK(mqtt_encode_pingreq(g.data(), g.cap) == MQTT_ERR_NO_SPACE);
      CHECK(mqtt_encode_disconnect(g.data(), g.cap) == MQTT_ERR_NO_SPACE);
    }
    CHECK(g.untouched());
  }
  Guarded exact(46);
  CHECK(mqtt_encode_connect(exact.data(), exact.cap, &o) == 46);
  CHECK(exact.tail_intact());
}

// ---- PUBLISH and the small packets (§3.3 - §3.14) --------------------------------------------

TEST_CASE("PUBLISH header for a QoS 0 retained message counts the payload sent after it") {
  // Remaining = 2 + 10 (topic) + 6 ("Online", written separately) = 18.
  const Bytes want = {0x31, 0x12, 0x00, 0x0A, 't', 'e', 'l', 'e', '/', 'x', '/', 'L', 'W', 'T'};
  uint8_t buf[64];
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "tele/x/LWT", 6, 0, true, false, 0)) == want);
}

TEST_CASE("PUBLISH header for QoS 1 carries the packet id after the topic") {
  // 0x32 = PUBLISH | QoS 1; remaining = 2 + 3 + 2 (id) + 3 (payload) = 10.
  const Bytes want = {0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x12, 0x34};
  uint8_t buf[64];
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "a/b", 3, 1, false, false, 0x1234)) == want);
  // DUP set on a redelivery: 0x3A.
  const Bytes dup = {0x3A, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x12, 0x34};
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "a/b", 3, 1, false, true, 0x1234)) == dup);
}

TEST_CASE("PUBLISH header switches to a two-byte remaining length at 128") {
  uint8_t buf[16];
  // Topic "t": 2 + 1 + 124 = 127 → one byte; 2 + 1 + 125 = 128 → 0x80 0x01.
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "t", 124, 0, false, false, 0)) ==
        Bytes{0x30, 0x7F, 0x00, 0x01, 't'});
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "t", 125, 0, false, false, 0)) ==
        Bytes{0x30, 0x80, 0x01, 0x00, 0x01, 't'});
  // 16383 → 0xFF 0x7F; 16384 → 0x80 0x80 0x01.
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "t", 16380, 0, false, false, 0)) ==
        Bytes{0x30, 0xFF, 0x7F, 0x00, 0x01, 't'});
  CHECK(encoded(buf, mqtt_encode_publish_header(buf, sizeof buf, "t", 16381, 0, false, false, 0)) ==
        Bytes{0x30, 0x80, 0x80, 0x01, 0x00, 0x01, 't'});
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "t", 268435455u - 3, 0, false, false, 0) == 8);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "t", 268435455u - 2, 0, false, false, 0) == MQTT_ERR_INVALID);
}

TEST_CASE("PUBLISH header rejects what a PUBLISH may not carry") {
  uint8_t buf[64];
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "a", 0, 3, false, false, 1) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "a", 0, 1, false, false, 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "a", 0, 0, false, true, 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "", 0, 0, false, false, 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "a/#", 0, 0, false, false, 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, "a/+/b", 0, 0, false, false, 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_publish_header(buf, sizeof buf, nullptr, 0, 0, false, false, 0) == MQTT_ERR_INVALID);
}

TEST_CASE("PUBACK, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and DISCONNECT are byte-exact") {
  uint8_t buf[64];
  CHECK(encoded(buf, mqtt_encode_puback(buf, sizeof buf, 0x1234)) == Bytes{0x40, 0x02, 0x12, 0x34});
  // SUBSCRIBE has reserved flags 0010 (§3.8.1); remaining = 2 (id) + 2 + 8 + 1 (QoS) = 13.
  CHECK(encoded(buf, mqtt_encode_subscribe(buf, sizeof buf, 1, "cmnd/x/#", 0)) ==
        Bytes{0x82, 0x0D, 0x00, 0x01, 0x00, 0x08, 'c', 'm', 'n', 'd', '/', 'x', '/', '#', 0x00});
  CHECK(encoded(buf, mqtt_encode_subscribe(buf, sizeof buf, 0x0102, "a/+", 1)) ==
        Bytes{0x82, 0x08, 0x01, 0x02, 0x00, 0x03, 'a', '/', '+', 0x01});
  // UNSUBSCRIBE, flags 0010 (§3.10.1); remaining = 2 + 2 + 8 = 12.
  CHECK(encoded(buf, mqtt_encode_unsubscribe(buf, sizeof buf, 2, "cmnd/x/#")) ==
        Bytes{0xA2, 0x0C, 0x00, 0x02, 0x00, 0x08, 'c', 'm', 'n', 'd', '/', 'x', '/', '#'});
  CHECK(encoded(buf, mqtt_encode_pingreq(buf, sizeof buf)) == Bytes{0xC0, 0x00});
  CHECK(encoded(buf, mqtt_encode_disconnect(buf, sizeof buf)) == Bytes{0xE0, 0x00});
}

TEST_CASE("packet id 0, QoS above 2 and empty filters are refused") {
  uint8_t buf[64];
  CHECK(mqtt_encode_puback(buf, sizeof buf, 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_subscribe(buf, sizeof buf, 0, "a", 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_subscribe(buf, sizeof buf, 1, "a", 3) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_subscribe(buf, sizeof buf, 1, "", 0) == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_unsubscribe(buf, sizeof buf, 0, "a") == MQTT_ERR_INVALID);
  CHECK(mqtt_encode_unsubscribe(buf, sizeof buf, 1, nullptr) == MQTT_ERR_INVALID);
}

// ---- decoders --------------------------------------------------------------------------------

TEST_CASE("CONNACK decodes the return code and session-present flag") {
  MqttConnack ack{};
  CHECK(mqtt_decode_connack(kConnackOk.data(), kConnackOk.size(), &ack) == MQTT_OK);
  CHECK(ack.return_code == 0);
  CHECK_FALSE(ack.session_present);
  const uint8_t present[] = {0x20, 0x02, 0x01, 0x00};
  CHECK(mqtt_decode_connack(present, 4, &ack) == MQTT_OK);
  CHECK(ack.session_present);
  const uint8_t refused[] = {0x20, 0x02, 0x00, 0x05};
  CHECK(mqtt_decode_connack(refused, 4, &ack) == MQTT_OK);
  CHECK(ack.return_code == 5);
}

TEST_CASE("CONNACK with wrong flags, lengths or type is malformed") {
  MqttConnack ack;
  const uint8_t flags[] = {0x21, 0x02, 0x00, 0x00};         // reserved fixed-header flags
  const uint8_t ackFlags[] = {0x20, 0x02, 0x02, 0x00};      // reserved acknowledge flags
  const uint8_t spRefused[] = {0x20, 0x02, 0x01, 0x04};     // session present with a refusal
  const uint8_t longer[] = {0x20, 0x03, 0x00, 0x00, 0x00};  // remaining length 3
  const uint8_t trailing[] = {0x20, 0x02, 0x00, 0x00, 0x00};
  const uint8_t wrongType[] = {0x90, 0x02, 0x00, 0x00};
  CHECK(mqtt_decode_connack(flags, 4, &ack) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_connack(ackFlags, 4, &ack) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_connack(spRefused, 4, &ack) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_connack(longer, 5, &ack) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_connack(trailing, 5, &ack) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_connack(wrongType, 4, &ack) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_connack(nullptr, 0, &ack) == MQTT_ERR_INVALID);
}

TEST_CASE("every truncation of a valid packet is incomplete") {
  for (size_t n = 0; n < kPublishQos0.size(); n++) {
    CAPTURE(n);
    MqttPublish p;
    CHECK(mqtt_decode_publish(kPublishQos0.data(), n, &p) == MQTT_ERR_INCOMPLETE);
  }
  for (size_t n = 0; n < kConnackOk.size(); n++) {
    MqttConnack a;
    CHECK(mqtt_decode_connack(kConnackOk.data(), n, &a) == MQTT_ERR_INCOMPLETE);
  }
}

TEST_CASE("PUBLISH QoS 0 decodes topic and payload in place") {
  MqttPublish p{};
  REQUIRE(mqtt_decode_publish(kPublishQos0.data(), kPublishQos0.size(), &p) == MQTT_OK);
  CHECK(std::string(p.topic, p.topic_len) == "a/b");
  CHECK(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len) == "hello");
  CHECK(p.topic == reinterpret_cast<const char*>(kPublishQos0.data()) + 4);
  CHECK(p.qos == 0);
  CHECK(p.packet_id == 0);
  CHECK_FALSE(p.retain);
  CHECK_FALSE(p.dup);
}

TEST_CASE("PUBLISH QoS 1 decodes packet id, retain and dup") {
  // 0x3B = PUBLISH | DUP | QoS 1 | RETAIN; remaining = 2 + 3 + 2 + 2 = 9.
  const uint8_t pkt[] = {0x3B, 0x09, 0x00, 0x03, 'a', '/', 'b', 0xBE, 0xEF, 'O', 'N'};
  MqttPublish p{};
  REQUIRE(mqtt_decode_publish(pkt, sizeof pkt, &p) == MQTT_OK);
  CHECK(std::string(p.topic, p.topic_len) == "a/b");
  CHECK(p.packet_id == 0xBEEF);
  CHECK(p.qos == 1);
  CHECK(p.retain);
  CHECK(p.dup);
  CHECK(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len) == "ON");
  const uint8_t empty[] = {0x32, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x01};
  REQUIRE(mqtt_decode_publish(empty, sizeof empty, &p) == MQTT_OK);
  CHECK(p.payload_len == 0);
}

TEST_CASE("PUBLISH with broken lengths or flags is malformed") {
  struct Case {
    const char* why;
    Bytes pkt;
  } cases[] = {
      {"topic length beyond the packet", {0x30, 0x04, 0x00, 0x05, 'a', 'b'}},
      {"topic length field cut", {0x30, 0x01, 0x00}},
      {"QoS 1 packet id missing", {0x32, 0x04, 0x00, 0x02, 'a', 'b'}},
      {"QoS 1 packet id zero", {0x32, 0x06, 0x00, 0x02, 'a', 'b', 0x00, 0x00}},
      {"QoS 3", {0x36, 0x06, 0x00, 0x02, 'a', 'b', 0x00, 0x01}},
      {"DUP on QoS 0", {0x38, 0x04, 0x00, 0x02, 'a', 'b'}},
      {"empty topic", {0x30, 0x03, 0x00, 0x00, 'x'}},
      {"wildcard in topic", {0x30, 0x04, 0x00, 0x02, 'a', '#'}},
      {"NUL in topic", {0x30, 0x04, 0x00, 0x02, 'a', 0x00}},
      {"bytes after the packet", {0x30, 0x04, 0x00, 0x02, 'a', 'b', 'c'}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.why);
    MqttPublish p;
    CHECK(mqtt_decode_publish(c.pkt.data(), c.pkt.size(), &p) == MQTT_ERR_MALFORMED);
  }
}

TEST_CASE("SUBACK, PUBACK, UNSUBACK and PINGRESP decode and check their shape") {
  MqttSuback s{};
  const uint8_t suback[] = {0x90, 0x04, 0x00, 0x07, 0x01, 0x80};
  REQUIRE(mqtt_decode_suback(suback, sizeof suback, &s) == MQTT_OK);
  CHECK(s.packet_id == 7);
  CHECK(s.count == 2);
  CHECK(s.codes[0] == 1);
  CHECK(s.codes[1] == 0x80);
  const uint8_t badCode[] = {0x90, 0x03, 0x00, 0x07, 0x03};
  const uint8_t noCodes[] = {0x90, 0x02, 0x00, 0x07};
  const uint8_t subFlags[] = {0x92, 0x03, 0x00, 0x07, 0x00};
  CHECK(mqtt_decode_suback(badCode, sizeof badCode, &s) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_suback(noCodes, sizeof noCodes, &s) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_suback(subFlags, sizeof subFlags, &s) == MQTT_ERR_MALFORMED);

  uint16_t id = 0;
  const uint8_t puback[] = {0x40, 0x02, 0x00, 0x2A};
  CHECK(mqtt_decode_puback(puback, 4, &id) == MQTT_OK);
  CHECK(id == 42);
  const uint8_t pubackZero[] = {0x40, 0x02, 0x00, 0x00};
  const uint8_t pubackLong[] = {0x40, 0x03, 0x00, 0x01, 0x00};
  const uint8_t pubrec[] = {0x50, 0x02, 0x00, 0x01};
  CHECK(mqtt_decode_puback(pubackZero, 4, &id) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_puback(pubackLong, 5, &id) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_puback(pubrec, 4, &id) == MQTT_ERR_MALFORMED);

  const uint8_t unsuback[] = {0xB0, 0x02, 0x00, 0x03};
  CHECK(mqtt_decode_unsuback(unsuback, 4, &id) == MQTT_OK);
  CHECK(id == 3);

  const uint8_t pingresp[] = {0xD0, 0x00};
  const uint8_t pingLong[] = {0xD0, 0x01, 0x00};
  const uint8_t pingFlags[] = {0xD1, 0x00};
  CHECK(mqtt_decode_pingresp(pingresp, 2) == MQTT_OK);
  CHECK(mqtt_decode_pingresp(pingLong, 3) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_pingresp(pingFlags, 2) == MQTT_ERR_MALFORMED);
  CHECK(mqtt_decode_pingresp(pingresp, 1) == MQTT_ERR_INCOMPLETE);
}

TEST_CASE("decoders survive random bytes and never point outside the packet") {
  uint32_t seed = 0x2545F491u;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
  };
  for (int round = 0; round < 20000; round++) {
    size_t len = next() % 24;
    // Heap copies of exactly `len` bytes, so an over-read is visible to AddressSanitizer.
    std::vector<uint8_t> pkt(len);
    for (auto& b : pkt) b = uint8_t(next());
    if (len > 0 && (round & 1)) pkt[0] = uint8_t((next() % 14 + 1) << 4 | (pkt[0] & 0x0F));
    if (len > 1 && (round & 2)) pkt[1] = uint8_t(len - 2);  // plausible remaining length
    const uint8_t* p = pkt.data();
    MqttPublish pub;
    if (mqtt_decode_publish(p, len, &pub) == MQTT_OK) {
      CHECK(reinterpret_cast<const uint8_t*>(pub.topic) >= p);
      CHECK(reinterpret_cast<const uint8_t*>(pub.topic) + pub.topic_len <= pub.payload);
      CHECK(pub.payload + pub.payload_len == p + len);
    }
    MqttConnack ack;
    MqttSuback sub;
    uint16_t id;
    MqttFixedHeader h;
    (void)mqtt_decode_connack(p, len, &ack);
    if (mqtt_decode_suback(p, len, &sub) == MQTT_OK) CHECK(sub.codes + sub.count == p + len);
    (void)mqtt_decode_puback(p, len, &id);
    (void)mqtt_decode_unsuback(p, len, &id);
    (void)mqtt_decode_pingresp(p, len);
    int hl = mqtt_decode_fixed_header(p, len, &h);
    if (hl > 0) CHECK(size_t(hl) <= len);
  }
}
