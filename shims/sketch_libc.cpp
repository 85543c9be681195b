// shims/sketch_libc.cpp — what a user's sketch takes from the C library, as the device gives it:
// `espfleet sketch link` points the sketch's own malloc, calloc, realloc, free and strdup here
// (code that never saw Arduino.h's macros still allocates on the device heap), and its static
// destructors' registrations too, which the chip never runs (its firmware never exits).
#include <string.h>

#include "Arduino.h"

extern "C" {

void* espfleet_sketch_malloc(size_t n) { return pvPortMalloc(n, nullptr, 0); }
void* espfleet_sketch_calloc(size_t n, size_t size) { return pvPortCalloc(n, size, nullptr, 0); }
void* espfleet_sketch_realloc(void* p, size_t n) { return pvPortRealloc(p, n, nullptr, 0); }
void espfleet_sketch_free(void* p) { vPortFree(p, nullptr, 0); }

char* espfleet_sketch_strdup(const char* s) {
  const size_t n = strlen(s) + 1;
  char* d = static_cast<char*>(pvPortMalloc(n, nullptr, 0));
  if (d) memcpy(d, s, n);
  return d;
}

int espfleet_sketch_atexit(void (*)(void*), void*, void*) { return 0; }
int espfleet_sketch_c_atexit(void (*)(void)) { return 0; }

}  // extern "C"
