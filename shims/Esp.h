// shims/Esp.h — the ESP8266 `ESP` object: heap figures, cycle counter, chip id, flash, restart.
#pragma once
#include <stddef.h>
#include <stdint.h>

class EspClass {
 public:
  uint32_t getFreeHeap();
  uint32_t getMaxFreeBlockSize();
  uint8_t getHeapFragmentation();
  void getHeapStats(uint32_t* free, uint32_t* max_block, uint8_t* frag);
  uint32_t getCycleCount();
  uint8_t getCpuFreqMHz();
  uint32_t getChipId();
  [[noreturn]] void restart();
  [[noreturn]] void reset();
  bool flashRead(uint32_t address, uint32_t* data, size_t size);
  bool flashWrite(uint32_t address, const uint32_t* data, size_t size);
  bool flashEraseSector(uint32_t sector);
  void wdtFeed();
  void wdtDisable();                        // the soft WDT only: the hardware WDT still resets a device at ~8.2 s
  void wdtEnable(uint32_t timeout_ms = 0);  // the soft WDT's timeout is the chip's; the argument is ignored there too
};

extern EspClass ESP;  // stateless proxy to the current device
