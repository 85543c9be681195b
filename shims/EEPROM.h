// shims/EEPROM.h — the ESP8266 core's EEPROM emulation: begin(size) copies one flash sector of the
// device into a RAM buffer on its heap; read/write/get/put work on the copy; commit() erases the
// sector and writes the copy back when something changed. Each device has its own (the platform
// keeps the state: this object is every device's), kept in its flash across reboots.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// The sector the core puts EEPROM in is the one before its file system: here sector 2 (0x2000).
static const uint32_t kEepromSector = 2;

class EEPROMClass {
 public:
  void begin(size_t size);
  uint8_t read(int address);
  void write(int address, uint8_t val);
  bool commit();
  bool end();             // commit, then free the copy
  uint8_t* getDataPtr();  // the copy, marked changed (the caller may write it)
  const uint8_t* getConstDataPtr() const;
  size_t length() const;

  template <typename T>
  T& get(int address, T& t) {
    const uint8_t* d = getConstDataPtr();
    if (d && address >= 0 && size_t(address) + sizeof(T) <= length()) memcpy(&t, d + address, sizeof(T));
    return t;
  }
  template <typename T>
  const T& put(int address, const T& t) {
    if (address < 0 || size_t(address) + sizeof(T) > length()) return t;
    uint8_t* d = data();
    if (memcmp(d + address, &t, sizeof(T)) != 0) {
      memcpy(d + address, &t, sizeof(T));
      mark_dirty();
    }
    return t;
  }

 private:
  uint8_t* data() const;
  void mark_dirty();
};

extern EEPROMClass EEPROM;
