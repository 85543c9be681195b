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

// MqttFingerprint1/2 <data> as Tasmota's CmndMqttFingerprint (xdrv_02_9_mqtt.ino) takes it:
// data is the argument, len its length once leading whitespace is skipped (CommandHandler).
// 1..59 characters: "0" or "\"" clears the slot (all 00), "1" sets its default
// (kDefaultFingerprint: Tasmota's MQTT_FINGERPRINT1/2), anything else is read as 20 bytes with
// successive strtol(p, &p, 16) calls — a colon or any other non-hex character stops the parse,
// so "AA:BB:…" stores AA 00 00 …, and fewer than 20 numbers leave zeros. Returns true and sets
// fp (20 bytes) then; false, fp untouched, for an empty argument (a query) or one of 60
// characters or more (ignored).
static const size_t kFingerprintArgMax = 60;  // Tasmota's char fingerprint[60]
extern const uint8_t kDefaultFingerprint[2][kFingerprintLen];
bool mqttFingerprintArg(const char* data, size_t len, int slot, uint8_t* fp);

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
  bool commandFingerprint(int slot, const char* arg, size_t len, char* reply, size_t n);
  bool commandOption(const char* cmd, const char* arg, char* reply, size_t n);
  void statusReply(char* reply, size_t n);
  bool commandCrash(const char* arg, char* reply, size_t n);
  void crash(uint8_t how);
  [[noreturn]] void hang(bool spin);
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
