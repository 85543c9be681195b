// sim/device/serial_console.cpp — the firmware's console lines the tools read (serial_console.h).
#include "serial_console.h"

#include <charconv>

namespace espfleet {

namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The integer following `key` in s, if any.
bool int_after(std::string_view s, std::string_view key, long& out) {
  size_t at = s.find(key);
  if (at == std::string_view::npos) return false;
  std::string_view rest = s.substr(at + key.size());
  auto r = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  return r.ec == std::errc();
}

}  // namespace

ConsoleLine parse_console_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  ConsoleLine c;
  using K = ConsoleLine::Kind;
  if (starts(line, "TLS: connected in ")) {
    c.kind = K::tls_connected;
    c.has_value = int_after(line, "connected in ", c.value);
    if (!int_after(line, "ThunkStack used ", c.value2)) int_after(line, "stack low mark ", c.value2);
  } else if (line == "MQT: Connected") {
    c.kind = K::mqtt_connected;
  } else if (starts(line, "MQT: Connect failed")) {
    c.kind = K::connect_failed;
    c.has_value = int_after(line, ", tls ", c.value);
  } else if (starts(line, "MQT: Disconnected")) {
    c.kind = K::disconnected;
    c.has_value = int_after(line, ", tls ", c.value);
  } else if (starts(line, "MQT: Attempting connection")) {
    c.kind = K::attempting;
  } else if (starts(line, "MQT: tele/") || starts(line, "MQT: stat/")) {
    c.kind = K::published;
  } else if (starts(line, "MQT: received ")) {
    c.kind = K::received;
  } else if (starts(line, "MQT: Puback ")) {
    c.kind = K::acked;
    c.has_value = int_after(line, "Puback ", c.value);
  }
  return c;
}

}  // namespace espfleet
