// shims/WString.h — the Arduino `String`, with the ESP8266 core's (3.x) behaviour.
//
// A String in device code lives on the device's heap: WString.cpp allocates through
// malloc/realloc/free, which Arduino.h maps to the device heap (pvPortMalloc & co.).
// Behaviours kept from the core because they shape the heap a device sees:
//   - up to 10 characters are held inside the object (no allocation), as the core's SSO;
//   - a heap buffer is (length + 16) & ~15 bytes (room for the NUL), at most 65535 bytes;
//   - when an allocation fails the operation has no effect (concat, reserve, replace) or the
//     String ends up empty (copy, assignment) — never a crash. The core calls that "invalid";
//     as in core 3.x an invalid String is simply empty, and `if (s)` stays true.
// STL-free: this header compiles for xtensa-lx106 (no C++ standard library there).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pgmspace.h"

// From the core's stdlib_noniso.h (which Arduino.h pulls in on the chip): `number` in fixed
// notation with `prec` decimals, right-aligned in at least `width` characters. Writes at most
// 64 bytes into s; a value whose text would not fit becomes "ovf".
extern "C" char* dtostrf(double number, signed char width, unsigned char prec, char* s);

class String {
 public:
  String() { init(); }
  String(const char* cstr);  // nullptr gives an empty String
  String(const __FlashStringHelper* str) : String(reinterpret_cast<const char*>(str)) {}
  String(const String& other);
  String(String&& other) noexcept;  // takes the buffer; `other` is left empty
  explicit String(char c);
  // Integers: base 2..36, lowercase digits; negative values only get a '-' in base 10 (other
  // bases show the two's complement, 32 bits wide for int/long as on the chip). An invalid
  // base gives an empty String, as the core's itoa.
  explicit String(unsigned char value, unsigned char base = 10);
  explicit String(int value, unsigned char base = 10);
  explicit String(unsigned int value, unsigned char base = 10);
  explicit String(long value, unsigned char base = 10);
  explicit String(unsigned long value, unsigned char base = 10);
  explicit String(long long value, unsigned char base = 10);
  explicit String(unsigned long long value, unsigned char base = 10);
  // Floating point: dtostrf(value, decimalPlaces + 2, decimalPlaces) as the core, so a value
  // shorter than decimalPlaces + 2 characters is padded with leading spaces (5.0, 0 -> " 5").
  explicit String(float value, unsigned char decimalPlaces = 2);
  explicit String(double value, unsigned char decimalPlaces = 2);
  ~String();

  // Memory. reserve() returns false (String unchanged) when the heap can't provide the buffer.
  bool reserve(unsigned int size);
  unsigned int length() const { return len(); }
  bool isEmpty() const { return len() == 0; }
  void clear() { setLen(0); }
  explicit operator bool() const { return buffer() != nullptr; }  // always true, as core 3.x

  // Assignment. On allocation failure the String becomes empty.
  String& operator=(const String& rhs);
  String& operator=(String&& rhs) noexcept;
  String& operator=(const char* cstr);
  String& operator=(const __FlashStringHelper* str) { return *this = reinterpret_cast<const char*>(str); }
  String& operator=(char c);
  String& operator=(unsigned char v) { return *this = String(v); }
  String& operator=(int v) { return *this = String(v); }
  String& operator=(unsigned int v) { return *this = String(v); }
  String& operator=(long v) { return *this = String(v); }
  String& operator=(unsigned long v) { return *this = String(v); }
  String& operator=(long long v) { return *this = String(v); }
  String& operator=(unsigned long long v) { return *this = String(v); }
  String& operator=(float v) { return *this = String(v); }
  String& operator=(double v) { return *this = String(v); }

  // Append. Returns false (String unchanged) on allocation failure or a null argument.
  // Numbers are written in decimal; float/double with 2 decimals.
  bool concat(const String& str);
  bool concat(const char* cstr);
  bool concat(const char* cstr, unsigned int length);
  bool concat(const __FlashStringHelper* str) { return concat(reinterpret_cast<const char*>(str)); }
  bool concat(char c);
  bool concat(unsigned char num);
  bool concat(int num);
  bool concat(unsigned int num);
  bool concat(long num);
  bool concat(unsigned long num);
  bool concat(long long num);
  bool concat(unsigned long long num);
  bool concat(float num);
  bool concat(double num);
  template <typename T>
  String& operator+=(const T& rhs) {
    concat(rhs);
    return *this;
  }

