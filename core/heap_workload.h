// core/heap_workload.h — the firmware's background heap life: what a long-running Tasmota does
// to its heap besides MQTT/TLS. At boot it allocates and keeps `heap_boot_used` bytes (in
// 512..2048-byte chunks, with short-lived boot buffers between them, so the heap does not start
// as one block); then, from loop(), each workload entry (web requests, sensor JSON, log strings)
// allocates a block of a uniform size at exponential intervals, writes it, holds it for an
// exponential lifetime and frees it. Every draw uses random(), seeded per device.
#pragma once
#include <Arduino.h>

#include "settings.h"

class HeapWorkload {
 public:
  HeapWorkload();
  // Boot footprint, then the first due times. Call once from setup(), after the settings load.
  // TasmotaApp creates the object only when the settings ask for a boot footprint or workload.
  void begin(const DeviceSettings& cfg);
  // Frees expired blocks and allocates the due ones. Cheap when nothing is due.
  void loop();
  // Milliseconds from `nowMs` until loop() has a block to free or allocate (0: now; 0xFFFFFFFF:
  // never).
  uint32_t msUntilDue(uint32_t nowMs) const;

  uint32_t failures() const { return _failures; }
  uint32_t bootUsed() const { return _bootBytes; }

 private:
  static const size_t kMaxBlocks = 24;  // outstanding workload blocks

  struct Block {
    char* ptr;
    uint32_t freeAtMs;
    bool fromNew;  // delete[] it, not free()
  };

  uint32_t drawExpMs(uint32_t meanMs);
  void allocate(size_t entry, uint32_t now);

  HeapWorkloadEntry _entries[kMaxWorkloads];
  uint8_t _count = 0;
  uint32_t _nextDueMs[kMaxWorkloads];
  size_t _bootChunks = 0;  // kept for good: nothing frees them, so only counted
  uint32_t _bootBytes = 0;
  Block _blocks[kMaxBlocks];
  size_t _held = 0;
  uint32_t _failures = 0;
  uint32_t _unlogged = 0;  // failures since the last log line
  uint32_t _lastLogMs = 0;
  bool _logged = false;
};
