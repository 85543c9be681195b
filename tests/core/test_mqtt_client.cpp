// tests/core/test_mqtt_client.cpp — core/mqtt_client over an in-memory Client, outbound: what goes on the
// wire when connecting, publishing and subscribing (and in how many writes), and the CONNACK
// timeout under a test clock. Inbound packets and keepalive: test_mqtt_client_inbound.cpp.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "mqtt_client_rig.h"

using namespace mqtt_test;

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
