// tests/shims/stub_platform.h — a do-nothing EspPlatform for tests of shims and core code outside
// the engine: a zero clock, the host's malloc, no flash, no network, no thunk. A test derives
// from it and overrides what it watches; Installed puts it in place for one scope.
#pragma once
#include <cstdlib>

#include "platform.h"

namespace espfleet::test {

struct StubPlatform : EspPlatform {
  uint64_t cyc = 0;

  uint64_t cycles() override { return cyc; }
  uint32_t cpu_mhz() override { return 80; }
  void charge(uint32_t c) override { cyc += c; }
  void delay_ms(uint32_t ms) override { cyc += uint64_t(ms) * 80000; }
  void yield() override {}
  void optimistic_yield(uint32_t) override {}
  // The parenthesised names bypass Arduino.h's malloc/free macros.
  void* heap_malloc(size_t size, const char*, int) override { return size ? (malloc)(size) : nullptr; }
  void* heap_calloc(size_t n, size_t size, const char*, int) override {
    return n && size ? (calloc)(n, size) : nullptr;
  }
  void* heap_realloc(void* p, size_t size, const char*, int) override { return (realloc)(p, size); }
  void heap_free(void* p, const char*, int) override { (free)(p); }
  uint32_t heap_free_bytes() override { return 0; }
  bool heap_holds(const void*) override { return false; }
  void* program_rom(size_t) override { return nullptr; }
  uint32_t heap_max_block() override { return 0; }
  uint8_t heap_fragmentation() override { return 0; }
  [[noreturn]] void oom_abort(size_t) override { std::abort(); }
  [[noreturn]] void abort_called(const char*) override { std::abort(); }
  [[noreturn]] void deep_sleep(uint64_t) override { std::abort(); }
  uint8_t reset_reason() override { return 0; }
  uint32_t chip_id() override { return 0; }
  [[noreturn]] void restart() override { std::abort(); }
  uint32_t random32() override { return 4; }
  void wdt_feed() override {}
  void wdt_enable_soft(bool) override {}
  void interrupts_enabled(bool) override {}
  void serial_write(const char*, size_t) override {}
  void serial_flush() override {}
  bool flash_read(uint32_t, void*, size_t) override { return false; }
  bool flash_write(uint32_t, const void*, size_t) override { return false; }
  bool flash_erase_sector(uint32_t) override { return false; }
  void wifi_begin() override {}
  void wifi_disconnect() override {}
  uint8_t wifi_status() override { return 3; }  // WL_CONNECTED
  uint32_t wifi_ip() override { return 0; }
  int32_t wifi_rssi() override { return -60; }
  void sntp_start() override {}
  bool sntp_utc_us(uint64_t*) override { return false; }
  void gpio_mode(uint8_t, uint8_t) override {}
  void gpio_write(uint8_t, uint8_t) override {}
  int gpio_read(uint8_t) override { return 0; }
  EspTcp* tcp_connect(const char*, uint16_t, uint32_t) override { return nullptr; }
  bool host_by_name(const char*, uint32_t*) override { return false; }
  bool thunk_acquire(uint32_t) override { return false; }
  void thunk_release() override {}
  uint32_t thunk_max_usage() override { return 0; }
  uint32_t thunk_refs() override { return 0; }
  void tls_handshake_begin() override {}
  void tls_handshake_end(int, uint32_t) override {}
  EspEeprom& eeprom() override { return eeprom_; }
  void timer_arm(void*, void (*)(void*), uint32_t, bool) override {}
  void timer_disarm(void*) override {}
  bool fs_store(const char*, const uint8_t*, size_t, bool) override { return false; }
  bool fs_remove(const char*) override { return false; }
  bool fs_rename(const char*, const char*) override { return false; }
  EspEeprom eeprom_;
  void thunk_call(void*, void (*fn)(void*), void* arg) override { fn(arg); }
};

// The platform is process-wide: installed for one scope, always uninstalled.
struct Installed {
  explicit Installed(EspPlatform& p) { esp_set_platform(&p); }
  ~Installed() { esp_set_platform(nullptr); }
};

}  // namespace espfleet::test