  // Comparison (byte-wise, as strcmp).
  int compareTo(const String& s) const;
  int compareTo(const char* cstr) const;
  int compareTo(const __FlashStringHelper* str) const { return compareTo(reinterpret_cast<const char*>(str)); }
  bool equals(const String& s) const;
  bool equals(const char* cstr) const;
  bool equals(const __FlashStringHelper* str) const { return equals(reinterpret_cast<const char*>(str)); }
  bool equalsIgnoreCase(const String& s) const;
  bool equalsIgnoreCase(const char* cstr) const;
  bool equalsIgnoreCase(const __FlashStringHelper* s) const {
    return equalsIgnoreCase(reinterpret_cast<const char*>(s));
  }
  bool operator==(const String& rhs) const { return equals(rhs); }
  bool operator==(const char* rhs) const { return equals(rhs); }
  bool operator==(const __FlashStringHelper* rhs) const { return equals(rhs); }
  bool operator!=(const String& rhs) const { return !equals(rhs); }
  bool operator!=(const char* rhs) const { return !equals(rhs); }
  bool operator!=(const __FlashStringHelper* rhs) const { return !equals(rhs); }
  bool operator<(const String& rhs) const { return compareTo(rhs) < 0; }
  bool operator<(const char* rhs) const { return compareTo(rhs) < 0; }
  bool operator>(const String& rhs) const { return compareTo(rhs) > 0; }
  bool operator>(const char* rhs) const { return compareTo(rhs) > 0; }
  bool operator<=(const String& rhs) const { return compareTo(rhs) <= 0; }
  bool operator<=(const char* rhs) const { return compareTo(rhs) <= 0; }
  bool operator>=(const String& rhs) const { return compareTo(rhs) >= 0; }
  bool operator>=(const char* rhs) const { return compareTo(rhs) >= 0; }
  bool startsWith(const String& prefix) const { return startsWith(prefix.buffer(), prefix.len(), 0); }
  bool startsWith(const char* prefix) const { return startsWith(prefix, 0); }
  bool startsWith(const __FlashStringHelper* prefix) const {
    return startsWith(reinterpret_cast<const char*>(prefix), 0);
  }
  bool startsWith(const String& prefix, unsigned int offset) const {
    return startsWith(prefix.buffer(), prefix.len(), offset);
  }
  bool startsWith(const char* prefix, unsigned int offset) const {
    return prefix && startsWith(prefix, unsigned(strlen(prefix)), offset);
  }
  bool startsWith(const __FlashStringHelper* prefix, unsigned int offset) const {
    return startsWith(reinterpret_cast<const char*>(prefix), offset);
  }
  bool endsWith(const String& suffix) const { return endsWith(suffix.buffer(), suffix.len()); }
  bool endsWith(const char* suffix) const { return suffix && endsWith(suffix, unsigned(strlen(suffix))); }
  bool endsWith(const __FlashStringHelper* suffix) const { return endsWith(reinterpret_cast<const char*>(suffix)); }

  // Character access. Out of range reads give 0; out of range writes go nowhere.
  char charAt(unsigned int index) const { return operator[](index); }
  void setCharAt(unsigned int index, char c);
  char operator[](unsigned int index) const;
  char& operator[](unsigned int index);
  void getBytes(unsigned char* buf, unsigned int bufsize, unsigned int index = 0) const {
    toCharArray(reinterpret_cast<char*>(buf), bufsize, index);
  }
  void toCharArray(char* buf, unsigned int bufsize, unsigned int index = 0) const;
  const char* c_str() const { return buffer(); }
  char* begin() { return wbuffer(); }
  char* end() { return wbuffer() + len(); }
  const char* begin() const { return buffer(); }
  const char* end() const { return buffer() + len(); }

  // Search. -1 when not found, or when fromIndex is at or past the end.
  int indexOf(char ch, unsigned int fromIndex = 0) const;
  int indexOf(const char* str, unsigned int fromIndex = 0) const;
  int indexOf(const __FlashStringHelper* str, unsigned int fromIndex = 0) const {
    return indexOf(reinterpret_cast<const char*>(str), fromIndex);
  }
  int indexOf(const String& str, unsigned int fromIndex = 0) const;
  // lastIndexOf(…, fromIndex): the last match that starts at or before fromIndex.
  int lastIndexOf(char ch) const { return lastIndexOf(ch, len() - 1); }
  int lastIndexOf(char ch, unsigned int fromIndex) const;
  int lastIndexOf(const String& str) const { return lastIndexOf(str, len() - 1); }
  int lastIndexOf(const String& str, unsigned int fromIndex) const {
    return lastIndexOf(str.buffer(), str.len(), fromIndex);
  }
  int lastIndexOf(const char* str) const { return lastIndexOf(str, len() - 1); }
  int lastIndexOf(const char* str, unsigned int fromIndex) const {
    return str ? lastIndexOf(str, unsigned(strlen(str)), fromIndex) : -1;
  }
  int lastIndexOf(const __FlashStringHelper* str) const { return lastIndexOf(reinterpret_cast<const char*>(str)); }
  int lastIndexOf(const __FlashStringHelper* str, unsigned int fromIndex) const {
    return lastIndexOf(reinterpret_cast<const char*>(str), fromIndex);
  }
  // [beginIndex, endIndex); the indexes are swapped if reversed and clipped to the length.
  String substring(unsigned int beginIndex) const { return substring(beginIndex, len()); }
  String substring(unsigned int beginIndex, unsigned int endIndex) const;

