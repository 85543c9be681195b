// shims/HardwareSerial.h — `Serial`, the device's UART0 console.
//
// Output goes to the current device: every byte written is handed to the platform's
// serial_write(), and the device gathers its own lines (sim/device/serial_console.h), stamps each
// with the device and its virtual time and feeds the serial observer. `Serial` itself holds no
// output, so a partial line ("." and a yield, as sketches print while they wait) stays the
// device's own. There is no input.
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
    (void)baud;
    (void)config;
    (void)mode;
  }
  void end() { flush(); }
  unsigned long baudRate() const { return 115200; }  // what every firmware here asks for
  void setDebugOutput(bool) {}
  explicit operator bool() const { return true; }

  int available() override { return 0; }
  int read() override { return -1; }
  int peek() override { return -1; }
  int read(uint8_t*, size_t) override { return 0; }
  int availableForWrite() override { return 128; }  // the UART's TX FIFO
  void flush() override;                            // hands over a pending partial line
  size_t write(uint8_t b) override;
  size_t write(const uint8_t* buffer, size_t size) override;
  using Print::write;

 private:
  int _uart;
};

extern HardwareSerial Serial;
