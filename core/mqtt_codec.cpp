// core/mqtt_codec.cpp — MQTT 3.1.1 encoding and decoding (see mqtt_codec.h). Section numbers
// refer to the OASIS MQTT 3.1.1 specification.
//
// Every encoder first computes the packet's size, checks it against `cap`, and only then writes,
// so a too-small buffer is left untouched. Every decoder checks each length against the bytes
// that are really there before reading them.
#include "mqtt_codec.h"

#include <string.h>

namespace {

const uint8_t kProtocolLevel = 4;  // 3.1.1
const uint8_t kConnectUser = 0x80;
const uint8_t kConnectPass = 0x40;
const uint8_t kConnectWillRetain = 0x20;
const uint8_t kConnectWill = 0x04;
const uint8_t kConnectClean = 0x02;
const uint32_t kConnectVarHeader = 10;  // "MQTT" name (2+4), level, flags, keepalive (2)

// Length of an optional string; false if it cannot be an MQTT string (> 65535 bytes).
bool string_len(const char* s, uint32_t* len) {
  size_t n = s ? strlen(s) : 0;
  if (n > 0xFFFFu) return false;
  *len = uint32_t(n);
  return true;
}

// A PUBLISH topic name: non-empty, no wildcards (§3.3.2.1), no U+0000 (§1.5.3).
bool topic_name_ok(const char* topic, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++) {
    char c = topic[i];
    if (c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

uint8_t* put_u16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
  return p + 2;
}

uint8_t* put_bytes(uint8_t* p, const void* data, uint32_t len) {
  if (len) memcpy(p, data, len);
  return p + len;
}

uint8_t* put_string(uint8_t* p, const char* s, uint32_t len) { return put_bytes(put_u16(p, len), s, len); }

uint16_t get_u16(const uint8_t* p) { return uint16_t((uint16_t(p[0]) << 8) | p[1]); }

// Writes a fixed header for `remaining` bytes if header + `body_written` bytes fit in `cap`.
// Returns the header length, or an error.
int put_fixed_header(uint8_t* out, size_t cap, uint8_t first, uint32_t remaining, uint32_t body_written) {
  size_t rl = mqtt_remaining_length_size(remaining);
  if (rl == 0) return MQTT_ERR_INVALID;
  if (!out || cap < 1 + rl || cap - 1 - rl < body_written) return MQTT_ERR_NO_SPACE;
  out[0] = first;
  mqtt_encode_remaining_length(out + 1, cap - 1, remaining);
  return int(1 + rl);
}

// Parses the fixed header of a whole packet and checks its type, flags and total length.
// `flags` < 0 accepts any flags (PUBLISH).
int open_packet(const uint8_t* pkt, size_t len, uint8_t type, int flags, MqttFixedHeader* h) {
  if (!pkt) return MQTT_ERR_INVALID;
  int rc = mqtt_decode_fixed_header(pkt, len, h);
  if (rc < 0) return rc;
  if (h->type != type) return MQTT_ERR_MALFORMED;
  if (flags >= 0 && h->flags != flags) return MQTT_ERR_MALFORMED;
  size_t have = len - h->header_len;
  if (have < h->remaining) return MQTT_ERR_INCOMPLETE;
  if (have > h->remaining) return MQTT_ERR_MALFORMED;
  return MQTT_OK;
}

// PUBACK and UNSUBACK: the fixed header and a non-zero packet id, nothing else.
int decode_id_only(const uint8_t* pkt, size_t len, uint8_t type, uint16_t* packet_id) {
  MqttFixedHeader h;
  int rc = open_packet(pkt, len, type, 0, &h);
  if (rc < 0) return rc;
  if (h.remaining != 2) return MQTT_ERR_MALFORMED;
  uint16_t id = get_u16(pkt + h.header_len);
  if (id == 0) return MQTT_ERR_MALFORMED;  // §2.3.1
  if (packet_id) *packet_id = id;
  return MQTT_OK;
}

int encode_empty(uint8_t* out, size_t cap, uint8_t type) {
  return put_fixed_header(out, cap, uint8_t(type << 4), 0, 0);
}

}  // namespace

// ---- remaining length and fixed header ------------------------------------------------------

size_t mqtt_remaining_length_size(uint32_t value) {
  if (value < 128u) return 1;
  if (value < 16384u) return 2;
  if (value < 2097152u) return 3;
  if (value <= kMqttMaxRemainingLength) return 4;
  return 0;
}

int mqtt_encode_remaining_length(uint8_t* out, size_t cap, uint32_t value) {
  size_t n = mqtt_remaining_length_size(value);
  if (n == 0) return MQTT_ERR_INVALID;
  if (!out || cap < n) return MQTT_ERR_NO_SPACE;
  for (size_t i = 0; i < n; i++) {
    uint8_t digit = uint8_t(value & 0x7F);
    value >>= 7;
    if (i + 1 < n) digit |= 0x80;
    out[i] = digit;
  }
  return int(n);
}

int mqtt_decode_remaining_length(const uint8_t* in, size_t len, uint32_t* value) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; i++) {
    if (i >= len || !in) return MQTT_ERR_INCOMPLETE;
    uint8_t b = in[i];
    v |= uint32_t(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      if (value) *value = v;
      return int(i + 1);
    }
  }
  return MQTT_ERR_MALFORMED;  // a fifth byte would be needed
}