  // Modification. replace() leaves the String unchanged if a longer result can't be allocated.
  void replace(char find, char replace);
  void replace(const String& find, const String& replace);
  void replace(const String& find, const char* replace);
  void replace(const char* find, const String& replace);
  void replace(const char* find, const char* replace);
  void replace(const __FlashStringHelper* find, const String& replace) {
    this->replace(reinterpret_cast<const char*>(find), replace);
  }
  void replace(const __FlashStringHelper* find, const char* replace) {
    this->replace(reinterpret_cast<const char*>(find), replace);
  }
  void replace(const __FlashStringHelper* find, const __FlashStringHelper* replace) {
    this->replace(reinterpret_cast<const char*>(find), reinterpret_cast<const char*>(replace));
  }
  void remove(unsigned int index, unsigned int count = (unsigned int)-1);
  void toLowerCase();
  void toUpperCase();
  void trim();  // drops leading and trailing isspace() characters

  // Conversion: leading whitespace skipped, parsing stops at the first unusable character;
  // no number at all gives 0 ("abc" -> 0, "12abc" -> 12).
  long toInt() const;
  float toFloat() const;
  double toDouble() const;

 private:
  // Storage: one union the size of a pointer plus 8 bytes (12 on the chip, as the core's String).
  // The last byte is the tag: the length while the characters are inline, kOnHeap otherwise.
  static constexpr unsigned kInlineCap = 10;  // characters held inline (plus the NUL)
  static constexpr unsigned kRepBytes = sizeof(char*) + 8;
  static constexpr uint8_t kOnHeap = 0xFF;
  struct HeapRep {
    char* ptr;
    uint16_t cap;  // characters the buffer holds, not counting the NUL
    uint16_t len;
    uint8_t spare[kRepBytes - sizeof(char*) - 5];
    uint8_t tag;
  };
  struct InlineRep {
    char buf[kRepBytes - 1];
    uint8_t tag;
  };
  static_assert(sizeof(HeapRep) == kRepBytes && sizeof(InlineRep) == kRepBytes, "String layout");
  static_assert(kInlineCap < sizeof(InlineRep::buf), "inline characters plus NUL fit");
  union {
    HeapRep _heap;
    InlineRep _inline;
  };

  bool onHeap() const { return _inline.tag == kOnHeap; }
  unsigned len() const { return onHeap() ? _heap.len : _inline.tag; }
  unsigned capacity() const { return onHeap() ? _heap.cap : kInlineCap; }
  const char* buffer() const { return onHeap() ? _heap.ptr : _inline.buf; }
  char* wbuffer() { return onHeap() ? _heap.ptr : _inline.buf; }
  void setLen(unsigned n) {  // n <= capacity(); also writes the terminating NUL
    if (onHeap())
      _heap.len = uint16_t(n);
    else
      _inline.tag = uint8_t(n);
    wbuffer()[n] = 0;
  }
  void init() {
    _inline.buf[0] = 0;
    _inline.tag = 0;
  }
  void invalidate();  // frees any heap buffer; the String becomes empty
  String& copy(const char* cstr, unsigned int length);
  bool startsWith(const char* prefix, unsigned int plen, unsigned int offset) const;
  bool endsWith(const char* suffix, unsigned int slen) const;
  int lastIndexOf(const char* str, unsigned int slen, unsigned int fromIndex) const;
  void replace(const char* find, unsigned int flen, const char* rep, unsigned int rlen);
  bool overlaps(const char* p) const;  // does p point into this String's characters?
};

// Concatenation. An rvalue left side is appended to in place and moved on.
template <typename T>
inline String operator+(const String& lhs, const T& rhs) {
  String res(lhs);
  res += rhs;
  return res;
}
template <typename T>
inline String operator+(String&& lhs, const T& rhs) {
  lhs += rhs;
  return static_cast<String&&>(lhs);
}
String operator+(const String& lhs, const String& rhs);  // one allocation, sized for both
String operator+(const char* lhs, const String& rhs);
String operator+(char lhs, const String& rhs);
inline String operator+(const __FlashStringHelper* lhs, const String& rhs) {
  return reinterpret_cast<const char*>(lhs) + rhs;
}

extern const String emptyString;
