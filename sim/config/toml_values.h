// sim/config/toml_values.h — reading one scenario value from TOML: the typed readers the option
// table uses (integers in a range, durations, byte sizes, enums by name, fingerprints), each
// failing with a FieldError that says what was expected, "did you mean" suggestions for
// misspelled keys and names, and values clipped for messages. Internal to config/.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "enum_names.h"
#include "units.h"

namespace espfleet::scenario_detail {

using json = nlohmann::ordered_json;

struct FieldError {  // a bad value; the caller adds where it came from and the key
  std::string msg;
};
[[noreturn]] inline void bad(std::string msg) { throw FieldError{std::move(msg)}; }

bool read_bool(const toml::node& n);
int64_t read_int(const toml::node& n, int64_t lo, int64_t hi);
std::string read_string(const toml::node& n);
std::string read_fingerprint(const toml::node& n, int slot);  // tls.fingerprint1 (slot 0) / 2 (1)
Duration read_duration(const toml::node& n, Duration lo, Duration hi, bool whole_seconds = false);
uint64_t read_bytes(const toml::node& n);
// A TOML integer or float as a double; NaN for any other node (so a range check refuses it).
double number_value(const toml::node& n);

// The closest candidate by edit distance, else one with the same last segment, else "".
std::string suggest(std::string_view key, const std::vector<std::string>& candidates);

// A value shown in a message: JSON-quoted strings, at most 80 characters (a long one is named
// with its length, not echoed).
std::string show(const toml::node& n);
std::string clip(std::string text);

template <typename Parse>
auto read_unit(const toml::node& n, Parse parse, const char* what) {
  if (n.is_integer() && n.as_integer()->get() < 0) bad("must not be negative");
  try {
    if (auto* i = n.as_integer()) return parse(std::to_string(i->get()));
    if (auto* s = n.as_string()) return parse(s->get());
  } catch (const UnitError& e) {
    std::string msg = e.what();  // drop the quoted input: the caller shows KEY = VALUE
    size_t end = msg.size() > 1 && msg[0] == '"' ? msg.find("\": ") : std::string::npos;
    bad(end == std::string::npos ? msg : msg.substr(end + 3));
  }
  bad(std::string("expected ") + what);
}

template <class E, size_t N>
E read_enum(const toml::node& n, const EnumName<E> (&table)[N]) {
  std::string v = read_string(n);
  if (std::optional<E> e = enum_parse(table, v)) return *e;
  std::vector<std::string> names;
  for (const EnumName<E>& c : table) names.emplace_back(c.name);
  std::string msg = "must be " + enum_choices(table, true);
  if (std::string s = suggest(v, names); !s.empty()) msg += " (did you mean " + json(s).dump() + "?)";
  bad(msg);
}

template <class E, size_t N>
json enum_json(const EnumName<E> (&table)[N], E v) {
  return std::string(enum_name(table, v));
}

}  // namespace espfleet::scenario_detail
