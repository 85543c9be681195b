// TinyMqtt.cpp — packets built in the object's buffer: 1 byte of type, the remaining length
// (one byte here: packets stay below 128 bytes of body), then the body.
#include "TinyMqtt.h"

namespace {
const uint16_t kKeepAliveS = 15;
const unsigned long kTimeoutMs = 5000;
}  // namespace

uint16_t TinyMqtt::putString(uint16_t at, const char* s) {
  const uint16_t n = uint16_t(strlen(s));
  _buffer[at++] = uint8_t(n >> 8);
  _buffer[at++] = uint8_t(n & 0xff);
  memcpy(_buffer + at, s, n);
  return uint16_t(at + n);
}

bool TinyMqtt::sendPacket(uint16_t length) {
  if (_client->write(_buffer, length) != length) return false;
  _lastOut = millis();
  return true;
}

int TinyMqtt::readByteWithin(unsigned long deadline) {
  while (!_client->available()) {
    if (!_client->connected() || (long)(millis() - deadline) >= 0) return -1;
  }
  return _client->read();
}

bool TinyMqtt::readPacket(uint16_t* length, unsigned long timeoutMs) {
  const unsigned long deadline = millis() + timeoutMs;
  int type = readByteWithin(deadline);
  if (type < 0) return false;
  uint32_t remaining = 0, shift = 0;
  for (;;) {
    int b = readByteWithin(deadline);
    if (b < 0) return false;
    remaining |= uint32_t(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (remaining + 1 > kBufferSize) return false;
  _buffer[0] = uint8_t(type);
  for (uint32_t i = 0; i < remaining; ++i) {
    int b = readByteWithin(deadline);
    if (b < 0) return false;
    _buffer[1 + i] = uint8_t(b);
  }
  *length = uint16_t(remaining);
  _lastIn = millis();
  return true;
}

bool TinyMqtt::connect(const char* clientId) {
  if (!_client->connect(_host, _port)) {
    _state = -2;
    return false;
  }
  uint16_t at = 2;
  at = putString(at, "MQTT");
  _buffer[at++] = 4;     // protocol level 3.1.1
  _buffer[at++] = 0x02;  // clean session
  _buffer[at++] = 0;
  _buffer[at++] = kKeepAliveS;
  at = putString(at, clientId);
  _buffer[0] = 0x10;
  _buffer[1] = uint8_t(at - 2);
  uint16_t len = 0;
  if (!sendPacket(at) || !readPacket(&len, kTimeoutMs) || (_buffer[0] & 0xf0) != 0x20 || len != 2) {
    _state = -4;
    _client->stop();
    return false;
  }
  _state = _buffer[2];  // the CONNACK's return code (the body starts at _buffer[1])
  if (_state != 0) _client->stop();
  _pingOutstanding = false;
  return _state == 0;
}

bool TinyMqtt::connected() {
  if (_state == 0 && !_client->connected()) _state = -3;
  return _state == 0;
}

bool TinyMqtt::publish(const char* topic, const char* payload) {
  if (!connected()) return false;
  uint16_t at = putString(2, topic);
  const uint16_t n = uint16_t(strlen(payload));
  if (at + n > kBufferSize || at + n - 2 > 127) return false;
  memcpy(_buffer + at, payload, n);
  at = uint16_t(at + n);
  _buffer[0] = 0x30;
  _buffer[1] = uint8_t(at - 2);
  return sendPacket(at);
}

bool TinyMqtt::subscribe(const char* topic) {
  if (!connected()) return false;
  uint16_t at = 2;
  const uint16_t id = _nextId++;
  _buffer[at++] = uint8_t(id >> 8);
  _buffer[at++] = uint8_t(id & 0xff);
  at = putString(at, topic);
  _buffer[at++] = 0;  // QoS 0
  _buffer[0] = 0x82;
  _buffer[1] = uint8_t(at - 2);
  return sendPacket(at);
}

bool TinyMqtt::loop() {
  if (!connected()) return false;
  const unsigned long now = millis();
  if (now - _lastOut > kKeepAliveS * 1000UL || now - _lastIn > kKeepAliveS * 1000UL) {
    if (_pingOutstanding) {
      _state = -4;
      _client->stop();
      return false;
    }
    _buffer[0] = 0xc0;
    _buffer[1] = 0;
    sendPacket(2);
    _lastIn = now;  // the answer has a keepalive period to come
    _pingOutstanding = true;
  }
  while (_client->available()) {
    uint16_t len = 0;
    if (!readPacket(&len, kTimeoutMs)) return false;
    const uint8_t type = _buffer[0] & 0xf0;
    if (type == 0xd0) _pingOutstanding = false;
    if (type == 0x30 && _callback && len >= 2) {
      // The body starts at _buffer[1]: the topic's length, the topic, the payload.
      const uint16_t tlen = uint16_t(_buffer[1] << 8 | _buffer[2]);
      if (2u + tlen > len) return false;
      char topic[96];
      const uint16_t tn = tlen < sizeof topic - 1 ? tlen : uint16_t(sizeof topic - 1);
      memcpy(topic, _buffer + 3, tn);
      topic[tn] = 0;
      _callback(topic, _buffer + 3 + tlen, unsigned(len - 2 - tlen));
    }
  }
  return true;
}
