// shims/Arduino.h — the Arduino/ESP8266 core API as the firmware in core/ sees it.
//
// STL-free: this header (and everything it includes) must also compile for the chip with
// xtensa-lx106-elf-g++ (tools/check-target). Host detail lives behind shims/platform.h.
#pragma once

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t byte;
typedef bool boolean;
typedef uint16_t word;

#define HIGH 0x1
#define LOW 0x0
#define PI 3.1415926535897932384626433832795
#define DEC 10
#define HEX 16
#define OCT 8
#define BIN 2

#ifdef __cplusplus
extern "C" {
#endif

// The heap, as the ESP8266 core's debug heap API: every allocation carries its call site.
void* pvPortMalloc(size_t size, const char* file, int line);
void* pvPortCalloc(size_t count, size_t size, const char* file, int line);
void* pvPortRealloc(void* ptr, size_t size, const char* file, int line);
void vPortFree(void* ptr, const char* file, int line);

unsigned long millis(void);
unsigned long micros(void);
uint64_t micros64(void);
void delay(unsigned long ms);
void delayMicroseconds(unsigned int us);
void yield(void);
void optimistic_yield(uint32_t interval_us);

#ifdef __cplusplus
}
#endif

#define malloc(s) pvPortMalloc((s), __FILE__, __LINE__)
#define calloc(n, s) pvPortCalloc((n), (s), __FILE__, __LINE__)
#define realloc(p, s) pvPortRealloc((p), (s), __FILE__, __LINE__)
#define free(p) vPortFree((p), __FILE__, __LINE__)

#ifdef __cplusplus

long random(long howbig);
long random(long howsmall, long howbig);
void randomSeed(unsigned long seed);
uint32_t esp_random(void);

template <typename T, typename U>
inline auto min(T a, U b) -> decltype(a < b ? a : b) {
  return a < b ? a : b;
}
template <typename T, typename U>
inline auto max(T a, U b) -> decltype(a > b ? a : b) {
  return a > b ? a : b;
}
template <typename T, typename L, typename H>
inline T constrain(T x, L lo, H hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}
#define _min(a, b) ((a) < (b) ? (a) : (b))
#define _max(a, b) ((a) > (b) ? (a) : (b))

#include "Esp.h"
#include "HardwareSerial.h"
#include "WString.h"
#include "pgmspace.h"

#endif  // __cplusplus
