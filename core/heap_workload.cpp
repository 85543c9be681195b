// core/heap_workload.cpp — see heap_workload.h.
#include "heap_workload.h"

namespace {
const uint32_t kFailLogEveryMs = 60000;  // a failed malloc is logged at most once a minute
const uint32_t kBootChunkMin = 512, kBootChunkMax = 2048;
const size_t kBootTempMax = 16;  // short-lived boot buffers, freed at the end of begin()

uint32_t uniform(uint32_t lo, uint32_t hi) {  // lo..hi inclusive
  return hi <= lo ? lo : lo + (uint32_t)random((long)(hi - lo + 1));
}
}  // namespace

HeapWorkload::HeapWorkload() {
  memset(_entries, 0, sizeof _entries);
  memset(_nextDueMs, 0, sizeof _nextDueMs);
  memset(_blocks, 0, sizeof _blocks);
}

// Exponential with the given mean, from one 32-bit draw; capped at 20 means.
uint32_t HeapWorkload::drawExpMs(uint32_t meanMs) {
  if (meanMs == 0) return 0;
  double u = ((double)esp_random() + 0.5) / 4294967296.0;  // (0, 1)
  double x = -log(u) * (double)meanMs;
  double cap = 20.0 * (double)meanMs;
  if (x > cap) x = cap;
  return (uint32_t)(x + 0.5);
}

void HeapWorkload::begin(const DeviceSettings& cfg) {
  _count = cfg.workload_count <= kMaxWorkloads ? cfg.workload_count : (uint8_t)kMaxWorkloads;
  memcpy(_entries, cfg.workload, sizeof _entries);
  for (size_t i = 0; i < kMaxWorkloads; ++i) _entries[i].name[sizeof _entries[i].name - 1] = 0;

  // The boot footprint: chunks of 512..2048 bytes kept for good, with boot-time buffers
  // (64..384 bytes) between some of them that are freed once boot is done.
  void* temp[kBootTempMax];
  size_t temps = 0;
  uint32_t left = cfg.heap_boot_used;
  while (left > 0) {
    uint32_t n = uniform(kBootChunkMin, kBootChunkMax);
    if (n > left || left - n < 64) n = left;
    void* p = malloc(n);
    if (!p) {
      Serial.printf("HEAP: boot allocation of %u bytes failed, %u of %u bytes kept\n", (unsigned)n,
                    (unsigned)_bootBytes, (unsigned)cfg.heap_boot_used);
      break;
    }
    memset(p, 0xA5, n);
    _bootChunks++;
    _bootBytes += n;
    left -= n;
    if (temps < kBootTempMax && random(2) == 0) {
      uint32_t t = uniform(64, 384);
      if ((temp[temps] = malloc(t)) != nullptr) memset(temp[temps++], 0, t);
    }
  }
  for (size_t i = 0; i < temps; ++i) free(temp[i]);
  if (_bootBytes || _count)
    Serial.printf("HEAP: boot keeps %u bytes in %u blocks, %u workloads, free %u, max block %u\n", (unsigned)_bootBytes,
                  (unsigned)_bootChunks, (unsigned)_count, (unsigned)ESP.getFreeHeap(),
                  (unsigned)ESP.getMaxFreeBlockSize());

  uint32_t now = millis();
  for (size_t i = 0; i < _count; ++i) _nextDueMs[i] = now + drawExpMs(_entries[i].every_ms);
}

void HeapWorkload::allocate(size_t entry, uint32_t now) {
  const HeapWorkloadEntry& e = _entries[entry];
  if (_held == kMaxBlocks) return;  // the device is busy: this request is dropped
  uint32_t size = uniform(e.size_min ? e.size_min : 1, e.size_max);
  uint32_t life = drawExpMs(e.life_ms);
  // Code that allocates with new (Tasmota's web handlers, JSON builders) never sees NULL: the
  // core aborts with "Unhandled C++ exception: OOM" when the heap has no block that large.
  char* p = e.use_new ? new char[size] : static_cast<char*>(malloc(size));
  if (!p) {
    _failures++;
    _unlogged++;
    if (!_logged || now - _lastLogMs >= kFailLogEveryMs) {
      Serial.printf("HEAP: %s: no memory for %u bytes (free %u, max block %u, frag %u%%), %u failed\n", e.name,
                    (unsigned)size, (unsigned)ESP.getFreeHeap(), (unsigned)ESP.getMaxFreeBlockSize(),
                    (unsigned)ESP.getHeapFragmentation(), (unsigned)_unlogged);
      _logged = true;
      _lastLogMs = now;
      _unlogged = 0;
    }
    return;
  }
  // Write it as the firmware would (a JSON-ish text), so the block is really used.
  int n = snprintf(p, size, "{\"%s\":%u,\"Size\":%u}", e.name, (unsigned)now, (unsigned)size);
  if (n >= 0 && (uint32_t)n + 1 < size) memset(p + n + 1, ' ', size - (uint32_t)n - 1);
  _blocks[_held].ptr = p;
  _blocks[_held].freeAtMs = now + life;
  _blocks[_held].fromNew = e.use_new != 0;
  _held++;
}

uint32_t HeapWorkload::msUntilDue(uint32_t nowMs) const {
  uint32_t due = 0xFFFFFFFFu;
  for (size_t i = 0; i < _held; ++i) {
    int32_t left = (int32_t)(_blocks[i].freeAtMs - nowMs);
    if (left <= 0) return 0;
    if ((uint32_t)left < due) due = (uint32_t)left;
  }
  for (size_t i = 0; i < _count; ++i) {
    int32_t left = (int32_t)(_nextDueMs[i] - nowMs);
    if (left <= 0) return 0;
    if ((uint32_t)left < due) due = (uint32_t)left;
  }
  return due;
}

void HeapWorkload::loop() {
  if (_count == 0 && _held == 0) return;
  uint32_t now = millis();
  for (size_t i = 0; i < _held;) {
    if ((int32_t)(now - _blocks[i].freeAtMs) >= 0) {
      if (_blocks[i].fromNew)
        delete[] _blocks[i].ptr;
      else
        free(_blocks[i].ptr);
      _blocks[i] = _blocks[--_held];  // order of frees does not matter; order of the draws does
    } else {
      ++i;
    }
  }
  for (size_t i = 0; i < _count; ++i) {
    // Catch up at most a few missed events (after a long blocking connect) rather than a burst.
    for (int k = 0; k < 4 && (int32_t)(now - _nextDueMs[i]) >= 0; ++k) {
      allocate(i, now);
      _nextDueMs[i] += drawExpMs(_entries[i].every_ms);
    }
    if ((int32_t)(now - _nextDueMs[i]) >= 0) _nextDueMs[i] = now + drawExpMs(_entries[i].every_ms);
  }
}
