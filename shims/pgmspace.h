// shims/pgmspace.h — the ESP8266 PROGMEM API (flash-resident constants and the *_P functions).
//
// On the chip, PROGMEM data lives in flash, which may only be read with aligned 32-bit loads,
// so the core needs pgm_read_* and *_P variants of the C string functions. On the host flash
// is ordinary memory: every name here maps straight to the C function, inline. Device code
// still uses these names unchanged. Plain C headers only (this compiles for xtensa-lx106).
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PROGMEM
#define PGM_P const char*
#define PGM_VOID_P const void*
#define PSTR(s) (s)

#ifdef __cplusplus
// Distinct pointer type for flash strings; it has no body (only pointers to it exist).
class __FlashStringHelper;
#define FPSTR(p) (reinterpret_cast<const __FlashStringHelper*>(p))
#define F(s) (FPSTR(PSTR(s)))
#endif

// Reads of single values. memcpy keeps unaligned reads legal on the host; it compiles to one load.
static inline uint8_t pgm_read_byte_inlined(const void* addr) { return *(const uint8_t*)addr; }
static inline uint16_t pgm_read_word_inlined(const void* addr) {
  uint16_t v;
  memcpy(&v, addr, sizeof v);
  return v;
}
static inline uint32_t pgm_read_dword_inlined(const void* addr) {
  uint32_t v;
  memcpy(&v, addr, sizeof v);
  return v;
}
static inline float pgm_read_float_inlined(const void* addr) {
  float v;
  memcpy(&v, addr, sizeof v);
  return v;
}
static inline void* pgm_read_ptr_inlined(const void* addr) {
  void* v;
  memcpy(&v, addr, sizeof v);
  return v;
}

#define pgm_read_byte(addr) pgm_read_byte_inlined((const void*)(addr))
#define pgm_read_word(addr) pgm_read_word_inlined((const void*)(addr))
#define pgm_read_dword(addr) pgm_read_dword_inlined((const void*)(addr))
#define pgm_read_float(addr) pgm_read_float_inlined((const void*)(addr))
#define pgm_read_ptr(addr) pgm_read_ptr_inlined((const void*)(addr))
#define pgm_read_byte_near(addr) pgm_read_byte(addr)
#define pgm_read_word_near(addr) pgm_read_word(addr)
#define pgm_read_dword_near(addr) pgm_read_dword(addr)
#define pgm_read_float_near(addr) pgm_read_float(addr)
#define pgm_read_ptr_near(addr) pgm_read_ptr(addr)
#define pgm_read_byte_far(addr) pgm_read_byte(addr)
#define pgm_read_word_far(addr) pgm_read_word(addr)
#define pgm_read_dword_far(addr) pgm_read_dword(addr)
#define pgm_read_float_far(addr) pgm_read_float(addr)
#define pgm_read_ptr_far(addr) pgm_read_ptr(addr)

// Memory and string functions whose source (the second argument, or both for comparisons)
// may be in flash.
static inline void* memcpy_P(void* dest, const void* src, size_t n) { return memcpy(dest, src, n); }
static inline void* memmove_P(void* dest, const void* src, size_t n) { return memmove(dest, src, n); }
static inline int memcmp_P(const void* a, const void* b, size_t n) { return memcmp(a, b, n); }
static inline const void* memchr_P(const void* s, int c, size_t n) { return memchr(s, c, n); }
static inline size_t strlen_P(const char* s) { return strlen(s); }
static inline size_t strnlen_P(const char* s, size_t n) { return strnlen(s, n); }
static inline char* strcpy_P(char* dest, const char* src) { return strcpy(dest, src); }
static inline char* strncpy_P(char* dest, const char* src, size_t n) { return strncpy(dest, src, n); }
static inline char* strcat_P(char* dest, const char* src) { return strcat(dest, src); }
static inline char* strncat_P(char* dest, const char* src, size_t n) { return strncat(dest, src, n); }
static inline int strcmp_P(const char* a, const char* b) { return strcmp(a, b); }
static inline int strncmp_P(const char* a, const char* b, size_t n) { return strncmp(a, b, n); }
static inline int strcasecmp_P(const char* a, const char* b) { return strcasecmp(a, b); }
static inline int strncasecmp_P(const char* a, const char* b, size_t n) { return strncasecmp(a, b, n); }
// As in C (and the core), the search functions return a non-const pointer into their input.
static inline char* strchr_P(const char* s, int c) { return (char*)strchr(s, c); }
static inline char* strrchr_P(const char* s, int c) { return (char*)strrchr(s, c); }
static inline char* strstr_P(const char* haystack, const char* needle) { return (char*)strstr(haystack, needle); }

// printf family with the format string in flash.
static inline int vsnprintf_P(char* str, size_t size, const char* format, va_list ap)
    __attribute__((format(printf, 3, 0)));
static inline int vsnprintf_P(char* str, size_t size, const char* format, va_list ap) {
  return vsnprintf(str, size, format, ap);
}

static inline int snprintf_P(char* str, size_t size, const char* format, ...) __attribute__((format(printf, 3, 4)));
static inline int snprintf_P(char* str, size_t size, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(str, size, format, ap);
  va_end(ap);
  return n;
}

static inline int sprintf_P(char* str, const char* format, ...) __attribute__((format(printf, 2, 3)));
static inline int sprintf_P(char* str, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsprintf(str, format, ap);
  va_end(ap);
  return n;
}
