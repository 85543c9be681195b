// shims/HardwareSerial.cpp — Serial: the device's UART bytes to the platform (host side: to
// stderr when no platform is installed, e.g. in unit tests).
#include "HardwareSerial.h"

#include <stdio.h>

#include "platform.h"

HardwareSerial Serial(0);

size_t HardwareSerial::write(uint8_t b) { return write(&b, 1); }

size_t HardwareSerial::write(const uint8_t* buffer, size_t size) {
  if (EspPlatform* p = esp_platform())
    p->serial_write(reinterpret_cast<const char*>(buffer), size);
  else
    fwrite(buffer, 1, size, stderr);
  return size;
}

void HardwareSerial::flush() {
  if (EspPlatform* p = esp_platform()) p->serial_flush();
}
