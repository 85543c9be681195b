// shims/WString.cpp — the Arduino String (ESP8266 core 3.x behaviour) over the device heap.
// Device-side code: it compiles for xtensa-lx106 too. Every allocation goes through the
// malloc/realloc/free macros of Arduino.h, i.e. the current device's umm heap.
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Arduino.h"
#include "WString.h"

const String emptyString;

namespace {

constexpr size_t kMaxBufferBytes = 65535;  // the core keeps the capacity in 16 bits
constexpr unsigned kNotFound = ~0u;

// Heap buffer size for `chars` characters, as the core: (chars + 16) & ~15, NUL included.
size_t buffer_bytes(unsigned chars) { return (size_t(chars) + 16) & ~size_t(15); }

// The text of an integer, as the core's itoa/utoa/lltoa family: base 2..36 with lowercase
// digits, a '-' only in base 10 (other bases show the two's complement), empty for an invalid
// base. `narrow`: int and long are 32 bits on the chip, so a negative value that fits 32 bits
// shows 32 bits in a non-decimal base even though a host long has 64.
struct NumberText {
  char text[66];
  NumberText(unsigned long long value, unsigned base) { digits(text, value, base); }
  NumberText(long long value, unsigned base, bool narrow) {
    unsigned long long bits = (unsigned long long)value;
    if (value < 0 && base == 10) {
      text[0] = '-';
      digits(text + 1, 0ull - bits, 10);
      return;
    }
    if (value < 0 && narrow && value >= INT32_MIN) bits = uint32_t(value);
    digits(text, bits, base);
  }
  static void digits(char* out, unsigned long long value, unsigned base) {
    char rev[64];
    unsigned n = 0;
    if (base >= 2 && base <= 36) {
      do {
        unsigned d = unsigned(value % base);
        rev[n++] = char(d < 10 ? '0' + d : 'a' + d - 10);
        value /= base;
      } while (value);
    }
    for (unsigned i = 0; i < n; ++i) out[i] = rev[n - 1 - i];
    out[n] = 0;
  }
};

// Position of needle[0, nlen) in s[from, end), or kNotFound. nlen > 0.
unsigned find_at(const char* s, unsigned end, unsigned from, const char* needle, unsigned nlen) {
  while (from < end && nlen <= end - from) {
    const void* hit = memchr(s + from, needle[0], end - from - nlen + 1);
    if (!hit) return kNotFound;
    unsigned at = unsigned(static_cast<const char*>(hit) - s);
    if (memcmp(s + at, needle, nlen) == 0) return at;
    from = at + 1;
  }
  return kNotFound;
}

bool same_ignoring_case(const char* a, const char* b, unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
  return true;
}

}  // namespace

extern "C" char* dtostrf(double number, signed char width, unsigned char prec, char* s) {
  char text[64];
  int n;
  // nan/inf spelled out here so the text does not depend on the C library.
  if (__builtin_isnan(number))
    n = snprintf(text, sizeof text, "%*s", width, "nan");
  else if (__builtin_isinf(number))
    n = snprintf(text, sizeof text, "%*s", width, number < 0 ? "-inf" : "inf");
  else
    n = snprintf(text, sizeof text, "%*.*f", width, prec, number);
  if (n < 0 || size_t(n) >= sizeof text) strcpy(text, "ovf");
  memcpy(s, text, strlen(text) + 1);
  return s;
}

// ---- construction and storage ----

String::String(const char* cstr) {
  init();
  if (cstr) copy(cstr, unsigned(strlen(cstr)));
}

String::String(const String& other) {
  init();
  copy(other.buffer(), other.len());
}

String::String(String&& other) noexcept {
  memcpy(&_inline, &other._inline, sizeof _inline);  // the whole representation
  other.init();
}

String::String(char c) {
  init();
  _inline.buf[0] = c;
  setLen(1);
}

String::String(unsigned char value, unsigned char base) : String((unsigned int)value, base) {}

String::String(int value, unsigned char base) : String(NumberText(value, base, true).text) {}

String::String(unsigned int value, unsigned char base) : String(NumberText(value, base).text) {}

String::String(long value, unsigned char base) : String(NumberText(value, base, true).text) {}

String::String(unsigned long value, unsigned char base) : String(NumberText(value, base).text) {}

