// sim/files/utf8_text.h — whether text from outside (a --set value, a trace line) is UTF-8, as
// JSON output needs it to be: nlohmann::json's dump throws on anything else.
#pragma once
#include <string_view>

namespace espfleet {

// Well-formed UTF-8: no stray continuation byte, no overlong form, no surrogate, nothing above
// U+10FFFF, nothing cut short.
bool is_utf8(std::string_view text);

}  // namespace espfleet
