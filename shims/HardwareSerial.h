// shims/HardwareSerial.h — `Serial`, the device's UART0 console.
//
// Output goes to the current device's log: bytes are gathered into lines and each complete
// line (without its "\r\n") is handed to the platform's log_write(), where sim/ stamps it with
// the device and its virtual time and feeds the serial observer. There is no input.
//
// `Serial` is one global proxy shared by every device of the process, and so is its line
// buffer. Lines never interleave: devices run one at a time, and a line is handed over as soon
// as its '\n' is written. Limitation: a *partial* line (text without '\n' when the device
// yields) stays in the buffer and is prefixed to whatever the next device writes; the firmware
// ends its log lines with '\n' before it can yield, so this does not happen in practice.
// A line longer than the buffer is handed over in buffer-sized pieces.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "Stream.h"

enum SerialConfig { SERIAL_8N1 = 0x1c };  // the only frame format the firmware uses
enum SerialMode { SERIAL_FULL = 0, SERIAL_RX_ONLY = 1, SERIAL_TX_ONLY = 2 };

class HardwareSerial : public Stream {
 public:
  // constexpr: `Serial` is constant-initialised, so it works even from other globals' constructors.
  explicit constexpr HardwareSerial(int uart) : _uart(uart) {}

  void begin(unsigned long baud) { begin(baud, SERIAL_8N1); }
  void begin(unsigned long baud, SerialConfig config, SerialMode mode = SERIAL_FULL) {
    _baud = baud;
    (void)config;
    (void)mode;
  }
  void end() { flush(); }
  unsigned long baudRate() const { return _baud; }
  void setDebugOutput(bool) {}
  explicit operator bool() const { return true; }

  int available() override { return 0; }
  int read() override { return -1; }
  int peek() override { return -1; }
  int read(uint8_t*, size_t) override { return 0; }
  int availableForWrite() override { return int(kLineBytes - _used); }
  void flush() override;  // hands over a pending partial line
  size_t write(uint8_t b) override;
  size_t write(const uint8_t* buffer, size_t size) override;
  using Print::write;

 private:
  static constexpr size_t kLineBytes = 512;
  void emit();  // hands the buffered line to the log and empties the buffer

  int _uart;
  unsigned long _baud = 0;
  size_t _used = 0;
  char _line[kLineBytes] = {};
};

extern HardwareSerial Serial;
