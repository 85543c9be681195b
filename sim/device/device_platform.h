// sim/device/device_platform.h — the host engine's side of shims/platform.h for one device: every
// shim call of the device's firmware lands here and works on the device's parts. Installed as the
// running platform for each of the device's slices (device.cpp).
#pragma once
#include <csetjmp>
#include <vector>

#include "device_net.h"
#include "flash_image.h"
#include "platform.h"
#include "time_windows.h"

namespace espfleet {

class Device;

class DevicePlatform final : public EspPlatform, public EffectGuard {
 public:
  explicit DevicePlatform(Device& d) : d_(d) {}

  uint64_t cycles() override;
  uint32_t cpu_mhz() override;
  void charge(uint32_t cycles) override;
  uint32_t cpu_boost(uint32_t mhz) override;
  void delay_ms(uint32_t ms) override;
  void yield() override;
  void optimistic_yield(uint32_t interval_us) override;
  void delay_while(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, bool (*blocked)(void*),
                   void* ctx) override;  // delay_while.cpp
  uint32_t clock_ms() override;          // loop_passes.cpp
  [[noreturn]] void run_loop(void (*loop)()) override;

  void* heap_malloc(size_t size, const char* file, int line) override;
  void* heap_calloc(size_t count, size_t size, const char* file, int line) override;
  void* heap_realloc(void* ptr, size_t size, const char* file, int line) override;
  void heap_free(void* ptr, const char* file, int line) override;
  void* heap_malloc_sized(size_t host_bytes, size_t chip_bytes, const char* file, int line) override;
  void* heap_realloc_sized(void* ptr, size_t host_bytes, size_t chip_bytes, const char* file, int line) override;
  uint32_t heap_free_bytes() override;
  bool heap_holds(const void* p) override;
  void* program_rom(size_t bytes) override;
  uint32_t heap_max_block() override;
  uint8_t heap_fragmentation() override;
  [[noreturn]] void oom_abort(size_t size) override;
  [[noreturn]] void abort_called(const char* why) override;
  [[noreturn]] void deep_sleep(uint64_t us) override;
  uint8_t reset_reason() override;

  uint32_t chip_id() override;
  [[noreturn]] void restart() override;
  uint32_t random32() override;
  void wdt_feed() override;
  void wdt_enable_soft(bool on) override;
  void interrupts_enabled(bool on) override;
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
  uint32_t thunk_refs() override;
  uint32_t stack_high_water_mark() override;
  // A chip without a thunk: the loop task's deepest estimated use so far (BearSSL calls), since boot.
  uint32_t loop_stack_peak() const { return loop_stack_peak_; }
  const void* loop_stack() const { return loop_stack_; }  // a FreeRTOS chip's loop task stack (null: none)
  const char* chip_model() override;
  uint32_t heap_min_free() override;
  uint32_t heap_size() override;
  void tls_handshake_begin() override { handshaking_ = true; }
  void tls_handshake_end(int error, uint32_t handshake_ms) override;
  bool handshaking() const { return handshaking_; }  // a sketch's secure client is in a handshake
  EspEeprom& eeprom() override { return eeprom_; }
  void timer_arm(void* arg, void (*fire)(void*), uint32_t ms, bool repeat) override;
  void timer_disarm(void* arg) override;
  bool fs_store(const char* path, const uint8_t* data, size_t len, bool append) override;
  bool fs_remove(const char* path) override;
  bool fs_rename(const char* from, const char* to) override;
  // The earliest armed timer's due time (false: none).
  bool next_timer(VTime* due) const;
  void net_looked() override;
  // The earliest moment something outside the firmware's memory can change what it sees without a
  // call of its own: a socket's event, the station joining or dropping, an input pin (false: none).
  bool next_change(VTime* at) const;
  void sntp_start() override;
  bool sntp_utc_us(uint64_t* us) override;
  // The chip's flash: 4 MB, as a NodeMCU / Wemos D1 mini's.
  static constexpr uint64_t kFlashBytes = kEspFlashBytes;
  // SNTP's answer arrives this long after configTime() (one exchange with a LAN time server).
  static constexpr uint32_t kSntpReplyMs = 40;
  void thunk_call(void* engine, void (*fn)(void*), void* arg) override;

