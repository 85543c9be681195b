// shims/ESP8266WiFi.cpp — `WiFi`: the current device's station through the platform.
#include "ESP8266WiFi.h"

#include "platform.h"

ESP8266WiFiClass WiFi;

wl_status_t ESP8266WiFiClass::begin(const char*, const char*, int32_t, const uint8_t*, bool connect) {
  EspPlatform* p = esp_platform();
  if (!p) return WL_DISCONNECTED;
  if (connect) p->wifi_begin();
  return wl_status_t(p->wifi_status());
}

wl_status_t ESP8266WiFiClass::begin() { return begin(nullptr, nullptr, 0, nullptr, true); }

bool ESP8266WiFiClass::reconnect() {
  begin();
  return true;
}

bool ESP8266WiFiClass::disconnect(bool) {
  if (EspPlatform* p = esp_platform()) p->wifi_disconnect();
  return true;
}

wl_status_t ESP8266WiFiClass::status() {
  EspPlatform* p = esp_platform();
  return p ? wl_status_t(p->wifi_status()) : WL_DISCONNECTED;
}

int8_t ESP8266WiFiClass::waitForConnectResult(unsigned long timeoutLength) {
  const unsigned long start = millis();
  for (;;) {
    const wl_status_t s = status();
    if (s == WL_CONNECTED || s == WL_CONNECT_FAILED || s == WL_NO_SSID_AVAIL || s == WL_WRONG_PASSWORD) return s;
    if (millis() - start >= timeoutLength) return -1;
    delay(100);
  }
}

IPAddress ESP8266WiFiClass::localIP() {
  EspPlatform* p = esp_platform();
  return IPAddress(p ? p->wifi_ip() : 0u);
}

IPAddress ESP8266WiFiClass::gatewayIP() {
  IPAddress ip = localIP();
  return ip == IPAddress(0u) ? ip : IPAddress(ip[0], ip[1], ip[2], 1);
}

// The station MAC: Espressif's OUI, then the chip id's three bytes (as ESP.getChipId() is made).
uint8_t* ESP8266WiFiClass::macAddress(uint8_t* mac) {
  const uint32_t id = ESP.getChipId();
  mac[0] = 0x5C, mac[1] = 0xCF, mac[2] = 0x7F;
  mac[3] = uint8_t(id >> 16), mac[4] = uint8_t(id >> 8), mac[5] = uint8_t(id);
  return mac;
}

String ESP8266WiFiClass::macAddress() {
  uint8_t m[6];
  macAddress(m);
  char buf[18];
  snprintf(buf, sizeof buf, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
  return String(buf);
}

int32_t ESP8266WiFiClass::RSSI() {
  EspPlatform* p = esp_platform();
  return p ? p->wifi_rssi() : 31;  // 31: the core's "no connection"
}

String ESP8266WiFiClass::hostname() {
  char buf[16];
  snprintf(buf, sizeof buf, "ESP-%06X", unsigned(ESP.getChipId() & 0xFFFFFF));
  return String(buf);
}

int ESP8266WiFiClass::hostByName(const char* name, IPAddress& result) {
  EspPlatform* p = esp_platform();
  uint32_t ip = 0;
  if (!p || !p->host_by_name(name, &ip)) return 0;
  result = IPAddress(ip);
  return 1;
}
