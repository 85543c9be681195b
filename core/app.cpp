// core/app.cpp — the Tasmota-like application. Log lines follow Tasmota's ("MQT: ...",
// "TLS: ..."): they are what a user reads on the serial console, and what the host's run
// report is built from.
#include "app.h"

#include <Esp.h>
#include <StackThunk.h>

#include "trust_anchor.h"

namespace {
const uint32_t kLoopSleepMs = 50;       // Tasmota's default (dynamic) sleep
const uint32_t kRetryAfterDropMs = 1000;
const uint16_t kRetryStepS = 10;        // 10, 20, … 120 s after repeated failures; no jitter
const uint16_t kRetryMaxS = 120;
}  // namespace

TasmotaApp::TasmotaApp() {
  memset(&_cfg, 0, sizeof _cfg);
  memset(&_ta, 0, sizeof _ta);
  memset(&_cert, 0, sizeof _cert);
  memset(&_key, 0, sizeof _key);
  _clientId[0] = _topic[0] = 0;
}

bool TasmotaApp::loadSettings() {
  if (!ESP.flashRead(kSettingsFlashAddr, reinterpret_cast<uint32_t*>(&_cfg), sizeof _cfg)) return false;
  return _cfg.magic == kSettingsMagic && _cfg.version == kSettingsVersion;
}

bool TasmotaApp::loadTls() {
  TlsSettings hdr;
  const size_t hdrLen = offsetof(TlsSettings, key);
  if (!ESP.flashRead(kTlsFlashAddr, reinterpret_cast<uint32_t*>(&hdr), hdrLen)) return false;
  if (hdr.magic != kSettingsMagic) return false;
  if (_cfg.client_cert && hdr.key_len == 32 && hdr.cert_len > 0 && hdr.cert_len <= sizeof hdr.cert) {
    ESP.flashRead(kTlsFlashAddr + offsetof(TlsSettings, key), reinterpret_cast<uint32_t*>(_keyBytes), 32);
    uint32_t len4 = (hdr.cert_len + 3u) & ~3u;
    uint8_t* der = static_cast<uint8_t*>(malloc(len4));
    if (!der) return false;
    ESP.flashRead(kTlsFlashAddr + offsetof(TlsSettings, cert), reinterpret_cast<uint32_t*>(der), len4);
    _cert.data = der;
    _cert.data_len = hdr.cert_len;
    _key.curve = BR_EC_secp256r1;
    _key.x = _keyBytes;
    _key.xlen = 32;
  }
  if (hdr.ca_len > 0 && hdr.ca_len <= sizeof hdr.ca) {
    uint32_t len4 = (hdr.ca_len + 3u) & ~3u;
    uint8_t* der = static_cast<uint8_t*>(malloc(len4));
    if (!der) return false;
    ESP.flashRead(kTlsFlashAddr + offsetof(TlsSettings, ca), reinterpret_cast<uint32_t*>(der), len4);
    _haveTa = trust_anchor_from_der(der, hdr.ca_len, &_ta);
    free(der);
    if (!_haveTa) Serial.printf("TLS: trust anchor in flash is not a valid certificate\n");
  }
  return true;
}

bool TasmotaApp::setup() {
  Serial.begin(115200);
  _bootMs = millis();
  uint32_t chip = ESP.getChipId();
  snprintf(_clientId, sizeof _clientId, "DVES_%06X", (unsigned)(chip & 0xFFFFFF));
  snprintf(_topic, sizeof _topic, "tasmota_%06X", (unsigned)(chip & 0xFFFFFF));
  if (!loadSettings()) {
    Serial.printf("APP: no settings in flash, halting\n");
    return false;
  }
  if (_cfg.tls_enabled && !loadTls()) Serial.printf("TLS: no keys in flash\n");

  _tcp = new WiFiClient();
  Client* net = _tcp;
  if (_cfg.tls_enabled) {
    _tls = new TlsClient(*_tcp);
    if (_haveTa) _tls->setTrustAnchors(&_ta, 1);
    if (_cert.data) _tls->setClientECCert(&_cert, &_key);
    _tls->setEcdsa(_cfg.ecdsa != 0);
    _tls->setThunkSize(_cfg.thunk_size);
    _tls->setUtcTime(_cfg.utc_at_boot);
    net = _tls;
  }
  _mqtt = new MqttClient(*net);
  _mqtt->setServer(_cfg.mqtt_host, _cfg.mqtt_port);
  _mqtt->setCallback(&TasmotaApp::onMessageThunk, this);
  _mqtt->setKeepAlive(_cfg.mqtt_keepalive ? _cfg.mqtt_keepalive : 30);
  _mqtt->setSocketTimeout(4);
  Serial.printf("APP: Boot, chip %06X, %u MHz, heap %u, topic %s\n", (unsigned)(chip & 0xFFFFFF),
                (unsigned)ESP.getCpuFreqMHz(), (unsigned)ESP.getFreeHeap(), _topic);
  _nextRetryMs = millis();
  return true;
}

void TasmotaApp::publish(const char* prefix, const char* suffix, const char* payload, bool retained) {
  char topic[64];
  snprintf(topic, sizeof topic, "%s/%s/%s", prefix, _topic, suffix);
  if (_mqtt->publish(topic, reinterpret_cast<const uint8_t*>(payload), strlen(payload), retained))
    Serial.printf("MQT: %s = %s\n", topic, payload);
}

