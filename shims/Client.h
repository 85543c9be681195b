// shims/Client.h — the Arduino Client interface (a byte stream to one peer), with the ESP8266
// core's shape: flush() and stop() are the pure ones, so a third-party Client subclass written for
// the core (a TLS or a GSM client) compiles here unchanged. WiFiClient adds the core's timed
// flush(maxWaitMs) / stop(maxWaitMs).
#pragma once
#include "IPAddress.h"
#include "Stream.h"

class Client : public Stream {
 public:
  virtual int connect(IPAddress ip, uint16_t port) = 0;
  virtual int connect(const char* host, uint16_t port) = 0;
  virtual size_t write(uint8_t b) = 0;
  virtual size_t write(const uint8_t* buf, size_t size) = 0;
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int read(uint8_t* buf, size_t size) = 0;
  virtual int peek() = 0;
  void flush() override = 0;
  virtual void stop() = 0;
  virtual uint8_t connected() = 0;
  virtual operator bool() = 0;
  using Print::write;
};
