// core/app.cpp — the Tasmota-like application. Log lines follow Tasmota's ("MQT: ...",
// "TLS: ..."): they are what a user reads on the serial console, and what the host's run
// report is built from.
#include "app.h"

#include <coredecls.h>

#include <Esp.h>
#include <StackThunk.h>

#include "builtin_anchors.h"
#include "trust_anchor.h"
#include "x509_checks.h"

namespace {
const uint32_t kLoopSleepMs = 50;  // Tasmota's default (dynamic) sleep
const uint32_t kRetryAfterDropMs = 1000;
const uint16_t kRetryStepS = 10;  // 10, 20, … 120 s after repeated failures; no jitter
const uint16_t kRetryMaxS = 120;
}  // namespace

TasmotaApp::TasmotaApp() {
  memset(&_cfg, 0, sizeof _cfg);
  memset(&_cert, 0, sizeof _cert);
  memset(&_key, 0, sizeof _key);
  _clientId[0] = _topic[0] = 0;
}

bool TasmotaApp::loadSettings() {
  if (!ESP.flashRead(kSettingsFlashAddr, reinterpret_cast<uint32_t*>(&_cfg), sizeof _cfg)) return false;
  return _cfg.magic == kSettingsMagic && _cfg.version == kSettingsVersion;
}

void TasmotaApp::saveSettings() {
  // Settings live in sector 0; erase it and write the whole record back (as SettingsSave).
  if (!ESP.flashEraseSector(kSettingsFlashAddr / 4096) ||
      !ESP.flashWrite(kSettingsFlashAddr, reinterpret_cast<const uint32_t*>(&_cfg), sizeof _cfg))
    Serial.printf("APP: settings not saved (flash write failed)\n");
}

namespace {
void formatFingerprint(const uint8_t* fp, char* out, size_t n) {
  size_t pos = 0;
  out[0] = 0;
  for (size_t i = 0; i < kFingerprintLen && pos + 3 < n; ++i)
    pos += (size_t)snprintf(out + pos, n - pos, i ? " %02X" : "%02X", fp[i]);
}

// 20 hex bytes separated by spaces or colons; a lone "0" means all zeros (learn). Returns false
// (and leaves out alone) for anything else.
bool parseFingerprint(const char* text, uint8_t* out) {
  uint8_t fp[kFingerprintLen];
  size_t count = 0;
  const char* p = text;
  for (;;) {
    while (*p == ' ' || *p == ':' || *p == '\t') ++p;
    if (!*p) break;
    char* end = nullptr;
    unsigned long v = strtoul(p, &end, 16);
    if (end == p || end - p > 2 || v > 0xFF || count == kFingerprintLen) return false;
    if (*end && *end != ' ' && *end != ':' && *end != '\t') return false;
    fp[count++] = (uint8_t)v;
    p = end;
  }
  if (count == 1 && fp[0] == 0) {
    memset(out, 0, kFingerprintLen);
    return true;
  }
  if (count != kFingerprintLen) return false;
  memcpy(out, fp, kFingerprintLen);
  return true;
}
}  // namespace

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
  loadAnchors(hdr.ca_len <= sizeof hdr.ca ? hdr.ca_len : 0);
  return true;
}

