// tests/sketches/CounterPub/CounterPub.ino — a sketch written the way the published ESP8266 MQTT
// examples are: join Wi-Fi, connect to a broker by name, publish a global counter every second on
// counter/<chip id>, and switch the LED from what arrives on led/<chip id>. Each device's counter
// must be its own, and a message for one device must reach that device's callback only.
#include <ESP8266WiFi.h>
#include <TinyMqtt.h>

const char* ssid = "fleet-lab";
const char* password = "not-a-secret";
const char* mqtt_server = "broker.example.com";  // any name: the simulator maps it to its broker

WiFiClient espClient;
TinyMqtt client(espClient);
unsigned long lastMsg = 0;
unsigned long counter = 0;
char topicOut[32], topicIn[32];

void callback(char* topic, byte* payload, unsigned int length) {
  Serial.printf("message [%s] %u bytes\n", topic, length);
  if (length > 0 && payload[0] == '1')
    digitalWrite(LED_BUILTIN, LOW);  // the LED is on when the pin is low
  else
    digitalWrite(LED_BUILTIN, HIGH);
}

void reconnect() {
  while (!client.connected()) {
    String clientId = "ESP8266Client-";
    clientId += String(ESP.getChipId(), HEX);
    Serial.print("Attempting MQTT connection...");
    if (client.connect(clientId.c_str())) {
      Serial.println("connected");
      client.subscribe(topicIn);
    } else {
      Serial.printf("failed, rc=%d\n", client.state());
      delay(2000);
    }
  }
}

void setup() {
  pinMode(LED_BUILTIN, OUTPUT);
  digitalWrite(LED_BUILTIN, HIGH);
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.begin(ssid, password);
  while (WiFi.status() != WL_CONNECTED) {
    delay(250);
    Serial.print(".");
  }
  Serial.println();
  Serial.print("WiFi connected, IP ");
  Serial.println(WiFi.localIP());
  snprintf(topicOut, sizeof topicOut, "counter/%06x", ESP.getChipId());
  snprintf(topicIn, sizeof topicIn, "led/%06x", ESP.getChipId());
  client.setServer(mqtt_server, 1883);
  client.setCallback(callback);
}

void loop() {
  if (!client.connected()) reconnect();
  client.loop();
  unsigned long now = millis();
  if (now - lastMsg > 1000) {
    lastMsg = now;
    ++counter;
    char msg[24];
    snprintf(msg, sizeof msg, "%lu", counter);
    client.publish(topicOut, msg);
  }
}