int mqtt_decode_fixed_header(const uint8_t* in, size_t len, MqttFixedHeader* h) {
  if (!in || len < 1) return MQTT_ERR_INCOMPLETE;
  uint8_t type = in[0] >> 4;
  if (type < MQTT_PKT_CONNECT || type > MQTT_PKT_DISCONNECT) return MQTT_ERR_MALFORMED;
  uint32_t remaining = 0;
  int n = mqtt_decode_remaining_length(in + 1, len - 1, &remaining);
  if (n < 0) return n;
  if (h) {
    h->type = type;
    h->flags = in[0] & 0x0F;
    h->remaining = remaining;
    h->header_len = uint8_t(1 + n);
  }
  return 1 + n;
}

// ---- encoders ---------------------------------------------------------------------------------

int mqtt_encode_connect(uint8_t* out, size_t cap, const MqttConnectOptions* o) {
  if (!o || !o->client_id) return MQTT_ERR_INVALID;
  if (o->pass && !o->user) return MQTT_ERR_INVALID;  // §3.1.2.9
  if (o->will_qos > 2) return MQTT_ERR_INVALID;
  if (o->will_message_len && !o->will_message) return MQTT_ERR_INVALID;
  uint32_t id_len, will_len, user_len, pass_len;
  if (!string_len(o->client_id, &id_len) || !string_len(o->will_topic, &will_len) || !string_len(o->user, &user_len) ||
      !string_len(o->pass, &pass_len))
    return MQTT_ERR_INVALID;

  uint8_t flags = 0;
  uint32_t remaining = kConnectVarHeader + 2 + id_len;
  if (o->will_topic) {
    flags |= kConnectWill | uint8_t(o->will_qos << 3);
    if (o->will_retain) flags |= kConnectWillRetain;
    remaining += 2 + will_len + 2 + o->will_message_len;
  }
  if (o->user) {
    flags |= kConnectUser;
    remaining += 2 + user_len;
  }
  if (o->pass) {
    flags |= kConnectPass;
    remaining += 2 + pass_len;
  }
  if (o->clean_session) flags |= kConnectClean;

  int hl = put_fixed_header(out, cap, MQTT_PKT_CONNECT << 4, remaining, remaining);
  if (hl < 0) return hl;
  uint8_t* p = out + hl;
  p = put_string(p, "MQTT", 4);
  *p++ = kProtocolLevel;
  *p++ = flags;
  p = put_u16(p, o->keepalive_s);
  p = put_string(p, o->client_id, id_len);
  if (o->will_topic) {
    p = put_string(p, o->will_topic, will_len);
    p = put_u16(p, o->will_message_len);
    p = put_bytes(p, o->will_message, o->will_message_len);
  }
  if (o->user) p = put_string(p, o->user, user_len);
  if (o->pass) p = put_string(p, o->pass, pass_len);
  return int(p - out);
}

