// shims/platform.h — the one narrow interface from the Arduino shims down to the host engine.
//
// Every shim call that needs the host (clock, heap, network, flash, logging) goes through the
// EspPlatform of the device whose fiber is running, which sim/ installs for each of its slices; a
// WiFiClient then talks to its own connection (EspTcp) directly. Included only by shims/*.cpp and
// sim/ — never by core/ — and kept free of the C++ standard library so it could be built for the
// chip as well.
#pragma once
#include <stddef.h>
#include <stdint.h>

// The chip's flash: 4 MB, as a NodeMCU / Wemos D1 mini's.
static const uint32_t kEspFlashBytes = 4u << 20;

// What a millis()/micros() call costs on the chip, in cycles (shims/arduino_time.cpp; the host's
// esp_delay steps count it too).
static const uint32_t kClockReadCycles = 64;

// One TCP connection of the device (lwIP's tcp_pcb under WiFiClient, as the core's ClientContext
// is): made by EspPlatform::tcp_connect, valid until close().
class EspTcp {
 public:
  virtual size_t write(const uint8_t* buf, size_t len) = 0;
  virtual int available() = 0;
  virtual int read(uint8_t* buf, size_t len) = 0;
  virtual int peek() = 0;
  virtual bool flush(uint32_t timeout_ms) = 0;  // waits for the peer's ACK
  virtual bool connected() = 0;
  virtual void close() = 0;  // the connection (and this object) is gone after this

 protected:
  ~EspTcp() = default;
};

// The core's EEPROM emulation of one device: a RAM copy (on the device heap) of a flash sector.
struct EspEeprom {
  uint8_t* data = nullptr;
  size_t size = 0;
  bool dirty = false;
};

class EspPlatform {
 public:
  virtual ~EspPlatform() = default;

  // Clock: the device's cycle counter; charge() adds modelled work; delay/yield park the fiber.
  virtual uint64_t cycles() = 0;
  virtual uint32_t cpu_mhz() = 0;
  virtual void charge(uint32_t cycles) = 0;
  // The CPU's clock for the work that follows, as the SDK's system_update_cpu_freq (NodeMCU's TLS
  // glue runs its handshake steps at 160 MHz): charges are then cycles at `mhz` (work of C cycles
  // takes C / mhz µs), while cycles() and cpu_mhz() stay the device's own clock. 0: the device's
  // own clock again. Returns the setting it replaces (0: none), to be handed back. For work only:
  // a wait held under it (delayMicroseconds) would be shortened.
  virtual uint32_t cpu_boost(uint32_t mhz) { return 0; }
  virtual void delay_ms(uint32_t ms) = 0;
  virtual void yield() = 0;
  // The core's optimistic_yield: yield only if the cont has run interval_us since it resumed.
  virtual void optimistic_yield(uint32_t interval_us) = 0;
  // esp_delay (coredecls.h): from start_ms (a millis() the caller read), up to timeout_ms in
  // steps of intvl_ms while blocked(ctx); the same clock and calls as the chip's loop, whatever
  // steps the platform skips. By default the chip's loop itself (shims/arduino_time.cpp).
  virtual void delay_while(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, bool (*blocked)(void*),
                           void* ctx);
  // millis(): the clock in whole milliseconds (after the read's charge). Its own call, not
  // cycles(), so that the platform can tell a pass that reads only the millisecond clock.
  virtual uint32_t clock_ms();
  // The core's loop task after setup(): loop(), then the system's turn (yield), for ever; the
  // same clock and calls as that loop, whatever passes the platform skips. By default the loop
  // itself (shims/core_main.cpp).
  [[noreturn]] virtual void run_loop(void (*loop)());

