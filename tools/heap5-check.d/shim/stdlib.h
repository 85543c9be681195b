/* tools/heap5-check.d/shim/stdlib.h — heap_5.c includes <stdlib.h> but uses nothing from it; the
   32-bit freestanding build of tools/heap5-check has no libc headers, so this one is empty. */
#pragma once
#include <stddef.h>
