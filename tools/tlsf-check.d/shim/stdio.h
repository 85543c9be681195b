/* tools/tlsf-check.d/shim/stdio.h — printf for the 32-bit freestanding build of tools/tlsf-check:
   tlsf.c prints only diagnostics; harness.c writes the format string to stderr, unformatted. */
#pragma once
int printf(const char* fmt, ...);