  // Heap: the device's allocator (umm_malloc on the ESP8266, multi_heap on the ESP32-C3). file/line
  // tag the call site (as the core's debug heap).
  virtual void* heap_malloc(size_t size, const char* file, int line) = 0;
  virtual void* heap_calloc(size_t count, size_t size, const char* file, int line) = 0;
  virtual void* heap_realloc(void* ptr, size_t size, const char* file, int line) = 0;
  virtual void heap_free(void* ptr, const char* file, int line) = 0;
  // malloc / realloc of host_bytes charged as chip_bytes: for firmware that knows the chip's size
  // of what it allocates (NodeMCU's Lua, whose objects are smaller on the 32-bit chip:
  // docs/nodemcu.md, "Sizes"); heap_malloc's requests are charged by the heap's table of
  // firmware types instead (docs/heap.md, "Target sizes"). By default the host's bytes.
  virtual void* heap_malloc_sized(size_t host_bytes, size_t chip_bytes, const char* file, int line) {
    return heap_malloc(host_bytes, file, line);
  }
  virtual void* heap_realloc_sized(void* ptr, size_t host_bytes, size_t chip_bytes, const char* file, int line) {
    return heap_realloc(ptr, host_bytes, file, line);
  }
  virtual uint32_t heap_free_bytes() = 0;
  virtual bool heap_holds(const void* p) = 0;  // p is (in) a block of the device heap
  // Host memory of at least `bytes` the device keeps for its program's read-only data made at
  // boot (NodeMCU's module tables, in flash on the chip): the same region every boot, never the
  // device heap's; nullptr if it cannot be had.
  virtual void* program_rom(size_t bytes) = 0;
  virtual uint32_t heap_max_block() = 0;
  virtual uint8_t heap_fragmentation() = 0;
  // The lowest free heap since boot, as ESP-IDF keeps it (0 on a chip that keeps none).
  virtual uint32_t heap_min_free() { return 0; }
  virtual uint32_t heap_size() { return 0; }  // the heap's bytes (the chip's region)
  // `new` failed: the chip prints "Unhandled C++ exception: OOM" and resets (reason 254).
  [[noreturn]] virtual void oom_abort(size_t size) = 0;
  // The core's abort(): "Abort called", a software-exception reset; why: what the summary names.
  [[noreturn]] virtual void abort_called(const char* why) = 0;

  // Identity and lifecycle.
  virtual uint32_t chip_id() = 0;
  // ESP.getChipModel(): "ESP8266", "ESP32-C3" — the one firmware asks which chip it runs on where
  // Tasmota's is built for one (#ifdef ESP32).
  virtual const char* chip_model() { return "ESP8266"; }
  // uxTaskGetStackHighWaterMark(NULL) on a FreeRTOS chip: the bytes of the loop task's stack
  // never used so far (0 elsewhere).
  virtual uint32_t stack_high_water_mark() { return 0; }
  [[noreturn]] virtual void restart() = 0;
  // ESP.deepSleep(us): the chip is off for us µs (0: until a reset, here the run's end), then boots.
  [[noreturn]] virtual void deep_sleep(uint64_t us) = 0;
  // Why the device booted this time: the chip's rst_info reason (0 power on, 1 hardware WDT, 2
  // exception, 3 soft WDT, 4 software restart, 5 deep-sleep wake; 253/254 the core's own).
  virtual uint8_t reset_reason() = 0;
  virtual uint32_t random32() = 0;
  // The watchdogs: feed both (ESP.wdtFeed), or turn the soft one off/on (ESP.wdtDisable/Enable;
  // the hardware one cannot be stopped).
  virtual void wdt_feed() = 0;
  virtual void wdt_enable_soft(bool on) = 0;
  // interrupts() / noInterrupts(): on an ESP-IDF chip the interrupt watchdog resets a device that
  // keeps them off too long (docs/watchdogs.md).
  virtual void interrupts_enabled(bool on) = 0;
  // UART0 output (Serial), byte by byte as the sketch writes it; the device makes the lines.
  virtual void serial_write(const char* bytes, size_t len) = 0;
  virtual void serial_flush() = 0;  // Serial.flush(): a partial line is handed over

