// sim/config/toml_values.cpp — the typed value readers (toml_values.h).
#include "toml_values.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "fingerprint.h"
#include "fingerprint_text.h"

namespace espfleet::scenario_detail {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view last_segment(std::string_view key) {
  size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// At most kShownChars of a value in a message: a multi-megabyte value is named, not echoed.
constexpr size_t kShownChars = 80;
std::string show_value(const toml::node& n);

}  // namespace

// ---- value readers ---------------------------------------------------------------------------

bool read_bool(const toml::node& n) {
  if (auto* b = n.as_boolean()) return b->get();
  bad("expected true or false");
}

int64_t read_int(const toml::node& n, int64_t lo, int64_t hi) {
  auto* i = n.as_integer();
  if (!i) bad("expected an integer");
  if (i->get() < 0 && lo == 0) bad("must not be negative");
  if (i->get() < lo || i->get() > hi) bad("must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return i->get();
}

std::string read_string(const toml::node& n) {
  if (auto* s = n.as_string()) return s->get();
  bad("expected a string");
}

std::string read_fingerprint(const toml::node& n, int slot) {
  std::string text = read_string(n);
  if (text == "learn" || text == "any" || text.empty()) return text;
  // What the value means must be what MqttFingerprint<slot+1> would store from it on the real
  // firmware: a colon-separated or SHA-256 form is refused, saying what Tasmota would make of it.
  if (std::optional<std::string> problem = fingerprint_form_problem(text, slot)) bad(*problem);
  try {
    parse_fingerprint_slot(text);
  } catch (const FingerprintError& e) {
    bad(e.what());
  }
  return text;
}

Duration read_duration(const toml::node& n, Duration lo, Duration hi, bool whole_seconds) {
  if (n.is_floating_point()) bad("a bare number is whole seconds; write a string such as \"1.5s\"");
  Duration d = read_unit(n, parse_duration, "a duration such as \"500ms\", \"60s\" or 60 (seconds)");
  if (d < lo || d > hi) bad("must be between " + lo.str() + " and " + hi.str());
  if (whole_seconds && d.us % 1000000 != 0) bad("must be a whole number of seconds");
  return d;
}

double number_value(const toml::node& n) {
  if (n.is_integer()) return double(n.as_integer()->get());
  if (n.is_floating_point()) return n.as_floating_point()->get();
  return std::numeric_limits<double>::quiet_NaN();
}

uint64_t read_bytes(const toml::node& n) { return read_unit(n, parse_bytes, "a byte size such as 49152 or \"48K\""); }

std::string suggest(std::string_view key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, key.size() / 4) + 1;
  for (const std::string& c : candidates)
    if (size_t d = edit_distance(key, c); d < best_d) best_d = d, best = c;
  if (best.empty())
    for (const std::string& c : candidates)
      if (last_segment(c) == last_segment(key)) return c;
  return best;
}

std::string clip(std::string text) {
  if (text.size() <= kShownChars) return text;
  size_t n = text.size();
  text.resize(kShownChars - 20);
  return text + "… (" + std::to_string(n) + " characters)";
}

std::string show(const toml::node& n) { return clip(show_value(n)); }

namespace {

std::string show_value(const toml::node& n) {
  if (auto* s = n.as_string()) return json(s->get()).dump();
  if (n.is_table()) return "{...}";
  if (auto* a = n.as_array()) {
    std::string out = "[";
    for (size_t i = 0; i < a->size() && out.size() <= kShownChars; ++i) out += (i ? ", " : "") + show((*a)[i]);
    return out + "]";
  }
  std::ostringstream o;
  n.visit([&](auto&& v) { o << v; });
  return o.str();
}

}  // namespace

}  // namespace espfleet::scenario_detail
