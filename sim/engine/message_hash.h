// sim/engine/message_hash.h — the one hash an MQTT message is known by in delivery accounting
// (docs/faults.md, "Delivery"): FNV-1a over the topic, a 0 byte and the payload. The devices
// hash what their firmware published; the delivery observer hashes what arrived.
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

inline uint32_t message_hash(const char* topic, size_t topic_len, const char* payload, size_t payload_len) {
  uint32_t h = 2166136261u;
  auto mix = [&h](const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ uint8_t(p[i])) * 16777619u;
  };
  mix(topic, topic_len);
  mix("", 1);
  mix(payload, payload_len);
  return h;
}

}  // namespace espfleet
