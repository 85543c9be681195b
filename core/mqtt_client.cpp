// core/mqtt_client.cpp — MqttClient (see mqtt_client.h): connection state, the packet buffer,
// reading packets off the Client, keepalive. Packet layouts live in mqtt_codec.cpp.
//
// Waiting is done as PubSubClient does it on the chip: poll client.available(), yield(), and
// compare millis() against a deadline — on the host each yield() parks the device's fiber.
#include "mqtt_client.h"

namespace {
const int kMaxPacketsPerLoop = 8;  // bound the work one loop() call does under a flood
}  // namespace

MqttClient::MqttClient(Client& client) : _client(client) {
  memset(&_stats, 0, sizeof _stats);
  _buf = static_cast<uint8_t*>(malloc(kBufferSize));
  if (!_buf) _state = MQTT_CONNECT_FAILED;
}

MqttClient::~MqttClient() {
  if (_buf) free(_buf);
}

MqttClient& MqttClient::setServer(const char* host, uint16_t port) {
  _host = host;
  _port = port;
  return *this;
}

MqttClient& MqttClient::setCallback(Callback cb, void* ctx) {
  _callback = cb;
  _callbackCtx = ctx;
  return *this;
}

MqttClient& MqttClient::setAckCallback(AckCallback cb, void* ctx) {
  _ackCallback = cb;
  _ackCtx = ctx;
  return *this;
}

MqttClient& MqttClient::setKeepAlive(uint16_t seconds) {
  _keepAliveS = seconds;
  return *this;
}

MqttClient& MqttClient::setSocketTimeout(uint16_t seconds) {
  _socketTimeoutS = seconds;
  return *this;
}

// ---- connection -------------------------------------------------------------------------------

bool MqttClient::connect(const char* id, const char* user, const char* pass, const char* willTopic, uint8_t willQos,
                         bool willRetain, const char* willMessage, bool cleanSession) {
  if (connected()) return true;
  if (!_buf) _buf = static_cast<uint8_t*>(malloc(kBufferSize));
  if (!_buf || !_host) {
    _state = MQTT_CONNECT_FAILED;
    return false;
  }
  if (!_client.connected() && _client.connect(_host, _port) != 1) {
    _state = MQTT_CONNECT_FAILED;
    return false;
  }

  MqttConnectOptions o;
  memset(&o, 0, sizeof o);
  o.client_id = id;
  o.user = user;
  o.pass = user ? pass : nullptr;  // PubSubClient sends a password only with a user name
  size_t willLen = (willTopic && willMessage) ? strlen(willMessage) : 0;
  if (willTopic) {
    o.will_topic = willTopic;
    o.will_message = reinterpret_cast<const uint8_t*>(willMessage);
    o.will_message_len = uint16_t(willLen);
    o.will_qos = willQos;
    o.will_retain = willRetain;
  }
  o.clean_session = cleanSession;
  o.keepalive_s = _keepAliveS;
  int n = willLen > 0xFFFFu ? int(MQTT_ERR_INVALID) : mqtt_encode_connect(_buf, kBufferSize, &o);
  if (n < 0) {
    drop(MQTT_CONNECT_FAILED);
    return false;
  }
  _state = MQTT_DISCONNECTED;  // not yet; sendPacket must not see a stale MQTT_CONNECTED
  _pingOutstanding = false;
  if (!sendPacket(_buf, n)) {
    drop(MQTT_CONNECT_FAILED);
    return false;
  }

  // As on the chip, a peer that closes instead of answering is only noticed by the timeout.
  int len = readPacket(true);
  if (len == kReadTimeout || len == kReadLost) {
    drop(MQTT_CONNECTION_TIMEOUT);
    return false;
  }
  MqttConnack ack;
  if (len < 0 || mqtt_decode_connack(_buf, size_t(len), &ack) != MQTT_OK) {
    drop(MQTT_CONNECT_FAILED);  // not a CONNACK: the peer does not speak MQTT 3.1.1
    return false;
  }
  if (ack.return_code != 0) {
    drop(ack.return_code);
    return false;
  }
  _state = MQTT_CONNECTED;
  _lastInMs = millis();
  _stats.connects++;
  return true;
}

void MqttClient::disconnect() {
  uint8_t pkt[2];
  int n = mqtt_encode_disconnect(pkt, sizeof pkt);
  if (_state == MQTT_CONNECTED && _client.connected()) sendPacket(pkt, n);
  _state = MQTT_DISCONNECTED;
  _pingOutstanding = false;
  _client.flush();
  _client.stop();
}

bool MqttClient::connected() {
  if (_client.connected()) return _state == MQTT_CONNECTED;
  if (_state == MQTT_CONNECTED) {
    _state = MQTT_CONNECTION_LOST;
    _pingOutstanding = false;
    _client.flush();
    _client.stop();
  }
  return false;
}

