// sim/config/toml_text.h — TOML text parsed by toml++ without the characters toml++ 3.3 misreads.
// Debian bookworm's toml++ 3.3 asks whether a character is Unicode whitespace with a generated
// table that reaches __builtin_unreachable for U+00A1–U+0499, U+2C5E–U+3057 (but U+3000) and
// U+FB26–U+FEFE: undefined behaviour in an optimised build wherever the parser looks at one —
// after a number, a key or a backslash, at the start of a continued line (tests/fuzz/fuzz_scenario
// found four such places: "ü" in a key, "µ" after a backslash, U+FEFE and U+FE3F after a value).
// parse_toml hands toml++ the text with each of those characters stood in for by a private-use
// character it reads safely, then puts them back in every key, string and error message, so the
// document means what its author wrote.
#pragma once
#include <toml++/toml.h>
#include <string>
#include <string_view>

namespace espfleet {

// toml::parse(text, source) without the misread characters. Throws toml::parse_error as it does;
// also for a private-use character U+E000–U+EBFF in the text (the stand-ins' range), which no
// scenario needs.
toml::table parse_toml(std::string_view text, std::string_view source);

// The text with the misread characters stood in for, and back (exposed for the tests).
std::string toml_stand_in(std::string_view text);
std::string toml_restore(std::string_view text);

}  // namespace espfleet
