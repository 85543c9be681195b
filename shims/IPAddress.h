// shims/IPAddress.h — an IPv4 address (the ESP8266 core's IPAddress, without IPv6).
// As on the core, the uint32_t form is the four bytes in memory order (network order), so
// IPAddress(192,168,1,2)[0] == 192 and uint32_t(ip) == lwIP's ip4_addr_t.addr.
#pragma once

#include <stdint.h>

#include "Printable.h"
#include "WString.h"

class IPAddress : public Printable {
 public:
  IPAddress() : IPAddress(0, 0, 0, 0) {}
  IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d) : _bytes{a, b, c, d} {}
  IPAddress(uint32_t address) { *this = address; }
  IPAddress(int address) : IPAddress(uint32_t(address)) {}  // so IPAddress(0) is not ambiguous
  IPAddress(const uint8_t* address) { *this = address; }

  // Dotted quad, exactly four decimal fields 0..255 and nothing else. On failure the address
  // is left unchanged and false is returned.
  bool fromString(const char* address);
  bool fromString(const String& address) { return fromString(address.c_str()); }

  operator uint32_t() const;
  IPAddress& operator=(uint32_t address);
  IPAddress& operator=(const uint8_t* address);
  bool operator==(const IPAddress& other) const { return uint32_t(*this) == uint32_t(other); }
  bool operator==(uint32_t address) const { return uint32_t(*this) == address; }
  bool operator==(const uint8_t* address) const;
  bool operator!=(const IPAddress& other) const { return !(*this == other); }
  bool operator!=(uint32_t address) const { return !(*this == address); }
  bool operator!=(const uint8_t* address) const { return !(*this == address); }
  uint8_t operator[](int index) const { return _bytes[index]; }
  uint8_t& operator[](int index) { return _bytes[index]; }

  bool isSet() const { return uint32_t(*this) != 0; }  // not 0.0.0.0
  bool isV4() const { return true; }
  bool isV6() const { return false; }
  uint32_t v4() const { return uint32_t(*this); }
  String toString() const;
  size_t printTo(Print& p) const override;

 private:
  uint8_t _bytes[4];
};