String::String(long long value, unsigned char base) : String(NumberText(value, base, false).text) {}

String::String(unsigned long long value, unsigned char base) : String(NumberText(value, base).text) {}

String::String(float value, unsigned char decimalPlaces) : String(double(value), decimalPlaces) {}

String::String(double value, unsigned char decimalPlaces) {
  init();
  char text[64];
  dtostrf(value, (signed char)(decimalPlaces + 2), decimalPlaces, text);
  copy(text, unsigned(strlen(text)));
}

String::~String() { invalidate(); }

void String::invalidate() {
  if (onHeap()) free(_heap.ptr);
  init();
}

bool String::reserve(unsigned int size) {
  if (capacity() >= size) return true;
  if (size >= kMaxBufferBytes) return false;
  size_t bytes = buffer_bytes(size);
  if (bytes > kMaxBufferBytes) return false;
  unsigned n = len();
  char* p;
  if (onHeap()) {
    p = static_cast<char*>(realloc(_heap.ptr, bytes));
    if (!p) return false;
  } else {
    p = static_cast<char*>(malloc(bytes));
    if (!p) return false;
    memcpy(p, _inline.buf, n + 1);
  }
  _heap.ptr = p;
  _heap.cap = uint16_t(bytes - 1);
  _heap.len = uint16_t(n);
  _inline.tag = kOnHeap;
  return true;
}

String& String::copy(const char* cstr, unsigned int length) {
  if (!reserve(length)) {
    invalidate();
    return *this;
  }
  memmove(wbuffer(), cstr, length);  // cstr may be part of this String
  setLen(length);
  return *this;
}

bool String::overlaps(const char* p) const {
  uintptr_t b = reinterpret_cast<uintptr_t>(buffer());
  uintptr_t q = reinterpret_cast<uintptr_t>(p);
  return q >= b && q <= b + capacity();
}

// ---- assignment ----

String& String::operator=(const String& rhs) {
  if (this != &rhs) copy(rhs.buffer(), rhs.len());
  return *this;
}

String& String::operator=(String&& rhs) noexcept {
  if (this != &rhs) {
    invalidate();
    memcpy(&_inline, &rhs._inline, sizeof _inline);
    rhs.init();
  }
  return *this;
}

String& String::operator=(const char* cstr) {
  if (cstr)
    copy(cstr, unsigned(strlen(cstr)));
  else
    invalidate();
  return *this;
}

String& String::operator=(char c) {
  char text[2] = {c, 0};
  return *this = text;
}

// ---- concat ----

bool String::concat(const char* cstr, unsigned int length) {
  if (!cstr) return false;
  if (length == 0) return true;
  if (length >= kMaxBufferBytes) return false;
  unsigned n = len();
  if (overlaps(cstr)) {  // appending (part of) itself: the buffer may move
    size_t offset = size_t(cstr - buffer());
    if (!reserve(n + length)) return false;
    cstr = buffer() + offset;
  } else if (!reserve(n + length)) {
    return false;
  }
  memmove(wbuffer() + n, cstr, length);
  setLen(n + length);
  return true;
}

bool String::concat(const String& str) { return concat(str.buffer(), str.len()); }

bool String::concat(const char* cstr) { return cstr && concat(cstr, unsigned(strlen(cstr))); }

bool String::concat(char c) { return concat(&c, 1); }

bool String::concat(unsigned char num) { return concat((unsigned int)num); }

bool String::concat(int num) { return concat(NumberText(num, 10, true).text); }

bool String::concat(unsigned int num) { return concat(NumberText(num, 10).text); }

bool String::concat(long num) { return concat(NumberText(num, 10, true).text); }

bool String::concat(unsigned long num) { return concat(NumberText(num, 10).text); }

bool String::concat(long long num) { return concat(NumberText(num, 10, false).text); }

bool String::concat(unsigned long long num) { return concat(NumberText(num, 10).text); }

bool String::concat(float num) { return concat(double(num)); }

bool String::concat(double num) {
  char text[64];
  return concat(dtostrf(num, 4, 2, text));
}

String operator+(const String& lhs, const String& rhs) {
  String res;
  res.reserve(lhs.length() + rhs.length());
  res += lhs;
  res += rhs;
  return res;
}

