// sim/device/chip.h — which chip a device is and which program it runs: explicit parts of every
// device, so that a second chip (its memory map, stacks, heap) or a second firmware plugs in as a
// value, not as an assumption spread through the engine.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "chip_heap.h"
#include "chip_kind.h"
#include "watchdog.h"

namespace espfleet {

struct ChipModel {
  Chip kind;
  const char* name;
  uint32_t dram_end;          // the device heap sits just below it (its addresses in post-mortems)
  uint32_t cont_stack_end;    // where the program's stack (cont) ends (0: it is a heap block)
  uint32_t cont_stack_bytes;  // the program's stack on the chip (the default, for the loop task)
  HeapKind heap;              // its allocator
  bool thunk;                 // BearSSL runs on a second stack (the ESP8266 core's StackThunk)
  uint32_t task_tcb_bytes;    // a FreeRTOS task's control block, allocated beside its stack (0: none)
  WatchdogSet watchdogs;      // the SDK's soft and hardware WDT, or ESP-IDF's task and interrupt WDT
};

// The ESP8266: user DRAM ends at 0x3FFFC000; the cont stack of 4096 bytes ends at 0x3fffffc0;
// umm_malloc; BearSSL on the thunk stack.
inline constexpr ChipModel kEsp8266{Chip::esp8266, "esp8266", 0x3FFFC000, 0x3fffffc0,          4096,
                                    HeapKind::umm, true,      0,          WatchdogSet::esp8266};
// The ESP32-C3 (ESP-IDF v5 with the Arduino core): the heap region ends where the ROM's reserved
// DRAM begins (0x3FCDE710); the loop task's stack — 8192 bytes by default, Tasmota's
// SET_ESP32_STACK_SIZE — and its TCB are allocated from the heap when the task is created;
// multi_heap on TLSF; no thunk (BearSSL runs on the loop task's stack, under ESP-IDF's hardware
// stack guard).
inline constexpr ChipModel kEsp32c3{Chip::esp32c3, "esp32c3", 0x3FCDE710,          0, 8192, HeapKind::tlsf,
                                    false,         344,       WatchdogSet::esp_idf};

inline constexpr const ChipModel& chip_model(Chip c) { return c == Chip::esp32c3 ? kEsp32c3 : kEsp8266; }

// A program whose writable state (its globals and statics) is gathered in one region, as a
// user's sketch is (sim/sketch/): every device keeps its own copy of the region, swapped in while
// the device runs, and boots from the pristine copy through the program's static constructors.
struct ProgramImage {
  uint8_t* state = nullptr;  // the region the program's code addresses
  size_t state_bytes = 0;
  const uint8_t* pristine = nullptr;  // its content before any constructor ran
  void (*const* ctors)() = nullptr;   // the program's static constructors, in order
  size_t ctor_count = 0;
  void (*setup)() = nullptr;  // an Arduino sketch's entry points (Program::entry is then null)
  void (*loop)() = nullptr;
};

// The firmware a device runs: its entry point (setup, then the loop, for ever) on the device's
// cont, or a sketch's setup and loop in `image`; `image` when its state is per device (nullptr:
// the program keeps no globals of its own).
struct Program {
  const char* name;
  void (*entry)();
  const ProgramImage* image = nullptr;
  // The wall clock is the network's from boot, no configTime() asked (the built-in firmware:
  // Tasmota's own NTP exchange is not modelled, as its Wi-Fi is not); else it is set once the
  // program's configTime() has been answered.
  bool clock_from_boot = false;
  // The program's own allocator, when it is not the chip's (NodeMCU: the SDK's heap).
  std::optional<HeapKind> heap{};
  // The program joins the Wi-Fi station itself (NodeMCU's wifi.sta.config); a sketch does (its
  // WiFi.begin()) whatever this says; the built-in firmware's station is up from boot.
  bool joins_wifi = false;
  // The engine follows the firmware's MQTT session through its console lines (the built-in
  // firmware's); else (a sketch, NodeMCU) a device is online while it has a connection open, and
  // its handshakes are the ones its TLS client reports to the platform.
  bool console_session = false;
};

}  // namespace espfleet
