// core/app.cpp — the Tasmota-like application. Log lines follow Tasmota's ("MQT: ...",
// "TLS: ..."): they are what a user reads on the serial console, and what the host's run
// report is built from.
#include "app.h"

#include <coredecls.h>

#include <Esp.h>
#include <StackThunk.h>
#include <freertos/task.h>

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

bool isSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  // isspace() in the C locale

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strtol(s, &end, 16) as the chip's C library computes it with its 32-bit long: leading
// whitespace, an optional sign, an optional 0x, then hex digits, all of them consumed; a value
// beyond the long's range is LONG_MAX (LONG_MIN when negative); no digit: 0 with *end = s.
// Written out because the host build's long has 64 bits: "AABBCCDDEE" must give LONG_MAX (a
// stored FF) there too, as on the ESP8266 and the ESP32-C3.
int32_t strtol16(const char* s, const char** end) {
  const char* p = s;
  while (isSpace(*p)) ++p;
  bool neg = *p == '-';
  if (*p == '-' || *p == '+') ++p;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hexDigit(p[2]) >= 0) p += 2;
  const char* digits = p;
  const uint32_t limit = neg ? 0x80000000u : 0x7FFFFFFFu;
  uint32_t acc = 0;
  bool over = false;
  for (int d; (d = hexDigit(*p)) >= 0; ++p) {
    if (over || acc > (limit - (uint32_t)d) / 16) {
      over = true;
      continue;
    }
    acc = acc * 16 + (uint32_t)d;
  }
  if (p == digits) {
    *end = s;
    return 0;
  }
  *end = p;
  if (over) acc = limit;
  return (int32_t)(neg ? 0u - acc : acc);
}
}  // namespace

// Tasmota's defaults (my_user_config.h): MQTT_FINGERPRINT1 all 00 (learn on the next connect),
// MQTT_FINGERPRINT2 the SHA-1 of nothing, which no key's fingerprint equals.
const uint8_t kDefaultFingerprint[2][kFingerprintLen] = {{0},
                                                         {0xDA, 0x39, 0xA3, 0xEE, 0x5E, 0x6B, 0x4B, 0x0D, 0x32, 0x55,
                                                          0xBF, 0xEF, 0x95, 0x60, 0x18, 0x90, 0xAF, 0xD8, 0x07, 0x09}};

