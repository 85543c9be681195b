// tests/sketches/Crasher/Crasher.ino — a sketch with a bug a button press reaches: when GPIO 0
// (the FLASH button, pulled up) reads low it writes through a pointer it never set. The device
// must crash as the chip does (an exception, a post-mortem, a reboot), alone, and the same way
// again in a replay.
#include <ESP8266WiFi.h>

struct Reading {
  int value;
};
Reading* last = nullptr;  // set by a measurement that never happens: the bug
unsigned long presses = 0;

void setup() {
  Serial.begin(115200);
  pinMode(0, INPUT_PULLUP);
  Serial.printf("boot, reset reason: %s\n", ESP.getResetReason().c_str());
}

void loop() {
  if (digitalRead(0) == LOW) {
    ++presses;
    Serial.printf("button pressed (%lu)\n", presses);
    last->value = 42;  // null: Exception 29 on the chip (StoreProhibited)
  }
  delay(10);
}
