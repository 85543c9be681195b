/* tools/heap5-check.d/shim/string.h — the libc subset heap_5.c and the harness use, for the 32-bit
   freestanding build of tools/heap5-check (the host has no 32-bit libc). Defined in harness.c. */
#pragma once
#include <stddef.h>
void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
