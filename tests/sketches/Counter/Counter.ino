// tests/sketches/Counter/Counter.ino — a sketch in the Arduino style whose globals must be each
// device's own: a counter, a string built in setup(), an object made by a static constructor,
// a function-local static. It restarts itself after RESTART_AFTER passes, so a test can see a
// reboot start again from the sketch's initial values.
#include "Tally.h"

const int RESTART_AFTER = 4;
int counter = 100;              // initialised data
unsigned long passes;           // zero-initialised
char name[24];                  // filled in setup()
Tally tally(7);                 // built by a static constructor, before setup()

int nextTicket() {
  static int ticket = 0;        // a function-local static
  return ++ticket;
}

void setup() {
  Serial.begin(115200);
  snprintf(name, sizeof name, "dev-%06x", ESP.getChipId());
  Serial.printf("boot %s counter %d tally %d\n", name, counter, tally.value());
}

void loop() {
  counter += 1;
  passes++;
  tally.add(2);
  Serial.printf("pass %s counter %d passes %lu tally %d ticket %d\n", name, counter, passes, tally.value(),
                nextTicket());
  if (passes == RESTART_AFTER) {
    Serial.println("restarting");
    ESP.restart();
  }
  delay(1000);
}
