// shims/Stream.cpp — the timed reads of Arduino Stream. Device-side code (compiles for
// xtensa-lx106): it waits with millis()/yield(), i.e. on the device's own clock.
#include <string.h>

#include "Arduino.h"
#include "Stream.h"

namespace {

// After `matched` bytes of pat matched, byte c arrives: how many bytes of pat match now?
// (The longest prefix of pat that is a suffix of pat[0, matched) + c.)
size_t advance_match(const char* pat, size_t matched, char c) {
  for (size_t k = matched + 1; k > 0; --k) {
    if (pat[k - 1] != c) continue;
    if (memcmp(pat, pat + matched - (k - 1), k - 1) == 0) return k;
  }
  return 0;
}

}  // namespace

int Stream::read(uint8_t* buffer, size_t len) {
  size_t n = 0;
  while (n < len && available() > 0) {
    int c = read();
    if (c < 0) break;
    buffer[n++] = uint8_t(c);
  }
  return int(n);
}

int Stream::timedRead() {
  unsigned long start = millis();
  for (;;) {
    int c = read();
    if (c >= 0) return c;
    if (millis() - start >= _timeout) return -1;
    yield();
  }
}

int Stream::timedPeek() {
  unsigned long start = millis();
  for (;;) {
    int c = peek();
    if (c >= 0) return c;
    if (millis() - start >= _timeout) return -1;
    yield();
  }
}

int Stream::peekNextDigit(bool allowDecimal, char ignore) {
  for (;;) {
    int c = timedPeek();
    if (c < 0 || c == '-' || (c >= '0' && c <= '9') || (allowDecimal && c == '.') || c == ignore) return c;
    read();  // discard
  }
}

bool Stream::findUntil(const char* target, size_t targetLen, const char* terminator, size_t termLen) {
  if (!target || targetLen == 0) return true;
  size_t matched = 0, termMatched = 0;
  for (;;) {
    int c = timedRead();
    if (c < 0) return false;
    matched = advance_match(target, matched, char(c));
    if (matched == targetLen) return true;
    if (terminator && termLen) {
      termMatched = advance_match(terminator, termMatched, char(c));
      if (termMatched == termLen) return false;
    }
  }
}

long Stream::parseInt(char ignore) {
  int c = peekNextDigit(false, ignore);
  if (c < 0) return 0;
  bool negative = false;
  unsigned long value = 0;  // unsigned: too many digits wrap instead of overflowing
  for (;;) {
    if (c == '-')
      negative = true;
    else if (c >= '0' && c <= '9')
      value = value * 10 + unsigned(c - '0');
    else if (c != ignore)
      break;
    read();
    c = timedPeek();
    if (c < 0 || !((c >= '0' && c <= '9') || c == ignore)) break;
  }
  return negative ? long(0ul - value) : long(value);
}

float Stream::parseFloat(char ignore) {
  int c = peekNextDigit(true, ignore);
  if (c < 0) return 0;
  bool negative = false, fraction = false;
  double value = 0, scale = 1;
  for (;;) {
    if (c == '-')
      negative = true;
    else if (c == '.')
      fraction = true;
    else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (fraction) scale *= 10;
    } else if (c != ignore)
      break;
    read();
    c = timedPeek();
    if (c < 0 || !((c >= '0' && c <= '9') || (c == '.' && !fraction) || c == ignore)) break;
  }
  value /= scale;
  return float(negative ? -value : value);
}

size_t Stream::readBytes(char* buffer, size_t length) {
  size_t n = 0;
  while (n < length) {
    int c = timedRead();
    if (c < 0) break;
    buffer[n++] = char(c);
  }
  return n;
}

size_t Stream::readBytesUntil(char terminator, char* buffer, size_t length) {
  size_t n = 0;
  while (n < length) {
    int c = timedRead();
    if (c < 0 || c == terminator) break;
    buffer[n++] = char(c);
  }
  return n;
}

String Stream::readString() {
  String s;
  for (int c; (c = timedRead()) >= 0;) s += char(c);
  return s;
}

String Stream::readStringUntil(char terminator) {
  String s;
  for (int c; (c = timedRead()) >= 0 && c != terminator;) s += char(c);
  return s;
}