namespace {
const uint32_t kCaFlashAddr = kTlsFlashAddr + offsetof(TlsSettings, ca);
static_assert(kCaFlashAddr % 4 == 0, "flash reads are whole words");

// Length (header included) of the DER certificate at byte pos of the CA area, or 0 when none
// fits in caLen. Certificates lie back to back, so pos may be unaligned: read aligned words.
size_t caCertLength(size_t pos, size_t caLen) {
  uint32_t words[2];
  size_t skew = pos & 3u;
  if (pos + 2 > caLen || !ESP.flashRead(kCaFlashAddr + pos - skew, words, sizeof words)) return 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(words) + skew;
  size_t len = p[1], hdr = 2;
  if (p[0] != 0x30) return 0;
  if (len == 0x81)
    len = p[2], hdr = 3;
  else if (len == 0x82)
    len = (size_t)p[2] << 8 | p[3], hdr = 4;
  else if (len & 0x80)
    return 0;
  return pos + hdr + len <= caLen ? hdr + len : 0;
}

bool caCertAnchor(size_t pos, size_t len, br_x509_trust_anchor* ta) {
  size_t skew = pos & 3u;
  size_t len4 = (skew + len + 3u) & ~(size_t)3u;
  uint32_t* buf = static_cast<uint32_t*>(malloc(len4));
  bool ok = buf && ESP.flashRead(kCaFlashAddr + pos - skew, buf, len4) &&
            trust_anchor_from_der(reinterpret_cast<uint8_t*>(buf) + skew, len, ta);
  free(buf);
  return ok;
}
}  // namespace

// The trust anchors, in one heap array: the CA certificates in flash (DER, back to back, at most
// kMaxFlashAnchors), decoded to the heap, then the built-in roots the settings select, copied by
// value (their pointers point at constant data).
void TasmotaApp::loadAnchors(size_t caLen) {
  const br_x509_trust_anchor* builtin[kBuiltinAnchorCount];
  size_t nBuiltin = builtin_anchors(_cfg.builtin_anchors, builtin, kBuiltinAnchorCount);
  size_t nFile = 0, pos = 0;
  for (size_t len; nFile < kMaxFlashAnchors && (len = caCertLength(pos, caLen)) > 0; pos += len) nFile++;
  if (pos < caLen)
    Serial.printf("TLS: trust anchors in flash: %u bytes after certificate %u ignored\n", (unsigned)(caLen - pos),
                  (unsigned)nFile);
  if (nFile + nBuiltin == 0) return;
  _tas = static_cast<br_x509_trust_anchor*>(malloc((nFile + nBuiltin) * sizeof(br_x509_trust_anchor)));
  if (!_tas) {
    Serial.printf("TLS: no heap for %u trust anchors\n", (unsigned)(nFile + nBuiltin));
    return;
  }
  pos = 0;
  for (size_t i = 0; i < nFile; ++i) {
    size_t len = caCertLength(pos, caLen);
    if (caCertAnchor(pos, len, &_tas[_taCount]))
      _taCount++;
    else
      Serial.printf("TLS: trust anchor %u in flash is not a valid certificate\n", (unsigned)(i + 1));
    pos += len;
  }
  size_t fromFlash = _taCount;
  for (size_t i = 0; i < nBuiltin; ++i) _tas[_taCount++] = *builtin[i];
  Serial.printf("TLS: trust anchors: %u from flash, %u built in\n", (unsigned)fromFlash, (unsigned)nBuiltin);
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
  if (_cfg.heap_boot_used || _cfg.workload_count) {
    _heap = new HeapWorkload();
    _heap->begin(_cfg);
  }

  _tcp = new WiFiClient();
  Client* net = _tcp;
  if (_cfg.tls_enabled) {
    _tls = new TlsClient(*_tcp);
    if (_taCount) _tls->setTrustAnchors(_tas, _taCount);
    if (_cert.data) _tls->setClientECCert(&_cert, &_key);
    _tls->setThunkSize(_cfg.thunk_size);
    net = _tls;
  }
  _mqtt = new MqttClient(*net);
  _mqtt->setServer(_cfg.mqtt_host, _cfg.mqtt_port);
  _mqtt->setCallback(&TasmotaApp::onMessageThunk, this);
  _mqtt->setAckCallback(&TasmotaApp::onAckThunk, this);
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
  uint8_t qos = _cfg.mqtt_qos ? 1 : 0;
  if (_mqtt->publish(topic, reinterpret_cast<const uint8_t*>(payload), strlen(payload), retained, qos))
    Serial.printf("MQT: %s = %s\n", topic, payload);
}