  // Flash: the device's own (the settings sectors, EEPROM's, the file region); erased past what
  // has been written. false beyond the chip's size.
  virtual bool flash_read(uint32_t addr, void* data, size_t size) = 0;
  virtual bool flash_write(uint32_t addr, const void* data, size_t size) = 0;
  virtual bool flash_erase_sector(uint32_t sector) = 0;
  // Software timers (the SDK's os_timer, under the core's Ticker): fire(arg) runs on the device
  // once its clock passes the due time, from its next yield or inside its delay, as the SDK's
  // task does; then every period (repeat) or once. One timer per arg: arming again re-arms it.
  virtual void timer_arm(void* arg, void (*fire)(void* arg), uint32_t ms, bool repeat) = 0;
  virtual void timer_disarm(void* arg) = 0;
  // The file region (shims/FS.h) as the firmware changes it: a file's content replaced (or, with
  // append, extended), a file removed (nullptr: every file), renamed. false: the name is too long,
  // there is no such file, or the region would not fit the flash. Reading is flash_read's.
  virtual bool fs_store(const char* path, const uint8_t* data, size_t len, bool append) = 0;
  virtual bool fs_remove(const char* path) = 0;
  virtual bool fs_rename(const char* from, const char* to) = 0;
  // The device's EEPROM state (shims/EEPROM.cpp keeps it here: the EEPROM object is every device's).
  virtual EspEeprom& eeprom() = 0;

  // The Wi-Fi station (ESP8266WiFi.h): the device's association, as sim/ models it. Status
  // values are the core's wl_status_t; addresses in network byte order (0: none).
  virtual void wifi_begin() = 0;
  virtual void wifi_disconnect() = 0;
  virtual uint8_t wifi_status() = 0;
  virtual uint32_t wifi_ip() = 0;
  virtual int32_t wifi_rssi() = 0;

  // SNTP (configTime): the device asks for the time; sntp_utc_us gives the wall time (µs since
  // 1970) once an answer has come, false before (time() then counts from 0 at boot, as the chip's).
  virtual void sntp_start() = 0;
  virtual bool sntp_utc_us(uint64_t* us) = 0;

  // GPIO: modes and output levels are recorded per device; inputs read as the pin's pull.
  virtual void gpio_mode(uint8_t pin, uint8_t mode) = 0;
  virtual void gpio_write(uint8_t pin, uint8_t level) = 0;
  virtual int gpio_read(uint8_t pin) = 0;

  // TCP (under WiFiClient): connect blocks up to timeout_ms; nullptr when it fails.
  virtual EspTcp* tcp_connect(const char* host, uint16_t port, uint32_t timeout_ms) = 0;
  virtual bool host_by_name(const char* host, uint32_t* ipv4) = 0;
  // The firmware looked for the network's events with no connection open (NodeMCU's event loop):
  // as a look at a socket, only a timer or an arrival can change what it saw (the host may then
  // skip the steps of an esp_delay, docs/scale.md).
  virtual void net_looked() {}

  // Stack thunk (BearSSL's second stack): the device-side block and the engine-call boundary.
  virtual bool thunk_acquire(uint32_t size_bytes) = 0;
  virtual void thunk_release() = 0;
  virtual uint32_t thunk_max_usage() = 0;
  virtual uint32_t thunk_refs() = 0;  // holders of the block (0: none held)
  // A secure client's handshake begins (its host time is counted as handshake time until it ends).
  virtual void tls_handshake_begin() = 0;
  // A secure client's handshake ended (shims/WiFiClientSecureBearSSL.cpp): error 0 = connected
  // after handshake_ms, else its getLastSSLError() code. A note for the run's figures, no effect.
  virtual void tls_handshake_end(int error, uint32_t handshake_ms) = 0;
  // One BearSSL engine call, fn(arg): run on the thunk stack while the device holds its thunk
  // block, with the engine's work charged (and the device may reset after it: "BSSL stack
  // smashing").
  virtual void thunk_call(void* engine, void (*fn)(void* arg), void* arg) = 0;
};

// The running device's platform: installed by the host engine for each slice of a device (none
// between slices). With none installed (plain unit tests) the shims fall back to host malloc, a
// zero clock and no network.
EspPlatform* esp_platform();
void esp_set_platform(EspPlatform* p);
