// shims/EEPROM.cpp — EEPROMClass (EEPROM.h) on the running device's flash and heap, its state in
// the device's platform (EspEeprom). As the core: sizes rounded up to 4 bytes, at most a sector;
// out-of-range reads give 0 and writes are ignored; commit() writes only a changed copy.
#include "EEPROM.h"

#include "Arduino.h"
#include "platform.h"

EEPROMClass EEPROM;

namespace {
constexpr size_t kSectorBytes = 4096;

EspEeprom* state() {
  EspPlatform* p = esp_platform();
  return p ? &p->eeprom() : nullptr;
}
}  // namespace

void EEPROMClass::begin(size_t size) {
  EspEeprom* e = state();
  if (!e || size == 0) return;
  if (size > kSectorBytes) size = kSectorBytes;
  size = (size + 3) & ~size_t(3);
  if (e->data && e->size != size) {  // a new size: a new copy, as the core's
    free(e->data);
    e->data = nullptr;
  }
  if (!e->data) e->data = static_cast<uint8_t*>(malloc(size));
  if (!e->data) return;
  e->size = size;
  e->dirty = false;
  esp_platform()->flash_read(kEepromSector * kSectorBytes, e->data, size);
}

uint8_t EEPROMClass::read(int address) {
  const uint8_t* d = getConstDataPtr();
  if (!d || address < 0 || size_t(address) >= length()) return 0;
  return d[address];
}

void EEPROMClass::write(int address, uint8_t val) {
  uint8_t* d = data();
  if (!d || address < 0 || size_t(address) >= length()) return;
  if (d[address] != val) {
    d[address] = val;
    mark_dirty();
  }
}

bool EEPROMClass::commit() {
  EspEeprom* e = state();
  if (!e || !e->data || !e->size) return false;
  if (!e->dirty) return true;
  EspPlatform* p = esp_platform();
  if (!p->flash_erase_sector(kEepromSector) || !p->flash_write(kEepromSector * kSectorBytes, e->data, e->size))
    return false;
  e->dirty = false;
  return true;
}

bool EEPROMClass::end() {
  EspEeprom* e = state();
  if (!e || !e->data) return false;
  const bool ok = commit();
  free(e->data);
  *e = EspEeprom{};
  return ok;
}

uint8_t* EEPROMClass::getDataPtr() {
  mark_dirty();
  return data();
}

const uint8_t* EEPROMClass::getConstDataPtr() const { return data(); }

size_t EEPROMClass::length() const {
  EspEeprom* e = state();
  return e && e->data ? e->size : 0;
}

uint8_t* EEPROMClass::data() const {
  EspEeprom* e = state();
  return e ? e->data : nullptr;
}

void EEPROMClass::mark_dirty() {
  if (EspEeprom* e = state(); e && e->data) e->dirty = true;
}