// The broker acknowledged a QoS 1 publish. Mosquitto acknowledges in the order it received them
// (MQTT 3.1.1, 4.6), so a reader of this console can match each line to the oldest unacknowledged
// publish of the connection.
void TasmotaApp::onAckThunk(void*, uint16_t packetId) { Serial.printf("MQT: Puback %u\n", (unsigned)packetId); }

// Applied before every connect: the options may have changed by command since the last one.
void TasmotaApp::configureTls() {
  _learn[0] = _learn[1] = false;
  if (!_tls) return;
  _tls->setEcdsa(_cfg.ecdsa != 0);
  _tls->setRsaKeyExchange(_cfg.key_exchange == 1);
  if (_cfg.validation != kValidateFingerprint) {
    _tls->setCaValidation();
    return;
  }
  _learn[0] = fingerprint_is_all(_cfg.fingerprint[0], 0x00);
  _learn[1] = fingerprint_is_all(_cfg.fingerprint[1], 0x00);
  bool any = _learn[0] || _learn[1] || fingerprint_is_all(_cfg.fingerprint[0], 0xFF) ||
             fingerprint_is_all(_cfg.fingerprint[1], 0xFF);
  _tls->setFingerprints(_cfg.fingerprint[0], _cfg.fingerprint[1], any);
}

void TasmotaApp::learnFingerprints() {
  if (!_tls || !_tls->fingerprintMode() || !(_learn[0] || _learn[1])) return;
  const uint8_t* got = _tls->receivedFingerprint();
  char text[64];
  formatFingerprint(got, text, sizeof text);
  for (int i = 0; i < 2; ++i)
    if (_learn[i]) {
      memcpy(_cfg.fingerprint[i], got, kFingerprintLen);
      Serial.printf("MQT: Fingerprint%d learned: %s\n", i + 1, text);
    }
  saveSettings();
}

