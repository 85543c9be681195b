// sim/files/utf8_text.cpp — the UTF-8 check (utf8_text.h).
#include "utf8_text.h"

#include <cstddef>

namespace espfleet {

bool is_utf8(std::string_view t) {
  for (size_t i = 0; i < t.size();) {
    const auto b = static_cast<unsigned char>(t[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    const size_t n = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > t.size()) return false;
    const auto b1 = static_cast<unsigned char>(t[i + 1]);
    // The second byte's range closes overlong forms (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    const unsigned char lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi) return false;
    for (size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace espfleet
