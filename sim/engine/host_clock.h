// sim/engine/host_clock.h — the host's own time (its monotonic clock, in ns): what the engine
// paces itself by — wall-clock lag, how long it holds a device for its peer — and never a
// device's time (that is VTime, from the device's cycle counter).
#pragma once
#include <compare>
#include <cstdint>

namespace espfleet {

struct HostTime {
  uint64_t ns = 0;

  static constexpr HostTime from_ns(uint64_t v) { return HostTime{v}; }
  static constexpr HostTime from_ms(uint64_t v) { return HostTime{v * 1000000}; }
  constexpr auto operator<=>(const HostTime&) const = default;
  constexpr HostTime operator+(HostTime o) const { return HostTime{ns + o.ns}; }
};

HostTime host_now();  // libuv's uv_hrtime()

}  // namespace espfleet
