// tests/fuzz/fuzz_mqtt_codec.cpp — the firmware's MQTT decoder (core/mqtt_codec.h) on any bytes:
// the fixed header, then the packet its type names, as the client's read loop decodes them. What
// a decoder hands back must lie inside the packet; a PUBLISH it accepts re-encodes to the same
// header bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mqtt_codec.h"

#define CHECK(c)            \
  do {                      \
    if (!(c)) std::abort(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint32_t rl = 0;
  (void)mqtt_decode_remaining_length(data, size, &rl);
  MqttFixedHeader h{};
  const int hl = mqtt_decode_fixed_header(data, size, &h);
  if (hl <= 0) return 0;
  CHECK(hl == h.header_len && hl >= 2 && hl <= 5);
  if (size_t(hl) + h.remaining > size) return 0;  // incomplete: the client waits for more
  const uint8_t* pkt = data;
  const size_t len = size_t(hl) + h.remaining;
  switch (h.type) {
    case MQTT_PKT_CONNACK: {
      MqttConnack c{};
      (void)mqtt_decode_connack(pkt, len, &c);
      break;
    }
    case MQTT_PKT_PUBLISH: {
      MqttPublish p{};
      if (mqtt_decode_publish(pkt, len, &p) >= 0) {
        const uint8_t* end = pkt + len;
        CHECK(reinterpret_cast<const uint8_t*>(p.topic) >= pkt &&
              reinterpret_cast<const uint8_t*>(p.topic) + p.topic_len <= end);
        CHECK(p.payload >= pkt && p.payload + p.payload_len <= end);
        CHECK(p.qos <= 2);
        // The header it decoded, encoded again, is the bytes it came from (for a topic with no NUL).
        if (p.qos < 2 && !std::memchr(p.topic, 0, p.topic_len)) {
          char topic[65536];
          std::memcpy(topic, p.topic, p.topic_len);
          topic[p.topic_len] = 0;
          uint8_t out[70000];
          const int n =
              mqtt_encode_publish_header(out, sizeof out, topic, p.payload_len, p.qos, p.retain, p.dup, p.packet_id);
          if (n > 0 && size_t(n) == size_t(p.payload - pkt) && hl == int(h.header_len) &&
              mqtt_remaining_length_size(h.remaining) == size_t(hl - 1))
            CHECK(std::memcmp(out, pkt, size_t(n)) == 0);
        }
      }
      break;
    }
    case MQTT_PKT_PUBACK: {
      uint16_t id = 0;
      (void)mqtt_decode_puback(pkt, len, &id);
      break;
    }
    case MQTT_PKT_SUBACK: {
      MqttSuback s{};
      (void)mqtt_decode_suback(pkt, len, &s);
      break;
    }
    case MQTT_PKT_UNSUBACK: {
      uint16_t id = 0;
      (void)mqtt_decode_unsuback(pkt, len, &id);
      break;
    }
    case MQTT_PKT_PINGRESP:
      (void)mqtt_decode_pingresp(pkt, len);
      break;
    default:
      break;
  }
  return 0;
}
