// core/app.h — the Tasmota-like application: settings from flash, MQTT over TLS with LWT,
// telemetry every TelePeriod, commands on cmnd/<topic>/#, Tasmota's reconnect back-off.
#pragma once
#include <Arduino.h>
#include <WiFiClient.h>
#include <bearssl/bearssl.h>

#include "firmware_entry.h"
#include "heap_workload.h"
#include "mqtt_client.h"
#include "settings.h"
#include "tls_client.h"

class TasmotaApp {
 public:
  TasmotaApp();
  bool setup();
  void loop();

 private:
  bool loadSettings();
  bool loadTls();
  void loadAnchors(size_t caLen);
  void saveSettings();
  void configureTls();
  void learnFingerprints();
  bool commandFingerprint(int slot, const char* arg, char* reply, size_t n);
  bool commandOption(const char* cmd, const char* arg, char* reply, size_t n);
  void statusReply(char* reply, size_t n);
  bool commandCrash(const char* arg, char* reply, size_t n);
  void crash(uint8_t how);
  void mqttReconnect();
  void mqttConnected();
  void publishState();
  void publish(const char* prefix, const char* suffix, const char* payload, bool retained);
  void onMessage(char* topic, uint8_t* payload, unsigned int len);
  static void onMessageThunk(void* ctx, char* topic, uint8_t* payload, unsigned int len);
  static void onAckThunk(void* ctx, uint16_t packetId);
  void uptime(char* out, size_t n);
  // Milliseconds until loop() has work of its own (telemetry, keepalive, heap workload, a
  // restart); 0 when it has now or is not connected.
  uint32_t msUntilDue();

  DeviceSettings _cfg;
  char _clientId[16];
  char _topic[24];
  // Client certificate (TLSKey1/TLSKey2) and the trust anchors, on the heap: the CA
  // certificates in flash, then the built-in roots the settings select (loadAnchors).
  br_x509_trust_anchor* _tas = nullptr;
  size_t _taCount = 0;
  br_x509_certificate _cert;
  br_ec_private_key _key;
  uint8_t _keyBytes[32];

  WiFiClient* _tcp = nullptr;
  TlsClient* _tls = nullptr;
  MqttClient* _mqtt = nullptr;
  HeapWorkload* _heap = nullptr;  // boot footprint and background allocations, when configured

  uint32_t _bootMs = 0;
  uint32_t _nextRetryMs = 0;
  uint32_t _nextTeleMs = 0;
  uint16_t _retryCount = 0;
  uint16_t _mqttCount = 0;
  bool _wasConnected = false;
  bool _restartPending = false;
  uint8_t _crashPending = 0;        // Crash 1..3, done in loop() once the reply is out
  bool _learn[2] = {false, false};  // slots learning on this connect
};
