// sim/device/chip.h — which chip a device is and which program it runs: explicit parts of every
// device, so that a second chip (its memory map, stacks, heap) or a second firmware plugs in as a
// value, not as an assumption spread through the engine.
#pragma once
#include <cstdint>

namespace espfleet {

struct ChipModel {
  const char* name;
  uint32_t dram_end;          // the device heap sits just below it (its addresses in post-mortems)
  uint32_t cont_stack_end;    // where the program's stack (cont) ends
  uint32_t cont_stack_bytes;  // the program's stack on the chip
};

// The ESP8266: user DRAM ends at 0x3FFFC000; the cont stack of 4096 bytes ends at 0x3fffffc0.
inline constexpr ChipModel kEsp8266{"esp8266", 0x3FFFC000, 0x3fffffc0, 4096};

// The firmware a device runs: its entry point (setup, then the loop, for ever) on the device's cont.
struct Program {
  const char* name;
  void (*entry)();
};

}  // namespace espfleet
