// core/mqtt_client.h — the firmware's MQTT 3.1.1 client, in the manner of PubSubClient as Tasmota
// uses it: one 1200-byte packet buffer, QoS 0/1, keepalive pings, blocking CONNACK wait bounded by
// the socket timeout, inbound packets too large for the buffer read and dropped. Runs over any
// Arduino Client (TlsClient or WiFiClient). Packet bytes come from core/mqtt_codec.h.
#pragma once
#include <Arduino.h>
#include <Client.h>

#include "mqtt_codec.h"

// state() values — the same numbers as PubSubClient's, so logs read the same as a real device's.
enum MqttState : int {
  MQTT_CONNECTION_TIMEOUT = -4,  // no CONNACK / PINGRESP / rest of a packet in time
  MQTT_CONNECTION_LOST = -3,     // the network connection broke
  MQTT_CONNECT_FAILED = -2,      // TCP/TLS connect failed (or no packet buffer)
  MQTT_DISCONNECTED = -1,        // never connected, or disconnect() was called
  MQTT_CONNECTED = 0,
  MQTT_CONNECT_BAD_PROTOCOL = 1,  // 1..5: the CONNACK return code of a refused connection
  MQTT_CONNECT_BAD_CLIENT_ID = 2,
  MQTT_CONNECT_UNAVAILABLE = 3,
  MQTT_CONNECT_BAD_CREDENTIALS = 4,
  MQTT_CONNECT_UNAUTHORIZED = 5,
};

// Counters over the client's lifetime (all connections).
struct MqttStats {
  uint32_t packets_in;  // every inbound packet framed, dropped ones included
  uint32_t packets_out;
  uint32_t bytes_in;
  uint32_t bytes_out;
  uint32_t publishes_in;  // delivered to the callback (or to nobody if none is set)
  uint32_t publishes_out;
  uint32_t pubacks_in;  // for our QoS 1 publishes
  uint32_t pings_out;
  uint32_t dropped_oversize;   // inbound packets larger than the buffer, read and discarded
  uint32_t dropped_malformed;  // well-framed inbound packets whose contents were invalid
  uint32_t connects;           // accepted CONNACKs
};

class MqttClient {
 public:
  typedef void (*Callback)(void* ctx, char* topic, uint8_t* payload, unsigned int len);
  // Called from loop() for each PUBACK of one of our QoS 1 publishes, with its packet id.
  typedef void (*AckCallback)(void* ctx, uint16_t packetId);

  static constexpr uint16_t kBufferSize = 1200;  // Tasmota's MQTT_MAX_PACKET_SIZE
  static constexpr uint16_t kDefaultKeepAliveS = 30;
  static constexpr uint16_t kDefaultSocketTimeoutS = 4;

  // Allocates the packet buffer; if that fails, state() is MQTT_CONNECT_FAILED and connect()
  // tries again.
  explicit MqttClient(Client& client);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // `host` is kept by pointer (as PubSubClient does) and must outlive the client.
  MqttClient& setServer(const char* host, uint16_t port);
  // Called from loop() for each PUBLISH. `topic` is NUL-terminated; both point into the packet
  // buffer and are valid only until the callback publishes or returns.
  MqttClient& setCallback(Callback cb, void* ctx);
  MqttClient& setAckCallback(AckCallback cb, void* ctx);
  MqttClient& setKeepAlive(uint16_t seconds);  // 0 = no pings
  MqttClient& setSocketTimeout(uint16_t seconds);

  // Connects the Client if needed, sends CONNECT and waits up to the socket timeout for CONNACK.
  // A password is sent only with a user name. Already connected → true at once.
  bool connect(const char* id, const char* user = nullptr, const char* pass = nullptr, const char* willTopic = nullptr,
               uint8_t willQos = 0, bool willRetain = false, const char* willMessage = nullptr,
               bool cleanSession = true);
  // Sends DISCONNECT and closes the Client; state() becomes MQTT_DISCONNECTED.
  void disconnect();

  // Two Client writes: fixed header + topic (+ packet id), then the payload. QoS 0 or 1; a QoS 1
  // publish is not retried, after a reconnect either (its PUBACK is counted and reported to the
  // ack callback); lastPacketId() is the id it went with.
  bool publish(const char* topic, const uint8_t* payload, unsigned int len, bool retained = false, uint8_t qos = 0);
  bool publish(const char* topic, const char* payload, bool retained = false);
  bool subscribe(const char* topic, uint8_t qos = 0);  // qos 0 or 1
  bool unsubscribe(const char* topic);

  // Handles the packets already arriving (up to 8 per call; the rest of a started packet is waited
  // for up to the socket timeout), answers QoS 1 with PUBACK, sends PINGREQ after keepalive of
  // silence either way and drops the connection (MQTT_CONNECTION_TIMEOUT) when nothing answers it
  // within keepalive/2, i.e. 1.5 x keepalive of inbound silence. False if not connected.
  bool loop();
  bool connected();
  // Connected and nothing to read: what an idle wait (esp_delay) waits on.
  bool idle();
  // Milliseconds from `nowMs` until loop() has keepalive work (a PINGREQ to send, or an unanswered
  // one to give up on); 0 when it has now, 0xFFFFFFFF without keepalive.
  uint32_t msUntilDue(uint32_t nowMs) const;
  int state() const { return _state; }
  uint16_t lastPacketId() const { return _lastPacketId; }
  const MqttStats& stats() const { return _stats; }
  bool hasBuffer() const { return _buf != nullptr; }

 private:
  // Outcome of reading one packet: >= 0 is the packet's length in _buf.
  enum ReadResult : int { kReadDropped = -1, kReadTimeout = -2, kReadLost = -3, kReadMalformed = -4 };

  int readPacket(bool waitThroughClose);
  int waitForBytes(uint32_t* sinceMs, bool waitThroughClose);
  int readBody(uint8_t* dst, uint32_t len, uint32_t* sinceMs, bool waitThroughClose, bool keep);
  void handlePacket(uint32_t len);
  bool send(const uint8_t* data, size_t len);
  bool sendPacket(const uint8_t* data, int len);
  void drop(int state);
  uint16_t nextPacketId();
  uint32_t socketTimeoutMs() const { return uint32_t(_socketTimeoutS) * 1000u; }

  Client& _client;
  uint8_t* _buf = nullptr;
  const char* _host = nullptr;
  uint16_t _port = 1883;
  Callback _callback = nullptr;
  void* _callbackCtx = nullptr;
  AckCallback _ackCallback = nullptr;
  void* _ackCtx = nullptr;
  uint16_t _keepAliveS = kDefaultKeepAliveS;
  uint16_t _socketTimeoutS = kDefaultSocketTimeoutS;
  uint16_t _lastPacketId = 0;
  int _state = MQTT_DISCONNECTED;
  bool _pingOutstanding = false;
  uint32_t _lastInMs = 0;
  uint32_t _lastOutMs = 0;
  uint32_t _pingSentMs = 0;
  MqttStats _stats;
};
