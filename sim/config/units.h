// sim/config/units.h — config values with units: durations ("500ms", "2m"), byte sizes ("48K"),
// CPU frequencies ("80MHz"). Parsing throws UnitError with a message that quotes the input.
#pragma once
#include <compare>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim_time.h"

namespace espfleet {

// A bad value such as "5x" or "48Q". The message quotes the input and says what was expected.
struct UnitError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A configured span of time, in whole microseconds (never a bare integer of unclear unit).
struct Duration {
  int64_t us = 0;

  static constexpr Duration from_us(int64_t v) { return Duration{v}; }
  static constexpr Duration from_ms(int64_t v) { return Duration{v * 1000}; }
  static constexpr Duration from_s(int64_t v) { return Duration{v * 1000000}; }

  constexpr int64_t ms() const { return us / 1000; }  // truncated
  constexpr double seconds() const { return double(us) / 1e6; }
  constexpr VTime vtime() const { return VTime::from_us(us); }
  std::string str() const;  // = format_duration(*this)

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration{us + o.us}; }
  constexpr Duration operator-(Duration o) const { return Duration{us - o.us}; }
};

// "250us" ("µs"), "500ms", "60s", "2m" ("min"), "1h", "3d"; a decimal point is allowed when the
// result is a whole number of microseconds ("1.5s"); parts add up ("1m30s"); whitespace between
// number and unit is allowed ("50 ms"). A bare number is seconds. Negative values are rejected.
Duration parse_duration(std::string_view text);

// The shortest exact form, in the largest unit that divides the value: 60 s -> "1m",
// 90 s -> "90s", 1.5 ms -> "1500us", 0 -> "0s". parse_duration(format_duration(d)) == d.
std::string format_duration(Duration d);

// "49152", "48K" / "48KB" / "48KiB" (all 1024), "2M" / "2MiB", "1G", "512B". Multipliers are
// binary, as in ESP8266 documentation ("48 KB heap"). A decimal point is allowed when the result
// is a whole number of bytes ("1.5K" = 1536).
uint64_t parse_bytes(std::string_view text);

// "48KiB" when exact in KiB/MiB/GiB, else the number of bytes ("49153").
std::string format_bytes(uint64_t bytes);

// A link's bit rate in bits per second: "9600bit", "64kbit" / "64kbps" (1000), "2Mbit" / "2Mbps"
// (1,000,000); a bare number is bits per second. Multipliers are decimal, as for links.
uint64_t parse_bit_rate(std::string_view text);

// "64kbit" when exact in kbit/Mbit, else "9600bit".
std::string format_bit_rate(uint64_t bits_per_s);

// A CPU frequency in whole MHz: "80MHz", "160 MHz", "80000kHz", "80000000Hz"; a bare number is MHz.
uint32_t parse_mhz(std::string_view text);

}  // namespace espfleet
