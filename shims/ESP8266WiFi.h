// shims/ESP8266WiFi.h — the ESP8266 core's `WiFi` object, station side: what sketches call to
// join a network and ask about it. `WiFi` is a stateless proxy: the association is the current
// device's, modelled by sim/ (sim/device/wifi_station.h); any SSID and password are accepted.
#pragma once
#include "Arduino.h"
#include "IPAddress.h"
#include "WString.h"
#include "WiFiClient.h"

typedef enum {
  WL_NO_SHIELD = 255,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_WRONG_PASSWORD = 6,
  WL_DISCONNECTED = 7
} wl_status_t;

typedef enum WiFiMode { WIFI_OFF = 0, WIFI_STA = 1, WIFI_AP = 2, WIFI_AP_STA = 3 } WiFiMode_t;
typedef enum { WIFI_NONE_SLEEP = 0, WIFI_LIGHT_SLEEP = 1, WIFI_MODEM_SLEEP = 2 } WiFiSleepType_t;

class ESP8266WiFiClass {
 public:
  bool mode(WiFiMode_t m) {
    (void)m;
    return true;
  }
  WiFiMode_t getMode() { return WIFI_STA; }
  bool persistent(bool) { return true; }
  bool setAutoConnect(bool) { return true; }
  bool setAutoReconnect(bool) { return true; }  // the model always reassociates
  bool getAutoReconnect() { return true; }
  bool setSleepMode(WiFiSleepType_t, uint8_t = 0) { return true; }

  wl_status_t begin(const char* ssid, const char* passphrase = nullptr, int32_t channel = 0,
                    const uint8_t* bssid = nullptr, bool connect = true);
  wl_status_t begin(const String& ssid, const String& passphrase = String(), int32_t channel = 0,
                    const uint8_t* bssid = nullptr, bool connect = true) {
    return begin(ssid.c_str(), passphrase.c_str(), channel, bssid, connect);
  }
  wl_status_t begin();
  bool config(IPAddress, IPAddress, IPAddress, IPAddress = IPAddress(), IPAddress = IPAddress()) { return true; }
  bool reconnect();
  bool disconnect(bool wifioff = false);
  bool isConnected() { return status() == WL_CONNECTED; }
  wl_status_t status();
  // Waits (yielding) until the station is connected or failed, or timeoutLength ms pass.
  int8_t waitForConnectResult(unsigned long timeoutLength = 60000);

  IPAddress localIP();
  IPAddress subnetMask() { return IPAddress(255, 255, 255, 0); }
  IPAddress gatewayIP();
  IPAddress dnsIP(uint8_t = 0) { return gatewayIP(); }
  uint8_t* macAddress(uint8_t* mac);
  String macAddress();
  String SSID() { return String("espfleet"); }
  int32_t RSSI();
  int32_t channel() { return 6; }
  String hostname();  // the core's default, ESP-XXXXXX (the chip id); a name set is accepted, not kept
  bool hostname(const char*) { return true; }
  bool hostname(const String&) { return true; }
  // Any name resolves (to the run's broker, docs/sketches.md); 1 on success, as the core.
  int hostByName(const char* name, IPAddress& result);
  int hostByName(const char* name, IPAddress& result, uint32_t) { return hostByName(name, result); }
};

extern ESP8266WiFiClass WiFi;

// As the core's header: the secure client and its key holders come with it.
#include "BearSSLHelpers.h"
#include "WiFiClientSecure.h"
