// shims/arduino_extras.cpp — the core's small C helpers a sketch expects and the host's C library
// lacks (itoa and its family, strlcpy/strlcat, map), and the GPIO calls, which go to the device.
#include <string.h>

#include "Arduino.h"
#include "platform.h"

namespace {
// value in `base` (2..36, lowercase), as the core's itoa family writes it; negative only in base 10.
char* to_text(unsigned long v, bool negative, char* str, int base) {
  if (base < 2 || base > 36) {
    *str = 0;
    return str;
  }
  char tmp[sizeof(unsigned long) * 8 + 1];
  int n = 0;
  do {
    const int d = int(v % unsigned(base));
    tmp[n++] = char(d < 10 ? '0' + d : 'a' + d - 10);
    v /= unsigned(base);
  } while (v);
  char* p = str;
  if (negative) *p++ = '-';
  while (n) *p++ = tmp[--n];
  *p = 0;
  return str;
}
}  // namespace

void interrupts() {
  if (EspPlatform* p = esp_platform()) p->interrupts_enabled(true);
}
void noInterrupts() {
  if (EspPlatform* p = esp_platform()) p->interrupts_enabled(false);
}

extern "C" {

char* ltoa(long value, char* str, int base) {
  const bool neg = value < 0 && base == 10;
  const unsigned long mag = neg ? 0UL - (unsigned long)value : (unsigned long)value;
  return to_text(mag, neg, str, base);
}
char* itoa(int value, char* str, int base) {
  return base == 10 ? ltoa(value, str, base) : to_text((unsigned)value, false, str, base);
}
char* utoa(unsigned value, char* str, int base) { return to_text(value, false, str, base); }
char* ultoa(unsigned long value, char* str, int base) { return to_text(value, false, str, base); }

size_t strlcpy(char* dst, const char* src, size_t size) {
  const size_t n = strlen(src);
  if (size) {
    const size_t k = n < size - 1 ? n : size - 1;
    memcpy(dst, src, k);
    dst[k] = 0;
  }
  return n;
}

size_t strlcat(char* dst, const char* src, size_t size) {
  const size_t have = strnlen(dst, size);
  if (have == size) return size + strlen(src);
  return have + strlcpy(dst + have, src, size - have);
}

}  // extern "C"

long map(long x, long in_min, long in_max, long out_min, long out_max) {
  if (in_max == in_min) return out_min;
  return (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min;
}

void pinMode(uint8_t pin, uint8_t mode) {
  if (EspPlatform* p = esp_platform()) p->gpio_mode(pin, mode);
}
void digitalWrite(uint8_t pin, uint8_t val) {
  if (EspPlatform* p = esp_platform()) p->gpio_write(pin, val);
}
int digitalRead(uint8_t pin) {
  EspPlatform* p = esp_platform();
  return p ? p->gpio_read(pin) : 0;
}
int analogRead(uint8_t) { return 0; }
