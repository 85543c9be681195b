// core/firmware_entry.h — the built-in firmware's entry point, for whoever starts a device
// (the ESP8266 core's loop task, or the host engine). Includes nothing.
#pragma once

// Runs setup, then the loop forever, on the calling device's cont. Never returns.
void tasmota_main();
