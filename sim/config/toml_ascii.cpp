// sim/config/toml_ascii.cpp — the scan for non-ASCII outside TOML strings (toml_ascii.h).
#include "toml_ascii.h"

#include <string>
#include <string_view>

namespace espfleet {

TomlPosition first_non_ascii_outside_strings(std::string_view t) {
  enum class In : uint8_t { text, comment, basic, literal, ml_basic, ml_literal };
  In in = In::text;
  uint32_t line = 1, col = 0;
  // A quote opens a string only where TOML has one — a key (line start, after '.', '[', '{' or
  // ',') or a value (after '=', '[' or ','); elsewhere ('5"x"') it is garbage toml++ reads on. A
  // '.' in a value is a number's ('0."x"'), not a dotted key's.
  char last = '\n';       // the last character outside strings and comments that is not blank
  bool in_value = false;  // after a key's '=' (until the line ends outside brackets)
  std::string open;       // the value's open arrays ('[') and inline tables ('{'), innermost last
  auto three = [&t](size_t i, char q) { return i + 2 < t.size() && t[i] == q && t[i + 1] == q && t[i + 2] == q; };
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '\n') {
      line++;
      col = 0;
      last = '\n';
      if (open.empty()) in_value = false;
      if (in == In::comment || in == In::basic || in == In::literal) in = In::text;  // (unterminated: toml++ says so)
      continue;
    }
    col++;
    switch (in) {
      case In::text:
        if (static_cast<unsigned char>(c) >= 0x80) return {line, col};
        if (c == ' ' || c == '\t' || c == '\r') break;
        if ((c == '"' || c == '\'') &&
            (std::string_view("\n.[{,=").find(last) == std::string_view::npos || (last == '.' && in_value))) {
          last = c;  // not a string here
          break;
        }
        if (c == '=') in_value = true;
        if (in_value && (c == '[' || c == '{') && open.size() < 256) open.push_back(c);
        if (in_value && !open.empty() && (c == ']' || c == '}')) open.pop_back();
        if (c == '{' || (c == ',' && !open.empty() && open.back() == '{')) in_value = false;  // a key comes next
        // ('[' outside a value opens a table header: keys follow.)
        if (c == '=' || (c == '[' && !open.empty()) || (c == ',' && !open.empty() && open.back() == '['))
          in_value = true;
        last = c;
        if (c == '#') {
          in = In::comment;
        } else if (c == '"') {
          in = three(i, '"') ? In::ml_basic : In::basic;
          if (in == In::ml_basic) i += 2, col += 2;
        } else if (c == '\'') {
          in = three(i, '\'') ? In::ml_literal : In::literal;
          if (in == In::ml_literal) i += 2, col += 2;
        }
        break;
      case In::comment:
        break;
      case In::basic:
        if (c == '\\') {
          // An escape is ASCII ('\n', '\u00B5', …): toml++ looks a byte above 0x7F after '\' up in
          // its Unicode whitespace table and reaches __builtin_unreachable for some.
          if (i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) >= 0x80) return {line, col + 1};
          if (i + 1 < t.size() && t[i + 1] != '\n') ++i, ++col;
        } else if (c == '"') {
          in = In::text;
        }
        break;
      case In::literal:
        if (c == '\'') in = In::text;
        break;
      case In::ml_basic:
        if (c == '\\') {
          if (i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) >= 0x80) return {line, col + 1};
          if (i + 1 < t.size() && t[i + 1] != '\n') ++i, ++col;
        } else if (three(i, '"')) {
          in = In::text;
          i += 2, col += 2;
        }
        break;
      case In::ml_literal:
        if (three(i, '\'')) {
          in = In::text;
          i += 2, col += 2;
        }
        break;
    }
  }
  return {};
}

}  // namespace espfleet