int mqtt_encode_publish_header(uint8_t* out, size_t cap, const char* topic, uint32_t payload_len, uint8_t qos,
                               bool retain, bool dup, uint16_t packet_id) {
  uint32_t topic_len;
  if (!topic || !string_len(topic, &topic_len) || !topic_name_ok(topic, topic_len)) return MQTT_ERR_INVALID;
  if (qos > 2 || (qos > 0 && packet_id == 0) || (qos == 0 && dup)) return MQTT_ERR_INVALID;
  uint32_t body = 2 + topic_len + (qos ? 2 : 0);
  if (payload_len > kMqttMaxRemainingLength - body) return MQTT_ERR_INVALID;

  uint8_t first = uint8_t(MQTT_PKT_PUBLISH << 4) | uint8_t(qos << 1);
  if (dup) first |= 0x08;
  if (retain) first |= 0x01;
  int hl = put_fixed_header(out, cap, first, body + payload_len, body);
  if (hl < 0) return hl;
  uint8_t* p = put_string(out + hl, topic, topic_len);
  if (qos) p = put_u16(p, packet_id);
  return int(p - out);
}

int mqtt_encode_puback(uint8_t* out, size_t cap, uint16_t packet_id) {
  if (packet_id == 0) return MQTT_ERR_INVALID;
  int hl = put_fixed_header(out, cap, MQTT_PKT_PUBACK << 4, 2, 2);
  if (hl < 0) return hl;
  put_u16(out + hl, packet_id);
  return hl + 2;
}

int mqtt_encode_subscribe(uint8_t* out, size_t cap, uint16_t packet_id, const char* topic, uint8_t qos) {
  uint32_t topic_len;
  if (!topic || !string_len(topic, &topic_len) || topic_len == 0) return MQTT_ERR_INVALID;
  if (packet_id == 0 || qos > 2) return MQTT_ERR_INVALID;
  uint32_t remaining = 2 + 2 + topic_len + 1;
  int hl = put_fixed_header(out, cap, (MQTT_PKT_SUBSCRIBE << 4) | 0x02, remaining, remaining);  // §3.8.1
  if (hl < 0) return hl;
  uint8_t* p = put_u16(out + hl, packet_id);
  p = put_string(p, topic, topic_len);
  *p++ = qos;
  return int(p - out);
}

int mqtt_encode_unsubscribe(uint8_t* out, size_t cap, uint16_t packet_id, const char* topic) {
  uint32_t topic_len;
  if (!topic || !string_len(topic, &topic_len) || topic_len == 0 || packet_id == 0) return MQTT_ERR_INVALID;
  uint32_t remaining = 2 + 2 + topic_len;
  int hl = put_fixed_header(out, cap, (MQTT_PKT_UNSUBSCRIBE << 4) | 0x02, remaining, remaining);  // §3.10.1
  if (hl < 0) return hl;
  uint8_t* p = put_u16(out + hl, packet_id);
  p = put_string(p, topic, topic_len);
  return int(p - out);
}

int mqtt_encode_pingreq(uint8_t* out, size_t cap) { return encode_empty(out, cap, MQTT_PKT_PINGREQ); }

int mqtt_encode_disconnect(uint8_t* out, size_t cap) { return encode_empty(out, cap, MQTT_PKT_DISCONNECT); }

// ---- decoders ---------------------------------------------------------------------------------

