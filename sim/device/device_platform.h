// sim/device/device_platform.h — the host engine's side of shims/platform.h for one device: every
// shim call of the device's firmware lands here and works on the device's parts. Installed as the
// running platform for each of the device's slices (device.cpp).
#pragma once
#include "platform.h"

namespace espfleet {

class Device;

class DevicePlatform final : public EspPlatform {
 public:
  explicit DevicePlatform(Device& d) : d_(d) {}

  uint64_t cycles() override;
  uint32_t cpu_mhz() override;
  void charge(uint32_t cycles) override;
  void delay_ms(uint32_t ms) override;
  void yield() override;
  void optimistic_yield(uint32_t interval_us) override;
  void delay_while(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, bool (*blocked)(void*),
                   void* ctx) override;  // delay_while.cpp

  void* heap_malloc(size_t size, const char* file, int line) override;
  void* heap_calloc(size_t count, size_t size, const char* file, int line) override;
  void* heap_realloc(void* ptr, size_t size, const char* file, int line) override;
  void heap_free(void* ptr, const char* file, int line) override;
  uint32_t heap_free_bytes() override;
  uint32_t heap_max_block() override;
  uint8_t heap_fragmentation() override;
  [[noreturn]] void oom_abort(size_t size) override;

  uint32_t chip_id() override;
  [[noreturn]] void restart() override;
  uint32_t random32() override;
  void wdt_feed() override;
  void wdt_enable_soft(bool on) override;
  void wifi_begin() override;
  void wifi_disconnect() override;
  uint8_t wifi_status() override;
  uint32_t wifi_ip() override;
  int32_t wifi_rssi() override;
  void gpio_mode(uint8_t pin, uint8_t mode) override;
  void gpio_write(uint8_t pin, uint8_t level) override;
  int gpio_read(uint8_t pin) override;
  void serial_write(const char* bytes, size_t len) override;
  void serial_flush() override;

  bool flash_read(uint32_t addr, void* data, size_t size) override;
  bool flash_write(uint32_t addr, const void* data, size_t size) override;
  bool flash_erase_sector(uint32_t sector) override;

  EspTcp* tcp_connect(const char* host, uint16_t port, uint32_t timeout_ms) override;
  bool host_by_name(const char* host, uint32_t* ipv4) override;

  bool thunk_acquire(uint32_t size_bytes) override;
  void thunk_release() override;
  uint32_t thunk_max_usage() override;
  void thunk_call(void* engine, void (*fn)(void*), void* arg) override;

  Device& device() { return d_; }

 private:
  // What a step of delay_while cannot skip unless it stays the same: calls that read the clock or
  // change the device (heap, network, flash, log, BearSSL, randomness), counted here.
  uint64_t effects() const;
  // Skips the steps of an idle delay_while (delay_while.cpp); false when it ran none.
  bool skip_idle_steps(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, uint64_t step_cost);

  Device& d_;
  uint64_t calls_ = 0;  // the counted calls (effects())
  // optimistic_yield: the slice (Task::slices) it last saw, and the clock when it first saw it.
  uint64_t seen_slice_ = UINT64_MAX, slice_cycles_ = 0;
};

}  // namespace espfleet