bool MqttClient::idle() { return connected() && _client.available() <= 0; }

uint32_t MqttClient::msUntilDue(uint32_t nowMs) const {
  if (_keepAliveS == 0) return 0xFFFFFFFFu;
  const uint32_t keepAliveMs = uint32_t(_keepAliveS) * 1000u;
  uint32_t left;
  if (_pingOutstanding) {
    const uint32_t waited = nowMs - _pingSentMs;
    left = waited >= keepAliveMs / 2 ? 0 : keepAliveMs / 2 - waited;
  } else {
    const uint32_t in = nowMs - _lastInMs, out = nowMs - _lastOutMs;
    const uint32_t silent = in > out ? in : out;
    left = silent >= keepAliveMs ? 0 : keepAliveMs - silent;
  }
  return left;
}

void MqttClient::drop(int state) {
  _state = state;
  _pingOutstanding = false;
  _client.stop();
}

// ---- sending ----------------------------------------------------------------------------------

// One Client write. A short write leaves half a packet on the wire, so the connection is over.
bool MqttClient::send(const uint8_t* data, size_t len) {
  size_t wrote = _client.write(data, len);
  _stats.bytes_out += uint32_t(wrote);
  if (wrote != len) {
    drop(MQTT_CONNECTION_LOST);
    return false;
  }
  _lastOutMs = millis();
  return true;
}

bool MqttClient::sendPacket(const uint8_t* data, int len) {
  if (len <= 0 || !send(data, size_t(len))) return false;
  _stats.packets_out++;
  return true;
}

uint16_t MqttClient::nextPacketId() {
  if (++_lastPacketId == 0) _lastPacketId = 1;
  return _lastPacketId;
}

bool MqttClient::publish(const char* topic, const uint8_t* payload, unsigned int len, bool retained, uint8_t qos) {
  if (qos > 1 || (len && !payload) || !connected()) return false;
  uint16_t id = qos ? nextPacketId() : 0;
  int n = mqtt_encode_publish_header(_buf, kBufferSize, topic, len, qos, retained, false, id);
  if (n < 0) return false;
  if (!send(_buf, size_t(n))) return false;      // record 1: header + topic
  if (len && !send(payload, len)) return false;  // record 2: payload
  _stats.packets_out++;
  _stats.publishes_out++;
  return true;
}

bool MqttClient::publish(const char* topic, const char* payload, bool retained) {
  size_t len = payload ? strlen(payload) : 0;
  return publish(topic, reinterpret_cast<const uint8_t*>(payload), (unsigned int)len, retained, 0);
}

bool MqttClient::subscribe(const char* topic, uint8_t qos) {
  if (qos > 1 || !connected()) return false;
  int n = mqtt_encode_subscribe(_buf, kBufferSize, nextPacketId(), topic, qos);
  return n > 0 && sendPacket(_buf, n);
}

bool MqttClient::unsubscribe(const char* topic) {
  if (!connected()) return false;
  int n = mqtt_encode_unsubscribe(_buf, kBufferSize, nextPacketId(), topic);
  return n > 0 && sendPacket(_buf, n);
}

// ---- receiving --------------------------------------------------------------------------------

// Waits until the Client has bytes; returns how many, or kReadTimeout when nothing came for the
// socket timeout since *sinceMs, or kReadLost when the peer closed (unless told to wait anyway).
int MqttClient::waitForBytes(uint32_t* sinceMs, bool waitThroughClose) {
  for (;;) {
    int n = _client.available();
    if (n > 0) {
      *sinceMs = millis();
      return n;
    }
    if (!waitThroughClose && !_client.connected()) return kReadLost;
    if (millis() - *sinceMs >= socketTimeoutMs()) return kReadTimeout;
    yield();
  }
}

// Reads `len` bytes into dst, or (keep == false) reads them in buffer-sized chunks into dst and
// throws them away.
int MqttClient::readBody(uint8_t* dst, uint32_t len, uint32_t* sinceMs, bool waitThroughClose, bool keep) {
  while (len > 0) {
    int avail = waitForBytes(sinceMs, waitThroughClose);
    if (avail < 0) return avail;
    uint32_t want = len < uint32_t(avail) ? len : uint32_t(avail);
    if (!keep && want > kBufferSize) want = kBufferSize;
    int got = _client.read(dst, want);
    if (got <= 0 || uint32_t(got) > want) return kReadLost;
    if (keep) dst += got;
    len -= uint32_t(got);
    _stats.bytes_in += uint32_t(got);
  }
  return 0;
}

