// shims/Print.cpp — Arduino Print: numbers, floats and printf over write(). Device-side code
// (compiles for xtensa-lx106); a long printf borrows its buffer from the device heap.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Arduino.h"
#include "Print.h"

namespace {
constexpr size_t kPrintfStackBytes = 64;  // as the core: longer output goes to the heap
}

size_t Print::write(const uint8_t* buffer, size_t size) {
  size_t n = 0;
  while (n < size && write(buffer[n])) ++n;
  return n;
}

size_t Print::formatAndWrite(const char* format, va_list ap) {
  char onStack[kPrintfStackBytes];
  va_list again;
  va_copy(again, ap);
  int len = vsnprintf(onStack, sizeof onStack, format, ap);
  size_t n = 0;
  if (len >= 0 && size_t(len) < sizeof onStack) {
    n = write(onStack, size_t(len));
  } else if (len >= 0) {
    char* onHeap = static_cast<char*>(malloc(size_t(len) + 1));
    if (onHeap) {
      vsnprintf(onHeap, size_t(len) + 1, format, again);
      n = write(onHeap, size_t(len));
      free(onHeap);
    }
  }
  va_end(again);
  return n;
}

size_t Print::printf(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  size_t n = formatAndWrite(format, ap);
  va_end(ap);
  return n;
}

size_t Print::printf_P(PGM_P format, ...) {
  va_list ap;
  va_start(ap, format);
  size_t n = formatAndWrite(format, ap);
  va_end(ap);
  return n;
}

size_t Print::printNumber(unsigned long long n, int base) {
  if (base < 2 || base > 36) base = 10;
  char text[65];
  char* p = text + sizeof text;
  *--p = 0;
  do {
    unsigned d = unsigned(n % unsigned(base));
    n /= unsigned(base);
    *--p = char(d < 10 ? '0' + d : 'A' + d - 10);
  } while (n);
  return write(p);
}

// '-' only in base 10; other bases print the two's complement. `narrow`: int and long are 32
// bits on the chip, so a negative value that fits 32 bits prints as 32 bits on the host too.
size_t Print::printSigned(long long n, int base, bool narrow) {
  if (base == 0) return write(uint8_t(n));
  if (base == 10 && n < 0) {
    size_t sign = print('-');
    return sign + printNumber(0ull - (unsigned long long)n, 10);
  }
  unsigned long long bits = (unsigned long long)n;
  if (n < 0 && narrow && n >= INT32_MIN) bits = uint32_t(n);
  return printNumber(bits, base);
}

size_t Print::print(int n, int base) { return printSigned(n, base, true); }
size_t Print::print(long n, int base) { return printSigned(n, base, true); }
size_t Print::print(long long n, int base) { return printSigned(n, base, false); }

size_t Print::print(unsigned long n, int base) { return base == 0 ? write(uint8_t(n)) : printNumber(n, base); }

size_t Print::print(unsigned long long n, int base) { return base == 0 ? write(uint8_t(n)) : printNumber(n, base); }

size_t Print::print(double n, int digits) {
  if (digits < 0) digits = 0;
  if (digits > 255) digits = 255;
  char text[64];
  return write(dtostrf(n, 0, (unsigned char)digits, text));
}
