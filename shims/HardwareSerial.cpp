// shims/HardwareSerial.cpp — Serial: device console lines into the platform's log (host side:
// writes to stderr when no platform is installed, e.g. in unit tests).
#include "HardwareSerial.h"

#include <stdio.h>

#include "platform.h"

HardwareSerial Serial(0);

void HardwareSerial::emit() {
  size_t len = _used;
  if (len > 0 && _line[len - 1] == '\r') --len;  // println ends lines with "\r\n"
  _used = 0;
  if (EspPlatform* p = esp_platform()) {
    p->log_write(_line, len);
  } else {
    fwrite(_line, 1, len, stderr);
    fputc('\n', stderr);
  }
}

size_t HardwareSerial::write(uint8_t b) {
  if (b == '\n') {
    emit();
    return 1;
  }
  if (_used == kLineBytes) emit();
  _line[_used++] = char(b);
  return 1;
}

size_t HardwareSerial::write(const uint8_t* buffer, size_t size) {
  for (size_t i = 0; i < size; ++i) write(buffer[i]);
  return size;
}

void HardwareSerial::flush() {
  if (_used > 0) emit();
}
