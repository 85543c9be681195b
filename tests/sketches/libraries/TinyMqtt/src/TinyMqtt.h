// TinyMqtt — a small MQTT 3.1.1 client over any Arduino Client, written for espfleet's tests in
// the manner of the published Arduino MQTT libraries: a fixed packet buffer inside the object,
// blocking connect, QoS 0 publish and subscribe, a callback for what arrives, keepalive in loop().
#pragma once
#include <Arduino.h>
#include <Client.h>

class TinyMqtt {
 public:
  typedef void (*Callback)(char* topic, uint8_t* payload, unsigned int length);
  static const uint16_t kBufferSize = 256;

  explicit TinyMqtt(Client& client) : _client(&client) {}
  TinyMqtt& setServer(const char* host, uint16_t port) {
    _host = host;
    _port = port;
    return *this;
  }
  TinyMqtt& setCallback(Callback cb) {
    _callback = cb;
    return *this;
  }
  bool connect(const char* clientId);
  bool connected();
  bool publish(const char* topic, const char* payload);
  bool subscribe(const char* topic);
  bool loop();
  int state() const { return _state; }

 private:
  bool sendPacket(uint16_t length);
  bool readPacket(uint16_t* length, unsigned long timeoutMs);
  int readByteWithin(unsigned long deadline);
  uint16_t putString(uint16_t at, const char* s);

  Client* _client;
  const char* _host = nullptr;
  uint16_t _port = 1883;
  Callback _callback = nullptr;
  uint8_t _buffer[kBufferSize];
  uint16_t _nextId = 1;
  unsigned long _lastOut = 0, _lastIn = 0;
  bool _pingOutstanding = false;
  int _state = -1;  // -1 disconnected, 0 connected, -4 timeout, 1..5 CONNACK refusals
};
