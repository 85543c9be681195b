// sim/device/chip.h — which chip a device is and which program it runs: explicit parts of every
// device, so that a second chip (its memory map, stacks, heap) or a second firmware plugs in as a
// value, not as an assumption spread through the engine.
#pragma once
#include <cstddef>
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
};

}  // namespace espfleet
