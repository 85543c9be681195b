// nodemcu/tls/mbedtls_platform.cpp — what mbed TLS asks of its platform, as NodeMCU's build answers it
// (mbedtls_nodemcu_config.h): calloc and free on the heap of the device whose code is running (the
// SDK heap a NodeMCU device allocates from, as NodeMCU's os_zalloc), and the entropy of the chip's
// hardware generator — the device's random32(), made from the scenario's seed, so a device's TLS
// handshakes are the same bytes every run. Built into the mbed TLS library itself (CMakeLists.txt).
#include <stdlib.h>
#include <string.h>

#include "mbedtls/entropy.h"
#include "mbedtls/entropy_poll.h"
#include "platform.h"

extern "C" void* espfleet_mbedtls_calloc(size_t count, size_t size) {
  if (EspPlatform* p = esp_platform()) return p->heap_calloc(count, size, ESPFLEET_MBEDTLS_HEAP_SITE, 0);
  return (calloc)(count, size);  // no device: plain unit tests, as the shims' own fallback
}

extern "C" void espfleet_mbedtls_free(void* ptr) {
  if (!ptr) return;
  if (EspPlatform* p = esp_platform())
    p->heap_free(ptr, ESPFLEET_MBEDTLS_HEAP_SITE, 0);
  else
    (free)(ptr);
}

// MBEDTLS_ENTROPY_HARDWARE_ALT: NodeMCU's app/mbedtls/platform/esp_hardware.c fills the request
// from os_get_random. Without a device (plain unit tests) there is no generator: the source fails,
// and so does seeding.
extern "C" int mbedtls_hardware_poll(void*, unsigned char* output, size_t len, size_t* olen) {
  EspPlatform* p = esp_platform();
  if (!p) {
    *olen = 0;
    return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
  }
  for (size_t at = 0; at < len; at += 4) {
    const uint32_t r = p->random32();
    memcpy(output + at, &r, len - at < 4 ? len - at : 4);
  }
  *olen = len;
  return 0;
}
