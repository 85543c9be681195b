// sim/engine/enum_names.h — the one way an enum meets text: a table of {value, name} pairs per
// enum, read by name (config files, CLI options) and written by name (reports, JSON). The
// names are what users type and what machine-readable outputs carry; the code holds the value.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace espfleet {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, size_t N>
constexpr std::string_view enum_name(const EnumName<E> (&table)[N], E v) {
  for (const EnumName<E>& e : table)
    if (e.value == v) return e.name;
  return "?";
}

template <class E, size_t N>
constexpr std::optional<E> enum_parse(const EnumName<E> (&table)[N], std::string_view s) {
  for (const EnumName<E>& e : table)
    if (e.name == s) return e.value;
  return std::nullopt;
}

// "a, b or c" — for messages that list what was expected.
template <class E, size_t N>
std::string enum_choices(const EnumName<E> (&table)[N], bool quoted = false) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    out += i == 0 ? "" : i + 1 == N ? " or " : ", ";
    out += quoted ? "\"" + std::string(table[i].name) + "\"" : std::string(table[i].name);
  }
  return out;
}

}  // namespace espfleet
