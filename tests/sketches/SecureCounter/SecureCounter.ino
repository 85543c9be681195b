// tests/sketches/SecureCounter/SecureCounter.ino — an MQTT-over-TLS sketch written the way the
// ESP8266 core's BearSSL examples are: the clock set by SNTP (certificates need it), the broker's
// CA as trust anchors, the device's own EC certificate and key read from its file system, an MFLN
// probe deciding on 1024/1024 buffers, then a global counter published every two seconds on
// secure/<chip id>. A failed connect prints BearSSL's error (getLastSSLError).
#include <ESP8266WiFi.h>
#include <LittleFS.h>
#include <TinyMqtt.h>
#include <time.h>

const char* ssid = "fleet-lab";
const char* password = "not-a-secret";
const char* mqtt_host = "localhost";  // a name the broker's certificate carries
const uint16_t mqtt_port = 8883;

BearSSL::WiFiClientSecure net;
TinyMqtt client(net);
BearSSL::X509List* trust = nullptr;
BearSSL::X509List* cert = nullptr;
BearSSL::PrivateKey* key = nullptr;
unsigned long lastMsg = 0;
unsigned long counter = 0;
char topic[32];

String readFile(const char* path) {
  File f = LittleFS.open(path, "r");
  if (!f) {
    Serial.printf("no file %s\n", path);
    return String();
  }
  String s = f.readString();
  f.close();
  return s;
}

void setClock() {
  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  Serial.print("Waiting for NTP time sync: ");
  time_t now = time(nullptr);
  while (now < 8 * 3600 * 2) {
    delay(100);
    Serial.print(".");
    now = time(nullptr);
  }
  Serial.println();
  Serial.printf("Current time: %lu\n", (unsigned long)now);
}

void reconnect() {
  while (!client.connected()) {
    String clientId = "secure-";
    clientId += String(ESP.getChipId(), HEX);
    Serial.printf("MQTT connect, heap %u...", ESP.getFreeHeap());
    if (client.connect(clientId.c_str())) {
      Serial.printf("connected, MFLN %d\n", net.getMFLNStatus());
    } else {
      char err[96];
      int code = net.getLastSSLError(err, sizeof err);
      Serial.printf("failed, SSL error %d: %s\n", code, err);
      delay(5000);
    }
  }
}

void setup() {
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.begin(ssid, password);
  while (WiFi.status() != WL_CONNECTED) delay(250);
  setClock();
  LittleFS.begin();
  trust = new BearSSL::X509List(readFile("/ca.crt").c_str());
  cert = new BearSSL::X509List(readFile("/client.crt").c_str());
  key = new BearSSL::PrivateKey(readFile("/client.key").c_str());
  Serial.printf("trust anchors %u, client certificates %u, key %s\n", (unsigned)trust->getCount(),
                (unsigned)cert->getCount(), key->isEC() ? "EC" : "none");
  net.setTrustAnchors(trust);
  net.setClientECCert(cert, key, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_EC);
  bool mfln = BearSSL::WiFiClientSecure::probeMaxFragmentLength(mqtt_host, mqtt_port, 1024);
  Serial.printf("MFLN supported: %s\n", mfln ? "yes" : "no");
  if (mfln) net.setBufferSizes(1024, 1024);
  snprintf(topic, sizeof topic, "secure/%06x", ESP.getChipId());
  client.setServer(mqtt_host, mqtt_port);
}

void loop() {
  if (!client.connected()) reconnect();
  client.loop();
  unsigned long now = millis();
  if (now - lastMsg > 2000) {
    lastMsg = now;
    ++counter;
    char msg[24];
    snprintf(msg, sizeof msg, "%lu", counter);
    client.publish(topic, msg);
  }
}
