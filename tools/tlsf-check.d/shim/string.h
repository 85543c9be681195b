/* tools/tlsf-check.d/shim/string.h — the libc subset the published tlsf.c needs, for the 32-bit
   freestanding build of tools/tlsf-check (the host has no 32-bit libc). Defined in harness.c. */
#pragma once
#include <stddef.h>
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