String operator+(const char* lhs, const String& rhs) {
  String res;
  res.reserve((lhs ? unsigned(strlen(lhs)) : 0) + rhs.length());
  res += lhs;
  res += rhs;
  return res;
}

String operator+(char lhs, const String& rhs) {
  String res;
  res.reserve(1 + rhs.length());
  res += lhs;
  res += rhs;
  return res;
}

// ---- comparison ----

int String::compareTo(const String& s) const { return strcmp(buffer(), s.buffer()); }

int String::compareTo(const char* cstr) const { return strcmp(buffer(), cstr ? cstr : ""); }

bool String::equals(const String& s) const { return len() == s.len() && memcmp(buffer(), s.buffer(), len()) == 0; }

bool String::equals(const char* cstr) const {
  if (!cstr) return len() == 0;
  return strcmp(buffer(), cstr) == 0;
}

bool String::equalsIgnoreCase(const String& s) const {
  return len() == s.len() && same_ignoring_case(buffer(), s.buffer(), len());
}

bool String::equalsIgnoreCase(const char* cstr) const {
  if (!cstr) return len() == 0;
  return strlen(cstr) == len() && same_ignoring_case(buffer(), cstr, len());
}

bool String::startsWith(const char* prefix, unsigned int plen, unsigned int offset) const {
  unsigned n = len();
  if (!prefix || offset > n || plen > n - offset) return false;
  return memcmp(buffer() + offset, prefix, plen) == 0;
}

bool String::endsWith(const char* suffix, unsigned int slen) const {
  unsigned n = len();
  if (!suffix || slen > n) return false;
  return memcmp(buffer() + n - slen, suffix, slen) == 0;
}

// ---- character access ----

void String::setCharAt(unsigned int index, char c) {
  if (index < len()) wbuffer()[index] = c;
}

char String::operator[](unsigned int index) const { return index < len() ? buffer()[index] : 0; }

char& String::operator[](unsigned int index) {
  // As the core: an out-of-range write lands in a scratch byte shared by all Strings (and all
  // devices); it is reset on every such access, so it never carries state.
  static char scratch;
  if (index < len()) return wbuffer()[index];
  scratch = 0;
  return scratch;
}

void String::toCharArray(char* buf, unsigned int bufsize, unsigned int index) const {
  if (!buf || bufsize == 0) return;
  unsigned n = len();
  if (index >= n) {
    buf[0] = 0;
    return;
  }
  unsigned count = bufsize - 1;
  if (count > n - index) count = n - index;
  memcpy(buf, buffer() + index, count);
  buf[count] = 0;
}

// ---- search ----

int String::indexOf(char ch, unsigned int fromIndex) const {
  unsigned n = len();
  if (fromIndex >= n) return -1;
  const void* hit = memchr(buffer() + fromIndex, ch, n - fromIndex);
  return hit ? int(static_cast<const char*>(hit) - buffer()) : -1;
}

int String::indexOf(const char* str, unsigned int fromIndex) const {
  if (!str || fromIndex >= len()) return -1;
  unsigned slen = unsigned(strlen(str));
  if (slen == 0) return int(fromIndex);
  unsigned at = find_at(buffer(), len(), fromIndex, str, slen);
  return at == kNotFound ? -1 : int(at);
}

int String::indexOf(const String& str, unsigned int fromIndex) const {
  if (fromIndex >= len()) return -1;
  if (str.len() == 0) return int(fromIndex);
  unsigned at = find_at(buffer(), len(), fromIndex, str.buffer(), str.len());
  return at == kNotFound ? -1 : int(at);
}

int String::lastIndexOf(char ch, unsigned int fromIndex) const {
  if (fromIndex >= len()) return -1;
  const char* b = buffer();
  for (unsigned i = fromIndex + 1; i-- > 0;)
    if (b[i] == ch) return int(i);
  return -1;
}

int String::lastIndexOf(const char* str, unsigned int slen, unsigned int fromIndex) const {
  unsigned n = len();
  if (!str || slen == 0 || slen > n) return -1;
  unsigned start = fromIndex < n - slen ? fromIndex : n - slen;
  const char* b = buffer();
  for (unsigned i = start + 1; i-- > 0;)
    if (memcmp(b + i, str, slen) == 0) return int(i);
  return -1;
}

