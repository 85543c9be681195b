// sim/config/units.cpp — parsing and formatting of durations, byte sizes and frequencies with units.
#include "units.h"

#include <limits>
#include <vector>

namespace espfleet {
namespace {

using u128 = unsigned __int128;

struct Unit {
  std::string_view name;
  uint64_t factor;  // base units (us, bytes, Hz) per one of this unit
};

// One "number unit" part: the number is mantissa / 10^decimals.
struct Part {
  uint64_t mantissa = 0;
  int decimals = 0;
  std::string_view unit;
};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_unit_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (static_cast<unsigned char>(c) >= 0x80);
}

// Splits "1m 30s" into {1,"m"},{30,"s"}; `what` is the example shown in errors.
std::vector<Part> split_parts(std::string_view text, std::string_view what) {
  std::vector<Part> parts;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && is_space(text[i])) ++i;
  };
  skip_space();
  if (i == text.size()) throw UnitError("empty value; expected " + std::string(what));
  if (text[i] == '-') throw UnitError(quoted(text) + ": must not be negative");
  if (text[i] == '+') ++i;
  while (i < text.size()) {
    Part p;
    size_t digits = 0;
    bool point = false;
    while (i < text.size() && (is_digit(text[i]) || (text[i] == '.' && !point) || text[i] == '_')) {
      if (text[i] == '.') {
        point = true;
      } else if (text[i] != '_') {
        if (p.mantissa > (std::numeric_limits<uint64_t>::max() - 9) / 10) throw UnitError(quoted(text) + ": too large");
        p.mantissa = p.mantissa * 10 + uint64_t(text[i] - '0');
        ++digits;
        if (point) ++p.decimals;
      }
      ++i;
    }
    if (digits == 0) throw UnitError(quoted(text) + ": expected " + std::string(what));
    skip_space();
    size_t u = i;
    while (i < text.size() && is_unit_char(text[i])) ++i;
    p.unit = text.substr(u, i - u);
    skip_space();
    parts.push_back(p);
  }
  return parts;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const Unit* find_unit(const std::vector<Unit>& units, std::string_view name, bool case_sensitive) {
  for (const Unit& u : units)
    if (case_sensitive ? u.name == name : iequal(u.name, name)) return &u;
  return nullptr;
}

// mantissa / 10^decimals * factor, exact, or a UnitError naming what it is not a whole number of.
u128 scale(const Part& p, uint64_t factor, std::string_view text, std::string_view base_name) {
  u128 v = u128(p.mantissa) * factor;
  u128 div = 1;
  for (int d = 0; d < p.decimals; ++d) div *= 10;
  if (v % div != 0) throw UnitError(quoted(text) + ": not a whole number of " + std::string(base_name));
  return v / div;
}

// Parses a single-part quantity (bytes, frequency) with a unit table.
u128 parse_single(std::string_view text, const std::vector<Unit>& units, uint64_t bare_factor, std::string_view what,
                  std::string_view unit_list, std::string_view base_name) {
  std::vector<Part> parts = split_parts(text, what);
  if (parts.size() != 1) throw UnitError(quoted(text) + ": expected " + std::string(what));
  const Part& p = parts[0];
  uint64_t factor = bare_factor;
  if (!p.unit.empty()) {
    const Unit* u = find_unit(units, p.unit, false);
    if (!u)
      throw UnitError(quoted(text) + ": unknown unit '" + std::string(p.unit) + "' (use " + std::string(unit_list) +
                      ")");
    factor = u->factor;
  }
  return scale(p, factor, text, base_name);
}

const std::vector<Unit>& duration_units() {
  static const std::vector<Unit> units = {
      {"us", 1},
      {"\xC2\xB5s", 1},  // µs (micro sign)
      {"\xCE\xBCs", 1},  // μs (Greek mu)
      {"ms", 1000},
      {"s", 1000000},
      {"m", 60ull * 1000000},
      {"min", 60ull * 1000000},
      {"h", 3600ull * 1000000},
      {"d", 86400ull * 1000000},
  };
  return units;
}

}  // namespace

std::string Duration::str() const { return format_duration(*this); }

