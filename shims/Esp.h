// shims/Esp.h — the `ESP` object: heap figures, cycle counter, chip id, flash, restart, deep sleep,
// why the device booted, and the chip's fixed facts (a 4 MB flash, the core's versions). The
// ESP8266 core's names, and the Arduino-ESP32 core's heap and chip names beside them: the device
// answers both with its own chip's figures.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "WString.h"

enum RFMode { RF_DEFAULT = 0, RF_CAL = 1, RF_NO_CAL = 2, RF_DISABLED = 4 };
enum ADCMode { ADC_TOUT = 33, ADC_TOUT_3V3 = 33, ADC_VCC = 255, ADC_VDD = 255 };
// The core's ADC_MODE(ADC_VCC): the sketch says what A0 measures (getVcc() needs ADC_VCC).
#define ADC_MODE(mode) \
  extern "C" int __get_adc_mode(void) { return (int)(mode); }

class EspClass {
 public:
  uint32_t getFreeHeap();
  uint32_t getMaxFreeBlockSize();
  uint8_t getHeapFragmentation();
  // Arduino-ESP32: the largest free block (heap_caps_get_largest_free_block), the lowest free heap
  // since boot (heap_caps_get_minimum_free_size), the heap's size, which chip this is.
  uint32_t getMaxAllocHeap() { return getMaxFreeBlockSize(); }
  uint32_t getMinFreeHeap();
  uint32_t getHeapSize();
  const char* getChipModel();
  void getHeapStats(uint32_t* free, uint32_t* max_block, uint8_t* frag);
  uint32_t getCycleCount();
  uint8_t getCpuFreqMHz();
  uint32_t getChipId();
  [[noreturn]] void restart();
  [[noreturn]] void reset();
  bool flashRead(uint32_t address, uint32_t* data, size_t size);
  bool flashWrite(uint32_t address, const uint32_t* data, size_t size);
  bool flashEraseSector(uint32_t sector);
  // The chip sleeps (no CPU, no radio; RAM lost) for time_us, then boots again: getResetReason()
  // then says "Deep-Sleep Wake". 0 sleeps until a reset, which nothing gives in a run.
  [[noreturn]] void deepSleep(uint64_t time_us, RFMode mode = RF_DEFAULT);
  [[noreturn]] void deepSleepInstant(uint64_t time_us, RFMode mode = RF_DEFAULT) { deepSleep(time_us, mode); }
  uint64_t deepSleepMax() { return 12000000000ull; }  // about 3 h 20 min (the chip's RTC limit)
  String getResetReason();  // "Power On", "Hardware Watchdog", "Exception", "Software Watchdog", ...
  String getResetInfo();
  uint16_t getVcc() { return 3300; }              // mV: a healthy 3.3 V supply
  uint32_t getFlashChipId() { return 0x1640EF; }  // a 4 MB Winbond part
  uint32_t getFlashChipRealSize() { return 4u << 20; }
  uint32_t getFlashChipSize() { return 4u << 20; }
  uint32_t getFlashChipSpeed() { return 40000000; }
  uint32_t getSketchSize() { return 368640; }  // a typical MQTT sketch's image (the chip's, not measured)
  uint32_t getFreeSketchSpace() { return (1u << 20) - 368640; }
  bool checkFlashCRC() { return true; }
  const char* getSdkVersion() { return "2.2.2-dev(38a443e)"; }
  String getCoreVersion() { return String("3_1_2"); }
  String getFullVersion();
  uint8_t getBootVersion() { return 31; }
  uint8_t getBootMode() { return 1; }
  uint32_t random();
  void wdtFeed();
  void wdtDisable();                        // the soft WDT only: the hardware WDT still resets a device at ~8.2 s
  void wdtEnable(uint32_t timeout_ms = 0);  // the soft WDT's timeout is the chip's; the argument is ignored there too
};

extern EspClass ESP;  // stateless proxy to the current device
