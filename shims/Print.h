// shims/Print.h — the Arduino Print base class (ESP8266 flavour): text and numbers out to a
// byte sink that implements write(uint8_t). Device-side; compiles for xtensa-lx106.
//   - numbers: base 2..36 with uppercase digits (String uses lowercase, as on the core);
//     base 0 writes the value as one raw byte; a '-' only in base 10;
//   - double: fixed notation with `digits` decimals (dtostrf), "nan"/"inf"/"ovf" as the core;
//   - printf formats into a 64-byte stack buffer and, for longer output, into a buffer from
//     the device heap (a long printf allocates on the chip too); if that fails nothing is
//     written and 0 is returned.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "Printable.h"
#include "WString.h"

#ifndef DEC
#define DEC 10
#define HEX 16
#define OCT 8
#define BIN 2
#endif

class Print {
 public:
  virtual ~Print() {}

  int getWriteError() { return _writeError; }
  void clearWriteError() { setWriteError(0); }

  virtual size_t write(uint8_t b) = 0;
  virtual size_t write(const uint8_t* buffer, size_t size);  // byte by byte, stops at a failure
  size_t write(const char* str) { return str ? write(reinterpret_cast<const uint8_t*>(str), strlen(str)) : 0; }
  size_t write(const char* buffer, size_t size) { return write(reinterpret_cast<const uint8_t*>(buffer), size); }
  // Integer overloads so that write(0) or write('a') pick the byte writer, not a pointer.
  size_t write(char c) { return write(uint8_t(c)); }
  size_t write(int8_t c) { return write(uint8_t(c)); }
  size_t write(short t) { return write(uint8_t(t)); }
  size_t write(unsigned short t) { return write(uint8_t(t)); }
  size_t write(int t) { return write(uint8_t(t)); }
  size_t write(unsigned int t) { return write(uint8_t(t)); }
  size_t write(long t) { return write(uint8_t(t)); }
  size_t write(unsigned long t) { return write(uint8_t(t)); }
  size_t write(long long t) { return write(uint8_t(t)); }
  size_t write(unsigned long long t) { return write(uint8_t(t)); }

  virtual int availableForWrite() { return 0; }
  virtual void flush() {}

  size_t printf(const char* format, ...) __attribute__((format(printf, 2, 3)));
  size_t printf_P(PGM_P format, ...) __attribute__((format(printf, 2, 3)));

  size_t print(const __FlashStringHelper* s) { return write(reinterpret_cast<const char*>(s)); }
  size_t print(const String& s) { return write(s.c_str(), s.length()); }
  size_t print(const char str[]) { return write(str); }
  size_t print(char c) { return write(uint8_t(c)); }
  size_t print(unsigned char n, int base = DEC) { return print((unsigned long)n, base); }
  size_t print(int n, int base = DEC);
  size_t print(unsigned int n, int base = DEC) { return print((unsigned long)n, base); }
  size_t print(long n, int base = DEC);
  size_t print(unsigned long n, int base = DEC);
  size_t print(long long n, int base = DEC);
  size_t print(unsigned long long n, int base = DEC);
  size_t print(double n, int digits = 2);
  size_t print(const Printable& x) { return x.printTo(*this); }

  size_t println() { return write("\r\n", 2); }
  size_t println(const __FlashStringHelper* s) { return line(print(s)); }
  size_t println(const String& s) { return line(print(s)); }
  size_t println(const char str[]) { return line(print(str)); }
  size_t println(char c) { return line(print(c)); }
  size_t println(unsigned char n, int base = DEC) { return line(print(n, base)); }
  size_t println(int n, int base = DEC) { return line(print(n, base)); }
  size_t println(unsigned int n, int base = DEC) { return line(print(n, base)); }
  size_t println(long n, int base = DEC) { return line(print(n, base)); }
  size_t println(unsigned long n, int base = DEC) { return line(print(n, base)); }
  size_t println(long long n, int base = DEC) { return line(print(n, base)); }
  size_t println(unsigned long long n, int base = DEC) { return line(print(n, base)); }
  size_t println(double n, int digits = 2) { return line(print(n, digits)); }
  size_t println(const Printable& x) { return line(print(x)); }

 protected:
  void setWriteError(int err = 1) { _writeError = err; }

 private:
  size_t line(size_t n) { return n + println(); }
  size_t printNumber(unsigned long long n, int base);
  size_t printSigned(long long n, int base, bool narrow);
  size_t formatAndWrite(const char* format, va_list ap) __attribute__((format(printf, 2, 0)));

  int _writeError = 0;
};
