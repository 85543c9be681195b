// shims/esp_heap_caps.h — ESP-IDF's heap capabilities API as an ESP32 sketch or Tasmota calls it,
// on the device's one modelled heap region (internal, 8-bit capable DRAM): every capability set
// that region has names it, any other (SPIRAM, DMA-only, …) has no memory.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define MALLOC_CAP_EXEC (1 << 0)
#define MALLOC_CAP_32BIT (1 << 1)
#define MALLOC_CAP_8BIT (1 << 2)
#define MALLOC_CAP_DMA (1 << 3)
#define MALLOC_CAP_SPIRAM (1 << 10)
#define MALLOC_CAP_INTERNAL (1 << 11)
#define MALLOC_CAP_DEFAULT (1 << 12)

extern "C" {
size_t heap_caps_get_free_size(uint32_t caps);
size_t heap_caps_get_minimum_free_size(uint32_t caps);
size_t heap_caps_get_largest_free_block(uint32_t caps);
size_t esp_get_free_heap_size(void);
size_t esp_get_minimum_free_heap_size(void);
}
