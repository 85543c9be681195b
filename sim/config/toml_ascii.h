// sim/config/toml_ascii.h — TOML text outside its strings and comments is ASCII (TOML 1.0: bare
// keys, numbers, dates, booleans and punctuation). A byte above 0x7F there is a syntax error, said
// here before toml++ sees it: toml++ 3.3's Unicode whitespace table reaches __builtin_unreachable
// for some such characters (found by tests/fuzz/fuzz_scenario, e.g. "ü" in a key), which is
// undefined behaviour in an optimised build.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace espfleet {

struct TomlPosition {
  uint32_t line = 0, column = 0;  // 1-based; 0: none found
};

// Where the first non-ASCII byte outside a string or comment is — or right after a backslash in a
// basic string, where only an ASCII escape may be — or {0, 0}.
TomlPosition first_non_ascii_outside_strings(std::string_view text);

}  // namespace espfleet
