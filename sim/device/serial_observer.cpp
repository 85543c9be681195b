// sim/serial_observer.cpp — parse the handful of firmware log lines the run report needs.
#include "serial_observer.h"

#include <charconv>

#include "device.h"

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

void observe_serial_line(Device& d, std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  DeviceStats& st = d.stats;
  long v = 0;
  if (starts(line, "TLS: connected in ")) {
    if (int_after(line, "connected in ", v)) st.handshake_ms.push_back(uint32_t(v));
  } else if (line == "MQT: Connected") {
    st.mqtt_connects++;
    st.tls_error = 0;
    st.state = "connected";
    if (st.first_connected.ns < 0) st.first_connected = d.now();
  } else if (starts(line, "MQT: Connect failed")) {
    st.connect_failures++;
    if (int_after(line, ", tls ", v)) {
      st.tls_error = int(v);
      if (v != 0) st.tls_error_counts[st.tls_error]++;  // 0: TLS was fine (or off); MQTT failed
    }
    st.state = "disconnected";
  } else if (starts(line, "MQT: Disconnected")) {
    if (int_after(line, ", tls ", v) && v != 0) {
      st.tls_error = int(v);
      st.tls_error_counts[st.tls_error]++;
    }
    st.state = "disconnected";
  } else if (starts(line, "MQT: Attempting connection")) {
    if (st.state != "connected") st.state = "connecting";
  } else if (starts(line, "MQT: tele/") || starts(line, "MQT: stat/")) {
    st.published++;
  } else if (starts(line, "MQT: received ")) {
    st.received++;
  }
}

}  // namespace espfleet
