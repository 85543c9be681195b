// tests/sketches/Counter/Tally.h — a small class with a heap-allocated member, as sketch
// libraries keep their buffers: its constructor runs on the device, before setup().
#pragma once
#include <Arduino.h>

class Tally {
 public:
  explicit Tally(int start);
  void add(int n) { *value_ += n; }
  int value() const { return *value_; }

 private:
  int* value_;
};