void TasmotaApp::mqttReconnect() {
  Serial.printf("MQT: Attempting connection...\n");
  char will[64];
  snprintf(will, sizeof will, "tele/%s/LWT", _topic);
  bool ok = _mqtt->connect(_clientId, nullptr, nullptr, will, 1, true, "Offline", true);
  if (_tls && (ok || _tls->lastError() == 0) && _tls->handshakeMs())
    Serial.printf("TLS: connected in %u ms, max ThunkStack used %u\n", (unsigned)_tls->handshakeMs(),
                  (unsigned)stack_thunk_light_get_max_usage());
  if (ok) {
    mqttConnected();
    return;
  }
  int tlsErr = _tls ? _tls->lastError() : 0;
  if (_retryCount < kRetryMaxS / kRetryStepS) _retryCount++;
  uint16_t delayS = (uint16_t)(_retryCount * kRetryStepS);
  Serial.printf("MQT: Connect failed to %s:%u, rc %d, tls %d. Retry in %u sec\n", _cfg.mqtt_host,
                (unsigned)_cfg.mqtt_port, _mqtt->state(), tlsErr, (unsigned)delayS);
  if (_tls) _tls->stop();
  else _tcp->stop();
  _nextRetryMs = millis() + delayS * 1000u;
}

void TasmotaApp::mqttConnected() {
  _mqttCount++;
  _retryCount = 0;
  _wasConnected = true;
  Serial.printf("MQT: Connected\n");
  publish("tele", "LWT", "Online", true);
  char sub[64];
  snprintf(sub, sizeof sub, "cmnd/%s/#", _topic);
  _mqtt->subscribe(sub, 0);
  _nextTeleMs = millis() + _cfg.tele_period * 1000u;
}

void TasmotaApp::uptime(char* out, size_t n) {
  uint32_t s = (millis() - _bootMs) / 1000;
  snprintf(out, n, "%uT%02u:%02u:%02u", (unsigned)(s / 86400), (unsigned)(s / 3600 % 24),
           (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

void TasmotaApp::publishState() {
  char up[24];
  uptime(up, sizeof up);
  char payload[192];
  snprintf(payload, sizeof payload,
           "{\"Uptime\":\"%s\",\"UptimeSec\":%u,\"Heap\":%u,\"MaxBlock\":%u,\"Frag\":%u,\"MqttCount\":%u}", up,
           (unsigned)((millis() - _bootMs) / 1000), (unsigned)(ESP.getFreeHeap() / 1024),
           (unsigned)ESP.getMaxFreeBlockSize(), (unsigned)ESP.getHeapFragmentation(), (unsigned)_mqttCount);
  publish("tele", "STATE", payload, false);
}

void TasmotaApp::onMessageThunk(void* ctx, char* topic, uint8_t* payload, unsigned int len) {
  static_cast<TasmotaApp*>(ctx)->onMessage(topic, payload, len);
}

void TasmotaApp::onMessage(char* topic, uint8_t* payload, unsigned int len) {
  const char* cmd = strrchr(topic, '/');
  cmd = cmd ? cmd + 1 : topic;
  char arg[32];
  size_t n = len < sizeof arg - 1 ? len : sizeof arg - 1;
  memcpy(arg, payload, n);
  arg[n] = 0;
  Serial.printf("MQT: received %s = %s\n", topic, arg);
  char reply[160];
  if (strcasecmp(cmd, "TelePeriod") == 0) {
    if (n) {
      long v = atol(arg);
      _cfg.tele_period = (uint16_t)(v < 10 ? 10 : (v > 3600 ? 3600 : v));
      _nextTeleMs = millis() + _cfg.tele_period * 1000u;
    }
    snprintf(reply, sizeof reply, "{\"TelePeriod\":%u}", (unsigned)_cfg.tele_period);
  } else if (strcasecmp(cmd, "Status") == 0) {
    snprintf(reply, sizeof reply, "{\"StatusMEM\":{\"Heap\":%u,\"MaxBlock\":%u,\"Frag\":%u},\"TLS\":%u}",
             (unsigned)ESP.getFreeHeap(), (unsigned)ESP.getMaxFreeBlockSize(),
             (unsigned)ESP.getHeapFragmentation(), (unsigned)_cfg.tls_enabled);
  } else if (strcasecmp(cmd, "Restart") == 0) {
    snprintf(reply, sizeof reply, "{\"Restart\":\"Restarting\"}");
    _restartPending = true;
  } else {
    snprintf(reply, sizeof reply, "{\"Command\":\"Unknown\"}");
  }
  publish("stat", "RESULT", reply, false);
}

void TasmotaApp::loop() {
  if (_mqtt->connected()) {
    _mqtt->loop();
    if ((int32_t)(millis() - _nextTeleMs) >= 0) {
      publishState();
      _nextTeleMs = millis() + _cfg.tele_period * 1000u;
    }
  } else {
    if (_wasConnected) {
      Serial.printf("MQT: Disconnected, rc %d\n", _mqtt->state());
      _wasConnected = false;
      _retryCount = 0;
      if (_tls) _tls->stop();
      else _tcp->stop();
      _nextRetryMs = millis() + kRetryAfterDropMs;
    }
    if ((int32_t)(millis() - _nextRetryMs) >= 0) mqttReconnect();
  }
  if (_restartPending) {
    delay(100);
    ESP.restart();
  }
  delay(kLoopSleepMs);
}

void tasmota_main() {
  TasmotaApp* app = new TasmotaApp();
  if (!app->setup()) {
    for (;;) delay(1000);
  }
  for (;;) app->loop();
}
