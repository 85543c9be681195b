// tests/core/test_mqtt_client_inbound.cpp — core/mqtt_client over an in-memory Client, inbound: scripted
// broker bytes (whole, in pieces, too large, malformed, cut off) and the keepalive ping and its
// timeout under a test clock.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "mqtt_client_rig.h"

using namespace mqtt_test;

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
  r.net.feed(Bytes(pkt.begin(), pkt.begin() + 2), t);             // type + first length byte
  r.net.feed(Bytes(pkt.begin() + 2, pkt.begin() + 40), t + 100);  // rest of the length, topic
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