String String::substring(unsigned int beginIndex, unsigned int endIndex) const {
  if (beginIndex > endIndex) {
    unsigned t = beginIndex;
    beginIndex = endIndex;
    endIndex = t;
  }
  String out;
  unsigned n = len();
  if (beginIndex >= n) return out;
  if (endIndex > n) endIndex = n;
  out.copy(buffer() + beginIndex, endIndex - beginIndex);
  return out;
}

// ---- modification ----

void String::replace(char find, char replace) {
  char* b = wbuffer();
  for (unsigned i = 0, n = len(); i < n; ++i)
    if (b[i] == find) b[i] = replace;
}

void String::replace(const String& find, const String& replace) {
  this->replace(find.buffer(), find.len(), replace.buffer(), replace.len());
}

void String::replace(const String& find, const char* replace) {
  if (replace) this->replace(find.buffer(), find.len(), replace, unsigned(strlen(replace)));
}

void String::replace(const char* find, const String& replace) {
  if (find) this->replace(find, unsigned(strlen(find)), replace.buffer(), replace.len());
}

void String::replace(const char* find, const char* replace) {
  if (find && replace) this->replace(find, unsigned(strlen(find)), replace, unsigned(strlen(replace)));
}

// Every non-overlapping match, left to right. The result is written front to back over the
// old text; when it grows, the old text is first moved to the end of the enlarged buffer, so
// the write position never passes the unread text.
void String::replace(const char* find, unsigned int flen, const char* rep, unsigned int rlen) {
  unsigned n = len();
  if (n == 0 || flen == 0) return;
  if (overlaps(find) || overlaps(rep)) {  // pattern taken from this String: work from copies
    String f, r;
    f.copy(find, flen);
    r.copy(rep, rlen);
    if (f.len() == flen && r.len() == rlen) this->replace(f.buffer(), flen, r.buffer(), rlen);
    return;
  }
  unsigned count = 0;
  for (unsigned at = 0; (at = find_at(buffer(), n, at, find, flen)) != kNotFound; at += flen) ++count;
  if (count == 0) return;
  unsigned long long grown = (unsigned long long)n + (unsigned long long)count * rlen;
  unsigned long long shrunk = (unsigned long long)count * flen;
  if (grown - shrunk >= kMaxBufferBytes) return;
  unsigned newLen = unsigned(grown - shrunk);
  unsigned r = 0;  // read position of the old text
  if (newLen > n) {
    if (!reserve(newLen)) return;
    r = newLen - n;
    memmove(wbuffer() + r, buffer(), n);
  }
  char* b = wbuffer();
  unsigned end = r + n;
  unsigned w = 0;
  while (r < end) {
    unsigned hit = find_at(b, end, r, find, flen);
    unsigned stop = hit == kNotFound ? end : hit;
    memmove(b + w, b + r, stop - r);
    w += stop - r;
    r = stop;
    if (hit == kNotFound) break;
    memcpy(b + w, rep, rlen);
    w += rlen;
    r += flen;
  }
  setLen(w);
}

void String::remove(unsigned int index, unsigned int count) {
  unsigned n = len();
  if (index >= n || count == 0) return;
  if (count > n - index) count = n - index;
  char* b = wbuffer();
  memmove(b + index, b + index + count, n - index - count);
  setLen(n - count);
}

void String::toLowerCase() {
  for (char& c : *this) c = char(tolower((unsigned char)c));
}

void String::toUpperCase() {
  for (char& c : *this) c = char(toupper((unsigned char)c));
}

void String::trim() {
  unsigned n = len();
  char* b = wbuffer();
  unsigned first = 0;
  while (first < n && isspace((unsigned char)b[first])) ++first;
  unsigned last = n;
  while (last > first && isspace((unsigned char)b[last - 1])) --last;
  memmove(b, b + first, last - first);
  setLen(last - first);
}

// ---- conversion ----

long String::toInt() const {
  // The chip's long is 32 bits and its atol saturates: keep that range on a 64-bit host.
  long long v = strtoll(buffer(), nullptr, 10);
  if (v > INT32_MAX) v = INT32_MAX;
  if (v < INT32_MIN) v = INT32_MIN;
  return long(v);
}

float String::toFloat() const { return float(strtod(buffer(), nullptr)); }

double String::toDouble() const { return strtod(buffer(), nullptr); }