  // A call that changes the device or the world is about to happen: a loop-pass probe ends here.
  void before_effect() override {
    if (probing_) std::longjmp(*probe_exit_, 1);
  }

  // A boot: what the device held in RAM is gone (a probe under way, SNTP time, EEPROM copy, timers).
  void boot();

  Device& device() { return d_; }
  // The sketch's loop passes run, and skipped as idle, since the device was made (loop_passes.cpp).
  uint64_t run_passes() const { return run_passes_; }
  uint64_t skipped_passes() const { return skipped_passes_; }

 private:
  // What a step of delay_while cannot skip unless it stays the same: calls that read the clock or
  // change the device (heap, network, flash, log, BearSSL, randomness), counted here.
  uint64_t effects() const;
  void effect() {
    before_effect();
    ++calls_;
  }
  // A host name the scenario says does not resolve (sketch.hosts).
  bool host_unresolvable(const char* host) const;
  // The scenario's i-th input signal on this device.
  WindowSchedule input_schedule(size_t i) const;
  // Rewrites the file region with `files`, charging the erase and the writes as the chip's flash.
  bool fs_rewrite(const std::vector<FlashFile>& files);
  // Runs the timers that are due (their callbacks are the device's code); how many ran.
  int run_due_timers();
  // `limit` (cycles), or earlier when a socket, the station or a timer can change before it.
  uint64_t quiet_until(uint64_t limit) const;
  // Sleeps through the idle loop passes, each `pass` cycles from `end`, that end by `limit`.
  void skip_passes(uint64_t end, uint64_t pass, uint64_t limit);
  // The first millisecond after `ms` at which loop() would not be idle, probing up to `limit`.
  uint32_t first_busy_ms(void (*loop)(), uint32_t ms, uint64_t limit);
  // Runs loop() once as if millis() said `ms`, and undoes it: true when that pass is idle.
  bool probe_pass(void (*loop)(), uint32_t ms);
  // Probing looks this far ahead at most; a probe needs this much room before the clock's alarm.
  static constexpr uint64_t kProbeMs = 2000, kProbeAlarmRoomMs = 1;
  // A pass that reads no clock at all is skipped for at most this long at a time.
  static constexpr uint64_t kTimelessSkipMs = 100;

  Device& d_;
  uint64_t calls_ = 0;     // the counted calls (effects())
  uint64_t ms_reads_ = 0;  // millis() reads (effects() counts them; an idle loop pass may make them)
  uint64_t run_passes_ = 0, skipped_passes_ = 0;
  bool probing_ = false;   // a probe pass is running (probe_pass)
  uint32_t probe_ms_ = 0;  // what millis() says in it
  std::jmp_buf* probe_exit_ = nullptr;
  // optimistic_yield: the slice (Task::slices) it last saw, and the clock when it first saw it.
  uint64_t seen_slice_ = UINT64_MAX, slice_cycles_ = 0;
  // SNTP since this boot: the device-clock millisecond its answer arrives (UINT64_MAX: never asked).
  uint64_t sntp_answer_ms_ = UINT64_MAX;
  EspEeprom eeprom_;  // its RAM copy lives in the device heap: forgotten at every boot
  struct SoftTimer {
    void* arg;
    void (*fire)(void*);
    uint64_t due, period;  // cycles; period 0: once
  };
  std::vector<SoftTimer> timers_;   // armed, in no order (a sketch has a few); cleared at boot
  std::unique_ptr<uint8_t[]> rom_;  // program_rom: the program's boot-time read-only data (host memory)
  size_t rom_bytes_ = 0;
  uint64_t timers_fired_ = 0;
  bool handshaking_ = false;
  void* loop_stack_ = nullptr;    // a FreeRTOS chip's loop task stack (a heap block), since boot
  uint32_t loop_refs_ = 0;        // the firmware's thunk references on a chip without one
  uint32_t loop_stack_peak_ = 0;  // estimated chip bytes of the loop task's deepest BearSSL call
};

}  // namespace espfleet
