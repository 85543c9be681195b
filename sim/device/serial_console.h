// sim/device/serial_console.h — a device's serial console as a test rig on a real device reads
// it: the firmware's log format is its interface (nothing else crosses from core/). One parser of
// the lines the tools care about, and the figures a run keeps from them.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim_time.h"

namespace espfleet {

// One console line, as far as the tools read it.
struct ConsoleLine {
  enum class Kind : uint8_t {
    other,
    attempting,      // "MQT: Attempting connection…"
    tls_connected,   // "TLS: connected in MS ms, max ThunkStack used BYTES": value = ms, value2 = bytes
    mqtt_connected,  // "MQT: Connected"
    connect_failed,  // "MQT: Connect failed …, tls CODE": value = CODE (when given)
    disconnected,    // "MQT: Disconnected …, tls CODE": value = CODE (when given)
    published,       // "MQT: tele/…" or "MQT: stat/…"
    received,        // "MQT: received …"
    acked,           // "MQT: Puback ID": the broker acknowledged a QoS 1 publish; value = ID
  };
  Kind kind = Kind::other;
  long value = 0;
  long value2 = 0;
  bool has_value = false;
};

// A console line (a trailing "\r\n" is ignored).
ConsoleLine parse_console_line(std::string_view line);

// A device's UART output gathered into console lines, its own: a sketch that prints "." and
// yields leaves a partial line that no other device's output can join. A complete line is handed
// over without its "\r\n"; a line longer than kMaxLine in kMaxLine pieces. Holds no memory
// between lines.
class SerialLines {
 public:
  static constexpr size_t kMaxLine = 512;
  template <class Emit>
  void write(const char* bytes, size_t n, Emit&& emit) {
    for (size_t i = 0; i < n; ++i) {
      if (bytes[i] == '\n') {
        finish(emit);
        continue;
      }
      if (buf_.size() == kMaxLine) finish(emit);
      buf_.push_back(bytes[i]);
    }
  }
  // Hands over a partial line (Serial.flush(), a reset).
  template <class Emit>
  void flush(Emit&& emit) {
    if (!buf_.empty()) finish(emit);
  }
  bool partial() const { return !buf_.empty(); }

 private:
  template <class Emit>
  void finish(Emit& emit) {
    std::string_view line(buf_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // println ends lines with "\r\n"
    emit(line);
    std::string().swap(buf_);
  }
  std::string buf_;
};

// What a run keeps from a device's console.
struct ConsoleFigures {
  uint32_t mqtt_connects = 0;
  uint32_t connect_failures = 0;
  uint32_t published = 0;
  uint32_t received = 0;
  uint32_t acknowledged = 0;                 // PUBACKs of the firmware's QoS 1 publishes
  int tls_error = 0;                         // the last TLS code reported (0 = none)
  std::map<int, uint32_t> tls_error_counts;  // every failed connect / drop with a TLS error, by code
  std::vector<uint32_t> handshake_ms;        // every completed handshake
  VTime first_connected{-1};
};

}  // namespace espfleet
