// shims/Printable.h — an object that knows how to print itself to any Print (e.g. IPAddress).
#pragma once
#include <stddef.h>

class Print;

class Printable {
 public:
  virtual ~Printable() {}
  virtual size_t printTo(Print& p) const = 0;
};