int mqtt_decode_connack(const uint8_t* pkt, size_t len, MqttConnack* out) {
  MqttFixedHeader h;
  int rc = open_packet(pkt, len, MQTT_PKT_CONNACK, 0, &h);
  if (rc < 0) return rc;
  if (h.remaining != 2) return MQTT_ERR_MALFORMED;
  uint8_t ack_flags = pkt[h.header_len];
  uint8_t code = pkt[h.header_len + 1];
  if (ack_flags & 0xFE) return MQTT_ERR_MALFORMED;              // §3.2.2.1: bits 7-1 reserved
  if (code != 0 && (ack_flags & 1)) return MQTT_ERR_MALFORMED;  // §3.2.2.2
  if (out) {
    out->session_present = (ack_flags & 1) != 0;
    out->return_code = code;
  }
  return MQTT_OK;
}

int mqtt_decode_publish(const uint8_t* pkt, size_t len, MqttPublish* out) {
  MqttFixedHeader h;
  int rc = open_packet(pkt, len, MQTT_PKT_PUBLISH, -1, &h);
  if (rc < 0) return rc;
  uint8_t qos = (h.flags >> 1) & 0x03;
  bool dup = (h.flags & 0x08) != 0;
  if (qos == 3) return MQTT_ERR_MALFORMED;         // §3.3.1.2
  if (qos == 0 && dup) return MQTT_ERR_MALFORMED;  // §3.3.1.1
  const uint8_t* body = pkt + h.header_len;
  uint32_t need = 2 + (qos ? 2u : 0u);
  if (h.remaining < need) return MQTT_ERR_MALFORMED;
  uint32_t topic_len = get_u16(body);
  if (topic_len > h.remaining - need) return MQTT_ERR_MALFORMED;  // topic runs past the packet
  const char* topic = reinterpret_cast<const char*>(body + 2);
  if (!topic_name_ok(topic, topic_len)) return MQTT_ERR_MALFORMED;
  uint16_t packet_id = 0;
  if (qos) {
    packet_id = get_u16(body + 2 + topic_len);
    if (packet_id == 0) return MQTT_ERR_MALFORMED;  // §2.3.1
  }
  if (out) {
    out->topic = topic;
    out->topic_len = uint16_t(topic_len);
    out->payload = body + need + topic_len;
    out->payload_len = h.remaining - need - topic_len;
    out->packet_id = packet_id;
    out->qos = qos;
    out->retain = (h.flags & 0x01) != 0;
    out->dup = dup;
  }
  return MQTT_OK;
}

int mqtt_decode_puback(const uint8_t* pkt, size_t len, uint16_t* packet_id) {
  return decode_id_only(pkt, len, MQTT_PKT_PUBACK, packet_id);
}

int mqtt_decode_suback(const uint8_t* pkt, size_t len, MqttSuback* out) {
  MqttFixedHeader h;
  int rc = open_packet(pkt, len, MQTT_PKT_SUBACK, 0, &h);
  if (rc < 0) return rc;
  if (h.remaining < 3) return MQTT_ERR_MALFORMED;  // packet id + at least one return code
  const uint8_t* body = pkt + h.header_len;
  uint16_t id = get_u16(body);
  if (id == 0) return MQTT_ERR_MALFORMED;
  for (uint32_t i = 2; i < h.remaining; i++) {
    uint8_t c = body[i];
    if (c > 2 && c != 0x80) return MQTT_ERR_MALFORMED;  // §3.9.3
  }
  if (out) {
    out->packet_id = id;
    out->codes = body + 2;
    out->count = h.remaining - 2;
  }
  return MQTT_OK;
}

int mqtt_decode_unsuback(const uint8_t* pkt, size_t len, uint16_t* packet_id) {
  return decode_id_only(pkt, len, MQTT_PKT_UNSUBACK, packet_id);
}

int mqtt_decode_pingresp(const uint8_t* pkt, size_t len) {
  MqttFixedHeader h;
  int rc = open_packet(pkt, len, MQTT_PKT_PINGRESP, 0, &h);
  if (rc < 0) return rc;
  return h.remaining == 0 ? MQTT_OK : MQTT_ERR_MALFORMED;
}
