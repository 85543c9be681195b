// shims/Esp.cpp — the ESP object: a stateless proxy to the current device through the platform.
#include "Esp.h"
#include <stdio.h>
#include <stdlib.h>
#include "platform.h"

EspClass ESP;

namespace {
EspPlatform& plat() {
  EspPlatform* p = esp_platform();
  if (!p) abort();  // ESP.* needs a device; unit tests install a platform
  return *p;
}
}  // namespace

uint32_t EspClass::getFreeHeap() { return plat().heap_free_bytes(); }
uint32_t EspClass::getMaxFreeBlockSize() { return plat().heap_max_block(); }
uint8_t EspClass::getHeapFragmentation() { return plat().heap_fragmentation(); }
uint32_t EspClass::getMinFreeHeap() { return plat().heap_min_free(); }
uint32_t EspClass::getHeapSize() { return plat().heap_size(); }
const char* EspClass::getChipModel() {  // the chip is known without a device too (the firmware's own tests)
  EspPlatform* p = esp_platform();
  return p ? p->chip_model() : "ESP8266";
}
void EspClass::getHeapStats(uint32_t* free, uint32_t* max_block, uint8_t* frag) {
  if (free) *free = getFreeHeap();
  if (max_block) *max_block = getMaxFreeBlockSize();
  if (frag) *frag = getHeapFragmentation();
}
uint32_t EspClass::getCycleCount() { return uint32_t(plat().cycles()); }
uint8_t EspClass::getCpuFreqMHz() { return uint8_t(plat().cpu_mhz()); }
uint32_t EspClass::getChipId() { return plat().chip_id(); }
void EspClass::restart() {
  plat().restart();
  __builtin_unreachable();
}
void EspClass::reset() {
  plat().restart();
  __builtin_unreachable();
}
bool EspClass::flashRead(uint32_t address, uint32_t* data, size_t size) {
  return plat().flash_read(address, data, size);
}
bool EspClass::flashWrite(uint32_t address, const uint32_t* data, size_t size) {
  return plat().flash_write(address, data, size);
}
bool EspClass::flashEraseSector(uint32_t sector) { return plat().flash_erase_sector(sector); }
void EspClass::deepSleep(uint64_t time_us, RFMode) {
  plat().deep_sleep(time_us);
  __builtin_unreachable();
}

String EspClass::getResetReason() {
  switch (plat().reset_reason()) {
    case 0:
      return String("Power On");
    case 1:
      return String("Hardware Watchdog");
    case 2:
      return String("Exception");
    case 3:
      return String("Software Watchdog");
    case 4:
      return String("Software/System restart");
    case 5:
      return String("Deep-Sleep Wake");
    case 6:
      return String("External System");
    case 200:  // an ESP32's panic (ESP_RST_PANIC), as Tasmota's ESP32 build names it
      return String("Exception");
    default:
      return String("Software/System restart");  // the core's own resets (abort, OOM, stack smash)
  }
}

String EspClass::getResetInfo() {
  char buf[64];
  snprintf(buf, sizeof buf, "Fatal exception:0 flag:%u (%s) epc1:0x00000000", unsigned(plat().reset_reason()),
           getResetReason().c_str());
  return String(buf);
}

String EspClass::getFullVersion() {
  return String("SDK:") + getSdkVersion() + "/Core:" + getCoreVersion() + "/lwIP:STABLE-2_1_3_RELEASE";
}

uint32_t EspClass::random() { return plat().random32(); }

void EspClass::wdtFeed() { plat().wdt_feed(); }
void EspClass::wdtDisable() { plat().wdt_enable_soft(false); }
void EspClass::wdtEnable(uint32_t) { plat().wdt_enable_soft(true); }