bool mqttFingerprintArg(const char* data, size_t len, int slot, uint8_t* fp) {
  if (len == 0 || len >= kFingerprintArgMax) return false;
  // Shortcut() (support.ino): a single character; '"' or '0' clears, '1' is the default.
  const bool single = data[1] == 0;
  if (single && data[0] == '1') {
    memcpy(fp, kDefaultFingerprint[slot], kFingerprintLen);
    return true;
  }
  const char* p = single && (data[0] == '"' || data[0] == '0') ? "" : data;
  for (size_t i = 0; i < kFingerprintLen; ++i) fp[i] = (uint8_t)strtol16(p, &p);
  return true;
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
  // Tasmota's line: the thunk's peak on the ESP8266, the loop task's stack low mark on an ESP32.
  if (_tls && _tls->handshakeDone() && _tls->onEsp32())
    Serial.printf("TLS: connected in %u ms, stack low mark %u\n", (unsigned)_tls->handshakeMs(),
                  (unsigned)uxTaskGetStackHighWaterMark(nullptr));
  else if (_tls && _tls->handshakeDone())
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

namespace {
const int kNotFingerprint = -1, kNoSuchSlot = -2;

// MqttFingerprint<index>: Tasmota takes the index from the command's trailing digits (none = 1)
// and answers an index other than 1 or 2 with {"Command":"Error"}. Returns the slot (0 or 1).
int fingerprintSlot(const char* cmd) {
  if (strncasecmp(cmd, "MqttFingerprint", 15) != 0) return kNotFingerprint;
  const char* digits = cmd + 15;
  for (const char* p = digits; *p; ++p)
    if (*p < '0' || *p > '9') return kNotFingerprint;
  int index = *digits ? atoi(digits) : 1;
  return index == 1 || index == 2 ? index - 1 : kNoSuchSlot;
}
}  // namespace

void TasmotaApp::onMessageThunk(void* ctx, char* topic, uint8_t* payload, unsigned int len) {
  static_cast<TasmotaApp*>(ctx)->onMessage(topic, payload, len);
}

void TasmotaApp::onMessage(char* topic, uint8_t* payload, unsigned int len) {
  const char* cmd = strrchr(topic, '/');
  cmd = cmd ? cmd + 1 : topic;
  // As CommandHandler (support_command.ino): leading whitespace skipped and not counted, "?"
  // asks for the value. len is then what a command compares its limits with.
  while (len && isSpace((char)*payload)) ++payload, --len;
  if (len == 1 && payload[0] == '?') len = 0;
  char arg[80];
  size_t n = len < sizeof arg - 1 ? len : sizeof arg - 1;
  memcpy(arg, payload, n);
  arg[n] = 0;
  Serial.printf("MQT: received %s = %s\n", topic, arg);
  char reply[400];
  int fpSlot = fingerprintSlot(cmd);
  if (strcasecmp(cmd, "TelePeriod") == 0) {
    if (n) {
      long v = atol(arg);
      _cfg.tele_period = (uint16_t)(v < 10 ? 10 : (v > 3600 ? 3600 : v));
      _nextTeleMs = millis() + _cfg.tele_period * 1000u;
    }
    snprintf(reply, sizeof reply, "{\"TelePeriod\":%u}", (unsigned)_cfg.tele_period);
  } else if (strcasecmp(cmd, "Status") == 0) {
    statusReply(reply, sizeof reply);
  } else if (fpSlot >= 0) {
    commandFingerprint(fpSlot, arg, len, reply, sizeof reply);
  } else if (fpSlot == kNoSuchSlot) {
    snprintf(reply, sizeof reply, "{\"Command\":\"Error\"}");
  } else if (strcasecmp(cmd, "SetOption132") == 0 || strcasecmp(cmd, "SetOption165") == 0) {
    commandOption(cmd, n ? arg : nullptr, reply, sizeof reply);
  } else if (strcasecmp(cmd, "Crash") == 0) {
    commandCrash(n ? arg : nullptr, reply, sizeof reply);
  } else if (strcasecmp(cmd, "Wdt") == 0) {
    hang(true);  // as Tasmota's: no reply, the device stays here
  } else if (strcasecmp(cmd, "BlockedLoop") == 0) {
    if (strncmp(ESP.getChipModel(), "ESP32", 5) == 0) hang(false);
    // On the ESP8266 Tasmota's OsWatch ticker ends it after 120 s; that ticker is not modelled.
    snprintf(reply, sizeof reply,
             "{\"BlockedLoop\":\"Error: ESP32 only here (the ESP8266's OsWatch is not modelled)\"}");
  } else if (strcasecmp(cmd, "Restart") == 0) {
    // Tasmota's CmndRestart: 1 restarts (99 too, forced); anything else only says how.
    long how = n ? atol(arg) : 0;
    if (how == 1 || how == 99) {
      snprintf(reply, sizeof reply, "{\"Restart\":\"Restarting\"}");
      _restartPending = true;
    } else {
      snprintf(reply, sizeof reply, "{\"Restart\":\"1 to restart\"}");
    }
  } else {
    snprintf(reply, sizeof reply, "{\"Command\":\"Unknown\"}");
  }
  publish("stat", "RESULT", reply, false);
}

// As CmndMqttFingerprint: an argument the command takes is saved and a restart requested
// (Tasmota's restart_flag = 2; the settings are saved here at once, Restart 1 does the same);
// one it ignores (60 characters or more) changes nothing. Either way the reply is the slot.
bool TasmotaApp::commandFingerprint(int slot, const char* arg, size_t len, char* reply, size_t n) {
  const bool taken = mqttFingerprintArg(arg, len, slot, _cfg.fingerprint[slot]);
  if (taken) {
    saveSettings();
    _restartPending = true;
  }
  char text[64];
  formatFingerprint(_cfg.fingerprint[slot], text, sizeof text);
  snprintf(reply, n, "{\"MqttFingerprint%d\":\"%s\"}", slot + 1, text);
  return taken;
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

// Tasmota's debug commands (support_crash_recorder.ino). Wdt: an endless loop that never yields,
// for the watchdog (a busy wait here: the device's clock moves only with the work it does); the
// ESP8266's soft WDT resets it at 3.2 s, the ESP32-C3's task watchdog at 5 s. BlockedLoop: an
// endless loop of delays, 10 s each on an ESP32 "so that the normal WDT fires after 5s" (its
// delay() feeds the loop task's watchdog only around the wait; on the ESP8266, where Tasmota's
// OsWatch ticker catches it after 120 s, the command is refused).
void TasmotaApp::hang(bool spin) {
  Serial.printf("APP: %s\n", spin ? "Wdt" : "BlockedLoop");
  for (;;) {
    if (spin)
      delayMicroseconds(1000);
    else
      delay(10000);
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
    Serial.printf("APP: Restarting\n");
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
