// sim/device/gpio_pins.h — a device's GPIO as a sketch drives it: each pin's mode and output level
// (what devices.jsonl reports, e.g. the LED a message switched), and how many writes changed a
// level. An input reads its pull: 1 with INPUT_PULLUP, else 0 (no input signal is modelled yet).
#pragma once
#include <array>
#include <cstdint>

namespace espfleet {

class GpioPins {
 public:
  static constexpr uint8_t kPins = 17;  // GPIO0..16
  enum Mode : uint8_t { kUnset = 0xFF, kInput = 0x00, kOutput = 0x01, kInputPullup = 0x02 };

  void reset() {
    mode_.fill(kUnset);
    level_.fill(0);
  }
  GpioPins() { reset(); }
  void set_mode(uint8_t pin, uint8_t mode) {
    if (pin < kPins) mode_[pin] = mode;
  }
  void write(uint8_t pin, uint8_t level) {
    if (pin >= kPins) return;
    const uint8_t v = level ? 1 : 0;
    if (v != level_[pin]) changes_++;
    level_[pin] = v;
  }
  int read(uint8_t pin) const {
    if (pin >= kPins) return 0;
    if (mode_[pin] == kOutput) return level_[pin];
    return mode_[pin] == kInputPullup ? 1 : 0;
  }
  uint8_t mode(uint8_t pin) const { return pin < kPins ? mode_[pin] : uint8_t(kUnset); }
  uint8_t level(uint8_t pin) const { return pin < kPins ? level_[pin] : 0; }
  uint32_t changes() const { return changes_; }  // over the device's life, across boots

 private:
  std::array<uint8_t, kPins> mode_{}, level_{};
  uint32_t changes_ = 0;
};

}  // namespace espfleet