// Reads one whole packet into _buf and returns its length; a packet larger than the buffer is
// read to its end and dropped (kReadDropped). The fixed header is read a byte at a time so that
// nothing past this packet is consumed.
int MqttClient::readPacket(bool waitThroughClose) {
  uint32_t sinceMs = millis();
  uint8_t hdr[kMqttMaxFixedHeader];
  size_t have = 0;
  MqttFixedHeader h;
  for (;;) {
    int avail = waitForBytes(&sinceMs, waitThroughClose);
    if (avail < 0) return avail;
    if (_client.read(hdr + have, 1) != 1) return kReadLost;
    have++;
    _stats.bytes_in++;
    int rc = mqtt_decode_fixed_header(hdr, have, &h);
    if (rc > 0) break;
    if (rc != MQTT_ERR_INCOMPLETE) return kReadMalformed;  // bad type, or a 5-byte length
  }
  _stats.packets_in++;
  uint32_t total = h.header_len + h.remaining;
  bool keep = total <= kBufferSize;
  if (keep) memcpy(_buf, hdr, h.header_len);
  int rc = readBody(keep ? _buf + h.header_len : _buf, h.remaining, &sinceMs, waitThroughClose, keep);
  if (rc < 0) return rc;
  if (!keep) {
    _stats.dropped_oversize++;
    return kReadDropped;
  }
  return int(total);
}

void MqttClient::handlePacket(uint32_t len) {
  uint8_t type = _buf[0] >> 4;
  if (type == MQTT_PKT_PUBLISH) {
    MqttPublish pub;
    if (mqtt_decode_publish(_buf, len, &pub) != MQTT_OK) {
      _stats.dropped_malformed++;
      return;
    }
    _stats.publishes_in++;
    uint16_t id = pub.packet_id;  // the callback may reuse _buf (publish), so keep what we need
    uint8_t qos = pub.qos;
    if (_callback) {
      // Slide the topic one byte back over its length field and terminate it in place, as
      // PubSubClient does, so the payload need not move.
      char* topic = reinterpret_cast<char*>(_buf) + (pub.topic - reinterpret_cast<const char*>(_buf)) - 1;
      memmove(topic, topic + 1, pub.topic_len);
      topic[pub.topic_len] = '\0';
      uint8_t* payload = _buf + (pub.payload - _buf);
      _callback(_callbackCtx, topic, payload, pub.payload_len);
    }
    // QoS 2 never arrives: subscribe() grants at most QoS 1.
    if (qos == 1 && _state == MQTT_CONNECTED) {
      uint8_t ack[4];
      sendPacket(ack, mqtt_encode_puback(ack, sizeof ack, id));
    }
    return;
  }
  int rc = MQTT_OK;
  switch (type) {
    case MQTT_PKT_PINGRESP:
      rc = mqtt_decode_pingresp(_buf, len);
      break;
    case MQTT_PKT_PUBACK: {
      uint16_t id = 0;
      rc = mqtt_decode_puback(_buf, len, &id);
      if (rc == MQTT_OK) {
        _stats.pubacks_in++;
        if (_ackCallback) _ackCallback(_ackCtx, id);
      }
      break;
    }
    case MQTT_PKT_SUBACK:
      rc = mqtt_decode_suback(_buf, len, nullptr);
      break;
    case MQTT_PKT_UNSUBACK:
      rc = mqtt_decode_unsuback(_buf, len, nullptr);
      break;
    default:
      break;  // nothing else is meant for a client; ignore it
  }
  if (rc != MQTT_OK) _stats.dropped_malformed++;
}

bool MqttClient::loop() {
  if (!connected()) return false;
  for (int i = 0; i < kMaxPacketsPerLoop && _client.available() > 0; i++) {
    int len = readPacket(false);
    if (len == kReadTimeout) {
      drop(MQTT_CONNECTION_TIMEOUT);  // a packet started and never finished
      return false;
    }
    if (len == kReadLost || len == kReadMalformed) {
      drop(MQTT_CONNECTION_LOST);  // closed, or framing lost: nothing after it can be trusted
      return false;
    }
    _lastInMs = millis();
    _pingOutstanding = false;  // any traffic shows the broker is there
    if (len > 0) handlePacket(uint32_t(len));
    if (_state != MQTT_CONNECTED) return false;  // the callback disconnected, or a write failed
  }

  // Keepalive: ping after keepalive of silence either way; give up when the ping is unanswered
  // for half a keepalive more (1.5 × keepalive of silence, when the broker gives up too).
  if (_keepAliveS == 0) return true;
  uint32_t now = millis();
  uint32_t keepAliveMs = uint32_t(_keepAliveS) * 1000u;
  if (_pingOutstanding) {
    if (now - _pingSentMs >= keepAliveMs / 2) {
      drop(MQTT_CONNECTION_TIMEOUT);
      return false;
    }
  } else if (now - _lastInMs >= keepAliveMs || now - _lastOutMs >= keepAliveMs) {
    uint8_t ping[2];
    if (!sendPacket(ping, mqtt_encode_pingreq(ping, sizeof ping))) return false;
    _stats.pings_out++;
    _pingOutstanding = true;
    _pingSentMs = now;
  }
  return true;
}
