/* tools/tlsf-check.d/shim/limits.h — the constants tlsf.c uses, for the 32-bit freestanding build
   (gcc's own limits.h would pull in the host libc's 32-bit headers, which are not installed). */
#pragma once
#define CHAR_BIT 8
#define INT_MAX 0x7fffffff
#define UINT_MAX 0xffffffffU
