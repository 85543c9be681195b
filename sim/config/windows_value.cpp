// sim/config/windows_value.cpp — sketch.gpio_inputs, sketch.wifi_drops and sketch.hosts entries
// (windows_value.h).
#include "windows_value.h"

#include <cctype>
#include <sstream>

#include "toml_values.h"

namespace espfleet::scenario_detail {

namespace {

constexpr size_t kMaxEntries = 8;

Duration window_duration(const std::string& field, const std::string& text) {
  Duration d;
  try {
    d = parse_duration(text);
  } catch (const UnitError& e) {
    bad(field + ": " + e.what());
  }
  if (d > Duration::from_s(30 * 86400)) bad(field + ": must be at most 30d");
  return d;
}

// The FIELD=VALUE words after the first of an entry; `length_required`: for= must be there.
TimeWindows read_windows(std::istringstream& fields, bool length_required, const char* form) {
  TimeWindows w;
  bool at = false, length = false;
  for (std::string f; fields >> f;) {
    const size_t eq = f.find('=');
    const std::string k = f.substr(0, eq), v = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (eq == std::string::npos || v.empty()) bad("'" + f + "': expected FIELD=VALUE, as in " + form);
    if (k == "at") {
      w.at = window_duration("at", v), at = true;
    } else if (k == "for") {
      w.length = window_duration("for", v), length = true;
    } else if (k == "every") {
      w.every = window_duration("every", v);
    } else if (k == "spread") {
      w.spread = window_duration("spread", v);
    } else {
      bad("unknown field '" + k + "' (expected at=, for=, every=, spread=), as in " + form);
    }
  }
  if (!at) bad(std::string("at= is missing, as in ") + form);
  if (length_required && (!length || w.length.us <= 0))
    bad(std::string("for= (longer than 0) is missing, as in ") + form);
  if (w.every.us > 0 && w.length.us <= 0) bad("every= needs for= (a window that never ends cannot repeat)");
  if (w.every.us > 0 && w.every <= w.length)
    bad("every=" + w.every.str() + " must be longer than for=" + w.length.str());
  return w;
}

template <class T, class F>
std::vector<T> read_list(const toml::node& n, F one) {
  const toml::array* a = n.as_array();
  if (!a) bad("expected a list of strings");
  if (a->size() > kMaxEntries) bad("at most " + std::to_string(kMaxEntries) + " entries");
  std::vector<T> out;
  for (size_t i = 0; i < a->size(); ++i) {
    const auto* s = (*a)[i].as_string();
    if (!s) bad("entry " + std::to_string(i + 1) + ": expected a string");
    try {
      out.push_back(one(s->get()));
    } catch (const FieldError& e) {
      bad("entry " + std::to_string(i + 1) + " (\"" + s->get() + "\"): " + e.msg);
    }
  }
  return out;
}

const char* const kGpioForm = "\"PIN=LEVEL at=DUR [for=DUR] [every=DUR] [spread=DUR]\", e.g. \"0=0 at=10s for=200ms\"";
const char* const kDropForm = "\"at=DUR for=DUR [every=DUR] [spread=DUR]\", e.g. \"at=60s for=10s spread=5s\"";

}  // namespace

std::vector<GpioInput> read_gpio_inputs(const toml::node& n) {
  return read_list<GpioInput>(n, [](const std::string& text) {
    std::istringstream fields(text);
    std::string head;
    fields >> head;
    const size_t eq = head.find('=');
    if (eq == std::string::npos) bad(std::string("expected ") + kGpioForm);
    GpioInput g;
    int pin = -1, level = -1;
    try {
      pin = std::stoi(head.substr(0, eq));
      level = std::stoi(head.substr(eq + 1));
    } catch (const std::exception&) {
      bad("'" + head + "': expected PIN=LEVEL (GPIO 0..16, level 0 or 1)");
    }
    if (pin < 0 || pin > 16) bad("pin " + std::to_string(pin) + ": the ESP8266 has GPIO 0..16");
    if (level != 0 && level != 1) bad("level " + std::to_string(level) + ": must be 0 or 1");
    g.pin = uint8_t(pin);
    g.level = uint8_t(level);
    g.when = read_windows(fields, false, kGpioForm);
    return g;
  });
}

std::vector<TimeWindows> read_wifi_drops(const toml::node& n) {
  return read_list<TimeWindows>(n, [](const std::string& text) {
    std::istringstream fields(text);
    return read_windows(fields, true, kDropForm);
  });
}

std::vector<HostMapping> read_host_map(const toml::node& n) {
  std::vector<HostMapping> out = read_list<HostMapping>(n, [](const std::string& text) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) bad("expected \"NAME=broker\" or \"NAME=none\"");
    HostMapping h;
    for (char c : text.substr(0, eq)) h.name += char(std::tolower(static_cast<unsigned char>(c)));
    if (h.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
      bad("'" + h.name + "': not a host name (letters, digits, '.' and '-')");
    const std::string to = text.substr(eq + 1);
    if (to == "broker")
      h.to = HostMapping::To::broker;
    else if (to == "none")
      h.to = HostMapping::To::nowhere;
    else
      bad("'" + to + "': expected broker (the run's broker) or none (the name does not resolve)");
    return h;
  });
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (out[i].name == out[j].name) bad("'" + out[i].name + "' is listed twice");
  return out;
}

std::string format_host_mapping(const HostMapping& h) {
  return h.name + (h.to == HostMapping::To::broker ? "=broker" : "=none");
}

std::string format_windows(const TimeWindows& w) {
  std::string s = "at=" + w.at.str();
  if (w.length.us > 0) s += " for=" + w.length.str();
  if (w.every.us > 0) s += " every=" + w.every.str();
  if (w.spread.us > 0) s += " spread=" + w.spread.str();
  return s;
}

std::string format_gpio_input(const GpioInput& g) {
  return std::to_string(g.pin) + "=" + std::to_string(g.level) + " " + format_windows(g.when);
}

}  // namespace espfleet::scenario_detail