Duration parse_duration(std::string_view text) {
  constexpr std::string_view what = "a duration such as \"500ms\", \"60s\" or \"2m\"";
  std::vector<Part> parts = split_parts(text, what);
  u128 total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    uint64_t factor = 1000000;  // a bare number is seconds
    if (p.unit.empty()) {
      if (parts.size() > 1) throw UnitError(quoted(text) + ": every part needs a unit (us, ms, s, m, h or d)");
    } else {
      const Unit* u = find_unit(duration_units(), p.unit, true);
      if (!u) throw UnitError(quoted(text) + ": unknown unit '" + std::string(p.unit) + "' (use us, ms, s, m, h or d)");
      factor = u->factor;
    }
    total += scale(p, factor, text, "microseconds");
    if (total > u128(std::numeric_limits<int64_t>::max())) throw UnitError(quoted(text) + ": too large");
  }
  return Duration{int64_t(total)};
}

std::string format_duration(Duration d) {
  if (d.us == 0) return "0s";
  std::string sign = d.us < 0 ? "-" : "";
  // Magnitude as unsigned so that INT64_MIN formats too.
  uint64_t v = d.us < 0 ? uint64_t(0) - uint64_t(d.us) : uint64_t(d.us);
  static const Unit order[] = {{"d", 86400ull * 1000000},
                               {"h", 3600ull * 1000000},
                               {"m", 60ull * 1000000},
                               {"s", 1000000},
                               {"ms", 1000},
                               {"us", 1}};
  for (const Unit& u : order)
    if (v % u.factor == 0) return sign + std::to_string(v / u.factor) + std::string(u.name);
  return sign + std::to_string(v) + "us";  // unreachable: factor 1 always divides
}

uint64_t parse_bytes(std::string_view text) {
  static const std::vector<Unit> units = {
      {"B", 1},           {"K", 1ull << 10},   {"KB", 1ull << 10}, {"KiB", 1ull << 10}, {"M", 1ull << 20},
      {"MB", 1ull << 20}, {"MiB", 1ull << 20}, {"G", 1ull << 30},  {"GB", 1ull << 30},  {"GiB", 1ull << 30},
  };
  u128 v = parse_single(text, units, 1, "a byte size such as \"49152\", \"48K\" or \"48KiB\"",
                        "B, K/KiB, M/MiB or G/GiB", "bytes");
  if (v > u128(std::numeric_limits<uint64_t>::max())) throw UnitError(quoted(text) + ": too large");
  return uint64_t(v);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes != 0) {
    if (bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
    if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  }
  return std::to_string(bytes);
}

uint64_t parse_bit_rate(std::string_view text) {
  static const std::vector<Unit> units = {{"bit", 1},           {"bps", 1},          {"kbit", 1000},
                                          {"kbps", 1000},       {"Mbit", 1000000},   {"Mbps", 1000000},
                                          {"Gbit", 1000000000}, {"Gbps", 1000000000}};
  u128 v = parse_single(text, units, 1, "a bit rate such as \"64kbit\" or \"2Mbit\"", "bit, kbit, Mbit or Gbit",
                        "bits per second");
  if (v > u128(std::numeric_limits<uint64_t>::max())) throw UnitError(quoted(text) + ": too large");
  return uint64_t(v);
}

std::string format_bit_rate(uint64_t bits_per_s) {
  if (bits_per_s != 0) {
    if (bits_per_s % 1000000 == 0) return std::to_string(bits_per_s / 1000000) + "Mbit";
    if (bits_per_s % 1000 == 0) return std::to_string(bits_per_s / 1000) + "kbit";
  }
  return std::to_string(bits_per_s) + "bit";
}

uint32_t parse_mhz(std::string_view text) {
  static const std::vector<Unit> units = {{"Hz", 1}, {"kHz", 1000}, {"MHz", 1000000}, {"GHz", 1000000000}};
  u128 hz = parse_single(text, units, 1000000, "a frequency such as \"80MHz\" or 160", "Hz, kHz, MHz or GHz", "Hz");
  if (hz % 1000000 != 0) throw UnitError(quoted(text) + ": not a whole number of MHz");
  if (hz / 1000000 > std::numeric_limits<uint32_t>::max()) throw UnitError(quoted(text) + ": too large");
  return uint32_t(hz / 1000000);
}

}  // namespace espfleet
