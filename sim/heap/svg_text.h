// sim/heap/svg_text.h — what the SVG writers (heap map, heap timeline) share: text made safe for XML.
#pragma once
#include <string>

namespace espfleet {

inline std::string xml_escape(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    if (c == '&')
      r += "&amp;";
    else if (c == '<')
      r += "&lt;";
    else if (c == '>')
      r += "&gt;";
    else if (c == '"')
      r += "&quot;";
    else
      r += c;
  }
  return r;
}

}  // namespace espfleet
