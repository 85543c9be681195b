// shims/sketch_libc.cpp — what a user's sketch takes from the C library, as the device gives it:
// `espfleet sketch link` points the sketch's own malloc, calloc, realloc, free and strdup here
// (code that never saw Arduino.h's macros still allocates on the device heap), and its static
// destructors' registrations too, which the chip never runs (its firmware never exits), and
// abort(), rand()/srand() (time() and gettimeofday() go to coredecls.h's device versions).
#include <string.h>

#include "Arduino.h"
#include "platform.h"

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

// abort(): the device's "Abort called" reset, not the host process's end.
void espfleet_sketch_abort(void) {
  if (EspPlatform* p = esp_platform()) p->abort_called("abort()");
  abort();
}

// rand(): the device's random numbers (from the scenario's seed); srand() cannot replay a sequence.
int espfleet_sketch_rand(void) { return int(esp_random() & 0x7fffffff); }
void espfleet_sketch_srand(unsigned) {}
int espfleet_sketch_c_atexit(void (*)(void)) { return 0; }

}  // extern "C"
