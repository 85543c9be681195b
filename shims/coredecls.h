// shims/coredecls.h — the ESP8266 core's esp_delay(): wait up to timeout_ms, delaying intvl_ms
// at a time, while blocked() holds. As on the chip: each step reads millis(), returns once
// timeout_ms have passed since the call, else delays min(what is left, intvl_ms) and asks
// blocked() again, returning as soon as it says false. On the host the platform may skip the
// steps nothing can end (docs/scale.md): the device's clock and history come out the same.
#pragma once
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

// time() and gettimeofday() on the device: SNTP's wall time once configTime() has been answered,
// else the seconds since boot (a sketch's own time()/gettimeofday() calls are linked to these).
extern "C" time_t esp_device_time(time_t* t);
extern "C" int esp_device_gettimeofday(struct timeval* tv, void* tz);

// The untyped form esp_delay() calls: blocked(ctx) is asked after each step.
void esp_delay_while(uint32_t timeout_ms, bool (*blocked)(void* ctx), void* ctx, uint32_t intvl_ms);

template <typename T>
inline void esp_delay(const uint32_t timeout_ms, T&& blocked, const uint32_t intvl_ms) {
  auto* fn = &blocked;
  using Fn = decltype(fn);
  esp_delay_while(
      timeout_ms, [](void* f) -> bool { return (*static_cast<Fn>(f))(); }, (void*)fn, intvl_ms);
}
