// shims/Stream.h — the Arduino Stream: a Print that can also be read. available/read/peek are
// the subclass's; the timed helpers here wait for data up to the stream's timeout, calling
// yield() between polls, so on a simulated device they park the fiber and let time pass.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "Print.h"
#include "WString.h"

class Stream : public Print {
 public:
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int peek() = 0;
  virtual int read(uint8_t* buffer, size_t len);  // what is there now, up to len; no waiting

  void setTimeout(unsigned long timeout) { _timeout = timeout; }
  unsigned long getTimeout() const { return _timeout; }

  // Reads until the target (or, for findUntil, the terminator) has gone by; false on timeout.
  bool find(const char* target) { return findUntil(target, strlen(target), nullptr, 0); }
  bool find(const uint8_t* target) { return find(reinterpret_cast<const char*>(target)); }
  bool find(const char* target, size_t length) { return findUntil(target, length, nullptr, 0); }
  bool find(char target) { return findUntil(&target, 1, nullptr, 0); }
  bool findUntil(const char* target, const char* terminator) {
    return findUntil(target, strlen(target), terminator, strlen(terminator));
  }
  bool findUntil(const char* target, size_t targetLen, const char* terminator, size_t termLen);

  // Skips anything that can't start a number, then reads an optional '-' and digits (skipping
  // `ignore` characters). 0 if nothing came before the timeout.
  long parseInt() { return parseInt(kNoIgnore); }
  long parseInt(char ignore);
  float parseFloat() { return parseFloat(kNoIgnore); }
  float parseFloat(char ignore);

  // Wait up to the timeout for each byte; return how many were stored.
  virtual size_t readBytes(char* buffer, size_t length);
  size_t readBytes(uint8_t* buffer, size_t length) { return readBytes(reinterpret_cast<char*>(buffer), length); }
  size_t readBytesUntil(char terminator, char* buffer, size_t length);  // terminator not stored
  size_t readBytesUntil(char terminator, uint8_t* buffer, size_t length) {
    return readBytesUntil(terminator, reinterpret_cast<char*>(buffer), length);
  }
  String readString();  // until a timeout
  String readStringUntil(char terminator);

 protected:
  int timedRead();  // next byte, or -1 after the timeout
  int timedPeek();
  int peekNextDigit(bool allowDecimal, char ignore);  // skips non-number bytes; -1 on timeout

  unsigned long _timeout = 1000;  // ms, as the core's default

 private:
  static constexpr char kNoIgnore = '\x01';
};
