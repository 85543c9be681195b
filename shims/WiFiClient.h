// shims/WiFiClient.h — a TCP client over the device's (simulated) lwIP stack.
// connect() blocks up to the timeout; available()/read() never block; flush() waits for the ACK.
#pragma once
#include "Client.h"

class EspTcp;

class WiFiClient : public Client {
 public:
  WiFiClient();
  ~WiFiClient() override;
  WiFiClient(const WiFiClient&) = delete;
  WiFiClient& operator=(const WiFiClient&) = delete;

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* host, uint16_t port) override;
  size_t write(uint8_t b) override;
  size_t write(const uint8_t* buf, size_t size) override;
  int available() override;
  int read() override;
  int read(uint8_t* buf, size_t size) override;
  int peek() override;
  // ESP8266 core: flush waits (up to maxWaitMs, 0: the core's 300 ms) until the peer has ACKed
  // everything written; stop flushes the same way, then closes.
  virtual bool flush(unsigned int maxWaitMs);
  virtual bool stop(unsigned int maxWaitMs);
  void flush() override { (void)flush(0); }
  void stop() override { (void)stop(0); }
  uint8_t connected() override;
  operator bool() override { return connected(); }
  void setTimeout(unsigned long ms) {
    _timeout = ms;
    Stream::setTimeout(ms);
  }
  void setNoDelay(bool) {}
  using Print::write;

 protected:
  unsigned long _timeout = 5000;  // connect timeout (and a secure client's handshake and I/O timeout)

 private:
  EspTcp* _tcp = nullptr;  // the connection (the platform's), while there is one
};
