// sim/engine/sim_time.h — simulated (device) time as its own type, in nanoseconds; never a bare
// integer. The host's own time is HostTime (host_clock.h).
#pragma once
#include <compare>
#include <cstdint>

namespace espfleet {

struct VTime {
  int64_t ns = 0;

  static constexpr VTime from_ns(int64_t v) { return VTime{v}; }
  static constexpr VTime from_us(int64_t v) { return VTime{v * 1000}; }
  static constexpr VTime from_ms(int64_t v) { return VTime{v * 1000000}; }
  static constexpr VTime from_s(double v) { return VTime{int64_t(v * 1e9)}; }
  constexpr int64_t us() const { return ns / 1000; }
  constexpr int64_t ms() const { return ns / 1000000; }
  constexpr double seconds() const { return double(ns) / 1e9; }
  constexpr double ms_f() const { return double(ns) / 1e6; }

  constexpr auto operator<=>(const VTime&) const = default;
  constexpr VTime operator+(VTime o) const { return VTime{ns + o.ns}; }
  constexpr VTime operator-(VTime o) const { return VTime{ns - o.ns}; }
  constexpr VTime& operator+=(VTime o) {
    ns += o.ns;
    return *this;
  }
};

// The first whole microsecond at or after t: a time a device's clock reaches exactly at any whole
// MHz (a park until an arbitrary nanosecond stops at the cycle before it).
constexpr VTime ceil_us(VTime t) { return VTime{(t.ns + 999) / 1000 * 1000}; }

// Cycles at f MHz <-> virtual time.
constexpr VTime cycles_to_time(uint64_t cycles, uint32_t mhz) { return VTime{int64_t(cycles * 1000 / mhz)}; }
constexpr uint64_t time_to_cycles(VTime t, uint32_t mhz) { return t.ns <= 0 ? 0 : uint64_t(t.ns) * mhz / 1000; }

}  // namespace espfleet
