// shims/core_main.h — the ESP8266 core's loop task for a user's sketch: setup() once, then loop()
// for ever with the core's yield to the system after each pass. Includes nothing.
#pragma once

// Never returns. Runs on the calling device's cont.
void arduino_main(void (*setup)(), void (*loop)());
