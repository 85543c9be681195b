// shims/IPAddress.cpp — IPv4 address parsing and printing. Device-side code (compiles for
// xtensa-lx106).
#include "IPAddress.h"

#include <stdio.h>
#include <string.h>

#include "Print.h"

IPAddress::operator uint32_t() const {
  uint32_t v;
  memcpy(&v, _bytes, sizeof v);
  return v;
}

IPAddress& IPAddress::operator=(uint32_t address) {
  memcpy(_bytes, &address, sizeof _bytes);
  return *this;
}

IPAddress& IPAddress::operator=(const uint8_t* address) {
  memcpy(_bytes, address, sizeof _bytes);
  return *this;
}

bool IPAddress::operator==(const uint8_t* address) const { return memcmp(_bytes, address, sizeof _bytes) == 0; }

bool IPAddress::fromString(const char* address) {
  if (!address) return false;
  uint8_t parsed[4];
  const char* p = address;
  for (int field = 0; field < 4; ++field) {
    if (field > 0 && *p++ != '.') return false;
    unsigned value = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; ++p) {
      value = value * 10 + unsigned(*p - '0');
      if (++digits > 3 || value > 255) return false;
    }
    if (digits == 0) return false;
    parsed[field] = uint8_t(value);
  }
  if (*p != 0) return false;
  memcpy(_bytes, parsed, sizeof _bytes);
  return true;
}

String IPAddress::toString() const {
  char text[16];
  snprintf(text, sizeof text, "%u.%u.%u.%u", _bytes[0], _bytes[1], _bytes[2], _bytes[3]);
  return String(text);
}

size_t IPAddress::printTo(Print& p) const {
  size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) n += p.print('.');
    n += p.print(_bytes[i], DEC);
  }
  return n;
}
