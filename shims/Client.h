// shims/Client.h — the Arduino Client interface (a byte stream to one peer), ESP8266 flavour.
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
  // ESP8266: flush waits (up to maxWaitMs) until the peer has ACKed everything written.
  virtual bool flush(unsigned int maxWaitMs) = 0;
  virtual bool stop(unsigned int maxWaitMs) = 0;
  void flush() override { (void)flush(0); }
  virtual void stop() { (void)stop(0); }
  virtual uint8_t connected() = 0;
  virtual operator bool() = 0;
  using Print::write;
};
