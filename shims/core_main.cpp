// shims/core_main.cpp — the core's loop task (core_esp8266_main.cpp's loop_wrapper): the sketch's
// setup() once, then loop(), and after every pass the cont yields to the system (the SDK's tasks,
// Wi-Fi, timers) before the next.
#include "core_main.h"

#include "Arduino.h"
#include "platform.h"

void EspPlatform::run_loop(void (*loop)()) {
  for (;;) {
    loop();
    yield();
  }
}

void arduino_main(void (*setup)(), void (*loop)()) {
  setup();
  if (EspPlatform* p = esp_platform()) p->run_loop(loop);
  for (;;) {  // no platform (plain unit tests): the loop as it is
    loop();
    yield();
  }
}
