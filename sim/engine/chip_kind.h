// sim/engine/chip_kind.h — which chip a device is (device.chip) and what a scenario takes for it
// when it does not say: the chip's usual clock and the heap its firmware finds at boot. The
// chip's hardware model (memory map, stacks, allocator) is sim/device/chip.h.
#pragma once
#include <cstdint>

#include "enum_names.h"

namespace espfleet {

enum class Chip : uint8_t {
  esp8266,  // Xtensa lx106, 80/160 MHz, umm_malloc, BearSSL on the thunk stack
  esp32c3,  // RISC-V RV32IMC, 160 MHz, ESP-IDF multi_heap on TLSF, BearSSL on the loop task's stack
};
inline constexpr EnumName<Chip> kChipNames[] = {{Chip::esp8266, "esp8266"}, {Chip::esp32c3, "esp32c3"}};

struct ChipDefaults {
  uint32_t cpu_mhz;     // device.cpu_mhz when the scenario does not set it
  uint32_t heap_bytes;  // device.heap_bytes when the scenario does not set it
  uint32_t heap_max;    // the most device.heap_bytes may be (the chip's RAM for the heap)
};

// ESP8266: 80 MHz; 48 KiB of heap with the Arduino core's default memory layout (of 80 KiB of
// user DRAM). ESP32-C3: 160 MHz (Tasmota's and the Arduino core's default); one heap region of
// 152 KiB, which leaves about 140 KB free once the loop task's stack and the firmware's own boot
// allocations are taken, the figure published for an ESP32-C3 application with Wi-Fi; at most
// 320 KiB (400 KB of SRAM, 16 KB of it cache, less code and static data).
constexpr ChipDefaults chip_defaults(Chip c) {
  return c == Chip::esp32c3 ? ChipDefaults{160, 155648, 327680} : ChipDefaults{80, 49152, 81920};
}

}  // namespace espfleet
