// shims/heap_api.cpp — the ESP8266 core's heap entry points (pvPortMalloc & co.), which the
// Arduino.h malloc/free macros call, and ESP-IDF's heap_caps queries and the loop task's stack
// high-water mark. They go to the current device's heap through the platform; with no platform
// installed (plain unit tests) allocations fall back to the host's libc.
#include <stdlib.h>

#include "esp_heap_caps.h"
#include "freertos/task.h"
#include "platform.h"

extern "C" {

void* pvPortMalloc(size_t size, const char* file, int line) {
  if (EspPlatform* p = esp_platform()) return p->heap_malloc(size, file, line);
  return size ? ::malloc(size) : nullptr;
}

void* pvPortCalloc(size_t count, size_t size, const char* file, int line) {
  if (EspPlatform* p = esp_platform()) return p->heap_calloc(count, size, file, line);
  return (count && size) ? ::calloc(count, size) : nullptr;
}

void* pvPortRealloc(void* ptr, size_t size, const char* file, int line) {
  if (EspPlatform* p = esp_platform()) return p->heap_realloc(ptr, size, file, line);
  if (size == 0) {
    ::free(ptr);
    return nullptr;
  }
  return ::realloc(ptr, size);
}

void vPortFree(void* ptr, const char* file, int line) {
  if (EspPlatform* p = esp_platform()) return p->heap_free(ptr, file, line);
  ::free(ptr);
}

}  // extern "C"

// ESP-IDF's heap_caps queries (esp_heap_caps.h): the device has one region, internal 8-bit DRAM.

namespace {
bool in_region(uint32_t caps) {
  return (caps & ~uint32_t(MALLOC_CAP_8BIT | MALLOC_CAP_32BIT | MALLOC_CAP_INTERNAL | MALLOC_CAP_DEFAULT)) == 0;
}
}  // namespace

extern "C" {

size_t heap_caps_get_free_size(uint32_t caps) {
  EspPlatform* p = esp_platform();
  return p && in_region(caps) ? p->heap_free_bytes() : 0;
}
size_t heap_caps_get_minimum_free_size(uint32_t caps) {
  EspPlatform* p = esp_platform();
  return p && in_region(caps) ? p->heap_min_free() : 0;
}
size_t heap_caps_get_largest_free_block(uint32_t caps) {
  EspPlatform* p = esp_platform();
  return p && in_region(caps) ? p->heap_max_block() : 0;
}
size_t esp_get_free_heap_size(void) { return heap_caps_get_free_size(MALLOC_CAP_DEFAULT); }
size_t esp_get_minimum_free_heap_size(void) { return heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT); }

UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t) {
  EspPlatform* p = esp_platform();
  return p ? p->stack_high_water_mark() : 0;
}

}  // extern "C"