void TasmotaApp::mqttReconnect() {
  Serial.printf("MQT: Attempting connection...\n");
  configureTls();
  char will[64];
  snprintf(will, sizeof will, "tele/%s/LWT", _topic);
  bool ok = _mqtt->connect(_clientId, nullptr, nullptr, will, 1, true, "Offline", true);
  if (_tls && _tls->handshakeDone())
    Serial.printf("TLS: connected in %u ms, max ThunkStack used %u\n", (unsigned)_tls->handshakeMs(),
                  (unsigned)stack_thunk_light_get_max_usage());
  if (ok) {
    learnFingerprints();
    mqttConnected();
    return;
  }
  int tlsErr = _tls ? _tls->lastError() : 0;
  if (tlsErr == (int)kX509ErrBadFingerprint && _tls->fingerprintMode()) {
    char text[64];
    formatFingerprint(_tls->receivedFingerprint(), text, sizeof text);
    Serial.printf("TLS: server fingerprint %s matches neither MqttFingerprint1 nor MqttFingerprint2\n", text);
  }
  if (_retryCount < kRetryMaxS / kRetryStepS) _retryCount++;
  uint16_t delayS = (uint16_t)(_retryCount * kRetryStepS);
  Serial.printf("MQT: Connect failed to %s:%u, rc %d, tls %d. Retry in %u sec\n", _cfg.mqtt_host,
                (unsigned)_cfg.mqtt_port, _mqtt->state(), tlsErr, (unsigned)delayS);
  if (_tls)
    _tls->stop();
  else
    _tcp->stop();
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
  snprintf(out, n, "%uT%02u:%02u:%02u", (unsigned)(s / 86400), (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
           (unsigned)(s % 60));
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
  char arg[80];
  size_t n = len < sizeof arg - 1 ? len : sizeof arg - 1;
  memcpy(arg, payload, n);
  arg[n] = 0;
  Serial.printf("MQT: received %s = %s\n", topic, arg);
  char reply[400];
  if (strcasecmp(cmd, "TelePeriod") == 0) {
    if (n) {
      long v = atol(arg);
      _cfg.tele_period = (uint16_t)(v < 10 ? 10 : (v > 3600 ? 3600 : v));
      _nextTeleMs = millis() + _cfg.tele_period * 1000u;
    }
    snprintf(reply, sizeof reply, "{\"TelePeriod\":%u}", (unsigned)_cfg.tele_period);
  } else if (strcasecmp(cmd, "Status") == 0) {
    statusReply(reply, sizeof reply);
  } else if (strcasecmp(cmd, "MqttFingerprint1") == 0 || strcasecmp(cmd, "MqttFingerprint2") == 0) {
    commandFingerprint(cmd[15] - '1', n ? arg : nullptr, reply, sizeof reply);
  } else if (strcasecmp(cmd, "SetOption132") == 0 || strcasecmp(cmd, "SetOption165") == 0) {
    commandOption(cmd, n ? arg : nullptr, reply, sizeof reply);
  } else if (strcasecmp(cmd, "Crash") == 0) {
    commandCrash(n ? arg : nullptr, reply, sizeof reply);
  } else if (strcasecmp(cmd, "Restart") == 0) {
    snprintf(reply, sizeof reply, "{\"Restart\":\"Restarting\"}");
    _restartPending = true;
  } else {
    snprintf(reply, sizeof reply, "{\"Command\":\"Unknown\"}");
  }
  publish("stat", "RESULT", reply, false);
}

bool TasmotaApp::commandFingerprint(int slot, const char* arg, char* reply, size_t n) {
  char text[64];
  if (arg) {
    if (!parseFingerprint(arg, _cfg.fingerprint[slot])) {
      snprintf(reply, n, "{\"MqttFingerprint%d\":\"Error: expected 20 hex bytes separated by spaces\"}", slot + 1);
      return false;
    }
    saveSettings();
  }
  formatFingerprint(_cfg.fingerprint[slot], text, sizeof text);
  snprintf(reply, n, "{\"MqttFingerprint%d\":\"%s\"}", slot + 1, text);
  return true;
}

bool TasmotaApp::commandOption(const char* cmd, const char* arg, char* reply, size_t n) {
  bool is132 = strcasecmp(cmd, "SetOption132") == 0;
  uint8_t* opt = is132 ? &_cfg.validation : &_cfg.ecdsa;
  if (arg) {
    if (strcmp(arg, "0") == 0 || strcasecmp(arg, "off") == 0)
      *opt = 0;
    else if (strcmp(arg, "1") == 0 || strcasecmp(arg, "on") == 0)
      *opt = 1;
    else {
      snprintf(reply, n, "{\"%s\":\"Error: expected 0 or 1\"}", is132 ? "SetOption132" : "SetOption165");
      return false;
    }
    saveSettings();
  }
  snprintf(reply, n, "{\"%s\":\"%s\"}", is132 ? "SetOption132" : "SetOption165", *opt ? "ON" : "OFF");
  return true;
}

// Crash 1: store through NULL (Exception 29), 2: load from NULL (Exception 28), 3: `new` more
// than the heap holds (Unhandled C++ exception: OOM). A test aid, like Tasmota's debug Crash.
bool TasmotaApp::commandCrash(const char* arg, char* reply, size_t n) {
  long how = arg ? atol(arg) : 0;
  if (how < 1 || how > 3) {
    snprintf(reply, n, "{\"Crash\":\"Error: 1 (store to NULL), 2 (load from NULL) or 3 (new beyond the heap)\"}");
    return false;
  }
  _crashPending = (uint8_t)how;
  snprintf(reply, n, "{\"Crash\":%ld}", how);
  return true;
}

void TasmotaApp::crash(uint8_t how) {
  Serial.printf("APP: Crash %u\n", (unsigned)how);
  // The pointer is volatile too: the compiler cannot see it is NULL and keeps the access.
  volatile uint32_t* volatile nowhere = nullptr;
  if (how == 1) {
    *nowhere = 0x29;
  } else if (how == 2) {
    Serial.printf("APP: read %u\n", (unsigned)*nowhere);
  } else if (how == 3) {
    uint8_t* big = new uint8_t[ESP.getFreeHeap() + 4096];
    Serial.printf("APP: got %p\n", (void*)big);  // not reached; the pointer escapes, so new is kept
  }
}

void TasmotaApp::statusReply(char* reply, size_t n) {
  char fp1[64], fp2[64];
  formatFingerprint(_cfg.fingerprint[0], fp1, sizeof fp1);
  formatFingerprint(_cfg.fingerprint[1], fp2, sizeof fp2);
  int tlsErr = _tls ? _tls->lastError() : 0;
  snprintf(reply, n,
           "{\"StatusMEM\":{\"Heap\":%u,\"MaxBlock\":%u,\"Frag\":%u},"
           "\"StatusTLS\":{\"Enabled\":%u,\"Validation\":\"%s\",\"ECDSA\":%u,\"ClientCert\":%u,"
           "\"HandshakeMs\":%u,\"ThunkSize\":%u,\"ThunkMax\":%u,\"LastError\":%d,"
           "\"MqttFingerprint1\":\"%s\",\"MqttFingerprint2\":\"%s\"}}",
           (unsigned)ESP.getFreeHeap(), (unsigned)ESP.getMaxFreeBlockSize(), (unsigned)ESP.getHeapFragmentation(),
           (unsigned)_cfg.tls_enabled, _cfg.validation == kValidateFingerprint ? "Fingerprint" : "CA",
           (unsigned)_cfg.ecdsa, (unsigned)(_cert.data != nullptr), (unsigned)(_tls ? _tls->handshakeMs() : 0),
           (unsigned)(_tls ? _tls->thunkSize() : 0), (unsigned)stack_thunk_light_get_max_usage(), tlsErr, fp1, fp2);
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
      Serial.printf("MQT: Disconnected, rc %d, tls %d\n", _mqtt->state(), _tls ? _tls->lastError() : 0);
      _wasConnected = false;
      _retryCount = 0;
      if (_tls)
        _tls->stop();
      else
        _tcp->stop();
      _nextRetryMs = millis() + kRetryAfterDropMs;
    }
    if ((int32_t)(millis() - _nextRetryMs) >= 0) mqttReconnect();
  }
  if (_heap) _heap->loop();
  if (_restartPending) {
    delay(100);
    ESP.restart();
  }
  if (_crashPending) {
    delay(100);
    crash(_crashPending);
    _crashPending = 0;
  }
  // Sleep 50 ms a step, as Tasmota does; when nothing is due for longer, wait in those steps for
  // the broker or the next thing due (esp_delay: the same steps, asked only whether to go on).
  uint32_t due = msUntilDue();
  if (due > kLoopSleepMs)
    esp_delay(
        due, [this]() { return _mqtt->idle(); }, kLoopSleepMs);
  else
    delay(kLoopSleepMs);
}

uint32_t TasmotaApp::msUntilDue() {
  if (_restartPending || _crashPending || !_mqtt->connected()) return 0;
  uint32_t now = millis();
  int32_t tele = (int32_t)(_nextTeleMs - now);
  uint32_t due = tele <= 0 ? 0 : (uint32_t)tele;
  uint32_t keepalive = _mqtt->msUntilDue(now);
  if (keepalive < due) due = keepalive;
  if (_heap) {
    uint32_t heap = _heap->msUntilDue(now);
    if (heap < due) due = heap;
  }
  return due;
}

void tasmota_main() {
  TasmotaApp* app = new TasmotaApp();
  if (!app->setup()) {
    for (;;) delay(1000);
  }
  for (;;) app->loop();
}
