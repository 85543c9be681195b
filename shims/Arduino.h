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

// SNTP, as the core starts it: time() gives the wall time once the (LAN) server has answered,
// tens of milliseconds later. The zone and server names are accepted and not used.
void configTime(int timezone_sec, int daylightOffset_sec, const char* server1, const char* server2 = nullptr,
                const char* server3 = nullptr);
void configTime(const char* tz, const char* server1, const char* server2 = nullptr, const char* server3 = nullptr);
inline void setTZ(const char*) {}

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

// GPIO, as the ESP8266 core numbers it (NodeMCU / Wemos D1 mini pin names).
#define INPUT 0x00
#define INPUT_PULLUP 0x02
#define OUTPUT 0x01
#define LED_BUILTIN 2
#define BUILTIN_LED LED_BUILTIN
static const uint8_t D0 = 16, D1 = 5, D2 = 4, D3 = 0, D4 = 2, D5 = 14, D6 = 12, D7 = 13, D8 = 15;
static const uint8_t A0 = 17;
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
int analogRead(uint8_t pin);  // A0: 0 (no input is modelled yet)
#define IRAM_ATTR
#define ICACHE_RAM_ATTR
#define ICACHE_FLASH_ATTR

// The core's small helpers.
long map(long x, long in_min, long in_max, long out_min, long out_max);
#define sq(x) ((x) * (x))
#define bit(b) (1UL << (b))
#define _BV(b) (1UL << (b))
#define bitRead(value, b) (((value) >> (b)) & 0x01)
#define bitSet(value, b) ((value) |= (1UL << (b)))
#define bitClear(value, b) ((value) &= ~(1UL << (b)))
#define bitWrite(value, b, v) ((v) ? bitSet(value, b) : bitClear(value, b))
#define lowByte(w) ((uint8_t)((w)&0xff))
#define highByte(w) ((uint8_t)((w) >> 8))
// The core's xt_rsil(0) / xt_rsil(15) (the ESP32 core's portENABLE/DISABLE_INTERRUPTS).
void interrupts();
void noInterrupts();
inline bool isDigit(int c) { return isdigit(c) != 0; }
inline bool isAlpha(int c) { return isalpha(c) != 0; }
inline bool isAlphaNumeric(int c) { return isalnum(c) != 0; }
inline bool isSpace(int c) { return isspace(c) != 0; }
inline bool isUpperCase(int c) { return isupper(c) != 0; }
inline bool isLowerCase(int c) { return islower(c) != 0; }
inline bool isHexadecimalDigit(int c) { return isxdigit(c) != 0; }
extern "C" {
char* itoa(int value, char* str, int base);
char* ltoa(long value, char* str, int base);
char* utoa(unsigned value, char* str, int base);
char* ultoa(unsigned long value, char* str, int base);
size_t strlcpy(char* dst, const char* src, size_t size);
size_t strlcat(char* dst, const char* src, size_t size);
}

#include "Esp.h"
#include "HardwareSerial.h"
#include "WString.h"
#include "pgmspace.h"

#endif  // __cplusplus
