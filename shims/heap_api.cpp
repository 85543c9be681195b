// shims/heap_api.cpp — the ESP8266 core's heap entry points (pvPortMalloc & co.), which the
// Arduino.h malloc/free macros call. They go to the current device's umm heap through the
// platform; with no platform installed (plain unit tests) they fall back to the host's libc.
#include <stdlib.h>
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
