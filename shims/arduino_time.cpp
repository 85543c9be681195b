// shims/arduino_time.cpp — millis/micros/delay/yield and random() over the device's clock.
// Time is the device's own virtual time: cycles / CPU MHz. Reading the clock costs a few
// cycles (as on the chip), so a polling loop advances time.
#include <sys/time.h>
#include <time.h>
#include "Arduino.h"
#include "coredecls.h"
#include "platform.h"
#include "sntp.h"

namespace {

uint64_t host_micros() {  // only with no platform installed (plain unit tests)
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000u + uint64_t(ts.tv_nsec) / 1000u;
}
}  // namespace

uint64_t micros64() {
  EspPlatform* p = esp_platform();
  if (!p) return host_micros();
  p->charge(kClockReadCycles);
  return p->cycles() / p->cpu_mhz();
}

unsigned long micros() { return (unsigned long)(uint32_t)micros64(); }
unsigned long millis() {
  EspPlatform* p = esp_platform();
  if (!p) return (unsigned long)(uint32_t)(host_micros() / 1000u);
  p->charge(kClockReadCycles);
  return p->clock_ms();
}

uint32_t EspPlatform::clock_ms() { return uint32_t(cycles() / cpu_mhz() / 1000u); }

void delay(unsigned long ms) {
  if (EspPlatform* p = esp_platform()) p->delay_ms(ms);
}

void delayMicroseconds(unsigned int us) {
  // Busy-wait on the chip: burns cycles, does not yield.
  if (EspPlatform* p = esp_platform()) p->charge(uint32_t(us) * p->cpu_mhz());
}

void yield() {
  if (EspPlatform* p = esp_platform()) p->yield();
}

void optimistic_yield(uint32_t interval_us) {
  EspPlatform* p = esp_platform();
  if (!p) return;
  p->charge(kClockReadCycles);  // the core reads the cycle counter to decide
  p->optimistic_yield(interval_us);
}

extern "C" time_t esp_device_time(time_t* t) {
  time_t now;
  EspPlatform* p = esp_platform();
  uint64_t us;
  if (!p)
    now = ::time(nullptr);  // no device: plain unit tests
  else if (p->sntp_utc_us(&us))
    now = time_t(us / 1000000u);
  else
    now = time_t(micros64() / 1000000u);  // never set: seconds since boot, 1970 on the calendar
  if (t) *t = now;
  return now;
}

// Read as the clock is (the cost of a cycle-counter read), 0 while the time is not known.
uint32_t sntp_get_current_timestamp() {
  EspPlatform* p = esp_platform();
  if (!p) return uint32_t(::time(nullptr));  // no device: plain unit tests
  p->charge(kClockReadCycles);
  uint64_t us = 0;
  return p->sntp_utc_us(&us) ? uint32_t(us / 1000000u) : 0;
}

extern "C" int esp_device_gettimeofday(struct timeval* tv, void*) {
  EspPlatform* p = esp_platform();
  uint64_t us;
  if (!p || !p->sntp_utc_us(&us)) us = micros64();
  if (tv) {
    tv->tv_sec = time_t(us / 1000000u);
    tv->tv_usec = suseconds_t(us % 1000000u);
  }
  return 0;
}

void configTime(int, int, const char*, const char*, const char*) {
  if (EspPlatform* p = esp_platform()) p->sntp_start();
}

void configTime(const char*, const char*, const char*, const char*) {
  if (EspPlatform* p = esp_platform()) p->sntp_start();
}

uint32_t esp_random() {
  EspPlatform* p = esp_platform();
  return p ? p->random32() : uint32_t(rand());
}

long random(long howbig) {
  if (howbig <= 0) return 0;
  return long(esp_random() % uint32_t(howbig));
}

long random(long howsmall, long howbig) {
  if (howsmall >= howbig) return howsmall;
  return howsmall + random(howbig - howsmall);
}

void randomSeed(unsigned long) {
  // The chip's random() reads the hardware RNG; the device's RNG is seeded from the scenario.
}

namespace {
// The chip's esp_delay loop: millis(), delay(the step), blocked().
void chip_delay_loop(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, bool (*blocked)(void*), void* ctx) {
  for (;;) {
    uint32_t expired = (uint32_t)millis() - start_ms;
    if (expired >= timeout_ms) return;
    uint32_t left = timeout_ms - expired;
    delay(intvl_ms && intvl_ms < left ? intvl_ms : left);
    if (!blocked(ctx)) return;
  }
}
}  // namespace

void EspPlatform::delay_while(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, bool (*blocked)(void*),
                              void* ctx) {
  chip_delay_loop(start_ms, timeout_ms, intvl_ms, blocked, ctx);
}

void esp_delay_while(uint32_t timeout_ms, bool (*blocked)(void* ctx), void* ctx, uint32_t intvl_ms) {
  const uint32_t start_ms = (uint32_t)millis();
  if (EspPlatform* p = esp_platform())
    p->delay_while(start_ms, timeout_ms, intvl_ms, blocked, ctx);
  else
    chip_delay_loop(start_ms, timeout_ms, intvl_ms, blocked, ctx);  // no device: plain unit tests
}
