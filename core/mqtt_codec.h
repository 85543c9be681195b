// core/mqtt_codec.h — MQTT 3.1.1 packets to and from caller-supplied byte buffers.
//
// Pure functions: no I/O, no allocation, no state. Encoders return the number of bytes written
// (> 0) or a negative MqttCodecError, and never write past `cap`. Decoders take exactly one whole
// packet (fixed header included), fill an output struct that points into that packet, and return
// MQTT_OK or an error; malformed input is an error, never a crash. Used by core/mqtt_client.cpp.
#pragma once
#include <stddef.h>
#include <stdint.h>

// Control packet types (high nibble of the first byte).
enum MqttPacketType : uint8_t {
  MQTT_PKT_CONNECT = 1,
  MQTT_PKT_CONNACK = 2,
  MQTT_PKT_PUBLISH = 3,
  MQTT_PKT_PUBACK = 4,
  MQTT_PKT_PUBREC = 5,
  MQTT_PKT_PUBREL = 6,
  MQTT_PKT_PUBCOMP = 7,
  MQTT_PKT_SUBSCRIBE = 8,
  MQTT_PKT_SUBACK = 9,
  MQTT_PKT_UNSUBSCRIBE = 10,
  MQTT_PKT_UNSUBACK = 11,
  MQTT_PKT_PINGREQ = 12,
  MQTT_PKT_PINGRESP = 13,
  MQTT_PKT_DISCONNECT = 14,
};

enum MqttCodecError : int {
  MQTT_OK = 0,
  MQTT_ERR_NO_SPACE = -1,    // the output buffer is too small
  MQTT_ERR_INCOMPLETE = -2,  // the input ends before the item does (read more bytes)
  MQTT_ERR_MALFORMED = -3,   // the input breaks the protocol: lengths, flags, type, contents
  MQTT_ERR_INVALID = -4,     // an argument cannot be encoded (QoS, string > 65535 B, NULL...)
};

static const uint32_t kMqttMaxRemainingLength = 268435455u;  // 0xFF 0xFF 0xFF 0x7F
static const size_t kMqttMaxFixedHeader = 5;                 // type byte + 4 length bytes

// The fixed header at the start of every packet.
struct MqttFixedHeader {
  uint8_t type;        // MqttPacketType
  uint8_t flags;       // low nibble of the first byte
  uint32_t remaining;  // bytes after the fixed header
  uint8_t header_len;  // 2..5
};

// Everything CONNECT carries. Strings are NUL-terminated; NULL means "absent".
struct MqttConnectOptions {
  const char* client_id;        // required ("" is allowed by the codec)
  const char* user;             // NULL: no user name
  const char* pass;             // NULL: no password; needs `user` (3.1.1 §3.1.2.9)
  const char* will_topic;       // NULL: no will
  const uint8_t* will_message;  // may be NULL with will_message_len 0
  uint16_t will_message_len;
  uint8_t will_qos;  // 0..2
  bool will_retain;
  bool clean_session;
  uint16_t keepalive_s;
};

struct MqttConnack {
  bool session_present;
  uint8_t return_code;  // 0 accepted, 1..5 refused (3.1.1 §3.2.2.3)
};

// A decoded PUBLISH. `topic` and `payload` point into the packet; the topic is NOT terminated.
struct MqttPublish {
  const char* topic;
  uint16_t topic_len;
  const uint8_t* payload;
  uint32_t payload_len;
  uint16_t packet_id;  // 0 for QoS 0
  uint8_t qos;
  bool retain;
  bool dup;
};

struct MqttSuback {
  uint16_t packet_id;
  const uint8_t* codes;  // one per topic filter: granted QoS 0..2, or 0x80 = failure
  uint32_t count;
};

// Remaining length (3.1.1 §2.2.3): 1..4 bytes, 7 bits each, least significant first.
size_t mqtt_remaining_length_size(uint32_t value);  // 1..4, or 0 if value is too large
int mqtt_encode_remaining_length(uint8_t* out, size_t cap, uint32_t value);
// Returns the bytes used (1..4); MQTT_ERR_INCOMPLETE if `len` ends inside the field;
// MQTT_ERR_MALFORMED if a 4th byte still has its continuation bit.
int mqtt_decode_remaining_length(const uint8_t* in, size_t len, uint32_t* value);
// Returns header_len, or INCOMPLETE / MALFORMED (type 0 or 15 is malformed).
int mqtt_decode_fixed_header(const uint8_t* in, size_t len, MqttFixedHeader* h);

// Encoders.
int mqtt_encode_connect(uint8_t* out, size_t cap, const MqttConnectOptions* o);
// Writes PUBLISH's fixed header, topic and (QoS 1/2) packet id — everything before the payload.
// The remaining length written accounts for `payload_len` bytes the caller sends after it.
int mqtt_encode_publish_header(uint8_t* out, size_t cap, const char* topic, uint32_t payload_len, uint8_t qos,
                               bool retain, bool dup, uint16_t packet_id);
int mqtt_encode_puback(uint8_t* out, size_t cap, uint16_t packet_id);
int mqtt_encode_subscribe(uint8_t* out, size_t cap, uint16_t packet_id, const char* topic, uint8_t qos);
int mqtt_encode_unsubscribe(uint8_t* out, size_t cap, uint16_t packet_id, const char* topic);
int mqtt_encode_pingreq(uint8_t* out, size_t cap);
int mqtt_encode_disconnect(uint8_t* out, size_t cap);

// Decoders: `pkt`/`len` is exactly one packet. Shorter → INCOMPLETE; longer, wrong type,
// wrong reserved flags or inconsistent lengths → MALFORMED.
int mqtt_decode_connack(const uint8_t* pkt, size_t len, MqttConnack* out);
int mqtt_decode_publish(const uint8_t* pkt, size_t len, MqttPublish* out);
int mqtt_decode_puback(const uint8_t* pkt, size_t len, uint16_t* packet_id);
int mqtt_decode_suback(const uint8_t* pkt, size_t len, MqttSuback* out);
int mqtt_decode_unsuback(const uint8_t* pkt, size_t len, uint16_t* packet_id);
int mqtt_decode_pingresp(const uint8_t* pkt, size_t len);
