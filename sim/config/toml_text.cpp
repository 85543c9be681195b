// sim/config/toml_text.cpp — stand-ins for the characters toml++ 3.3 misreads (toml_text.h).
#include "toml_text.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace espfleet {
namespace {

// The misread ranges and where their stand-ins start (U+3000, which toml++ reads right, is left).
struct Range {
  char32_t lo, hi, stand_in;
};
constexpr Range kRanges[] = {{0x00A1, 0x0499, 0xE000}, {0x2C5E, 0x3057, 0xE400}, {0xFB26, 0xFEFE, 0xE800}};
constexpr char32_t kStandInLo = 0xE000, kStandInHi = 0xEBFF;

// The code point of a well-formed 2- or 3-byte sequence at s[i] (its length in n), or 0.
char32_t decode(std::string_view s, size_t i, size_t& n) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (b(0) >= 0xC2 && b(0) <= 0xDF && cont(1)) {
    n = 2;
    return char32_t(b(0) & 0x1F) << 6 | (b(1) & 0x3F);
  }
  if ((b(0) & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    const char32_t c = char32_t(b(0) & 0x0F) << 12 | char32_t(b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    n = 3;
    return c;
  }
  return 0;
}

void encode(char32_t c, std::string& out) {
  if (c < 0x800) {
    out += char(0xC0 | (c >> 6));
  } else {
    out += char(0xE0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3F));
  }
  out += char(0x80 | (c & 0x3F));
}

// Every character through f (code point → code point); other bytes as they are.
template <typename F>
std::string map_text(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    const char32_t c = static_cast<unsigned char>(s[i]) >= 0xC2 ? decode(s, i, n) : 0;
    if (c) {
      encode(f(c), out);
    } else {
      n = 1;
      out += s[i];
    }
    i += n;
  }
  return out;
}

char32_t stand_in(char32_t c) {
  for (const Range& r : kRanges)
    if (c >= r.lo && c <= r.hi && c != 0x3000) return r.stand_in + (c - r.lo);
  return c;
}

char32_t restored(char32_t c) {
  for (const Range& r : kRanges)
    if (c >= r.stand_in && c <= r.stand_in + (r.hi - r.lo)) return r.lo + (c - r.stand_in);
  return c;
}

bool has_stand_in(std::string_view s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    size_t n = 0;
    if (static_cast<unsigned char>(s[i]) == 0xEE) {
      const char32_t c = decode(s, i, n);
      if (c >= kStandInLo && c <= kStandInHi) return true;
    }
  }
  return false;
}

void restore_tree(toml::node& node) {
  if (auto* s = node.as_string()) {
    if (has_stand_in(s->get())) s->get() = toml_restore(s->get());
  } else if (auto* a = node.as_array()) {
    for (toml::node& e : *a) restore_tree(e);
  } else if (auto* t = node.as_table()) {
    std::vector<toml::key> renamed;
    for (auto&& [k, v] : *t) {
      restore_tree(v);
      if (has_stand_in(k.str())) renamed.push_back(k);
    }
    for (const toml::key& k : renamed) {
      toml::node* v = t->get(k.str());
      t->insert_or_assign(toml::key(toml_restore(k.str()), k.source()), std::move(*v));
      t->erase(k.str());
    }
  }
}

}  // namespace

std::string toml_stand_in(std::string_view text) { return map_text(text, stand_in); }
std::string toml_restore(std::string_view text) { return map_text(text, restored); }

toml::table parse_toml(std::string_view text, std::string_view source) {
  bool misread = false;
  uint32_t line = 1, column = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == '\n') line++, column = 0;
    if ((b & 0xC0) != 0x80 && b != '\n') column++;
    if (b < 0xC2) continue;
    size_t n = 1;
    const char32_t c = decode(text, i, n);
    if (c >= kStandInLo && c <= kStandInHi) {
      const toml::source_position at{line, column};
      throw toml::parse_error("a private-use character (U+E000 to U+EBFF) has no place in a scenario",
                              toml::source_region{at, at, std::make_shared<const std::string>(source)});
    }
    misread = misread || stand_in(c) != c;
  }
  if (!misread) return toml::parse(text, source);
  const std::string safe = toml_stand_in(text);
  try {
    toml::table t = toml::parse(safe, source);
    restore_tree(t);
    return t;
  } catch (const toml::parse_error& e) {
    throw toml::parse_error(toml_restore(e.description()).c_str(), e.source());
  }
}

}  // namespace espfleet
