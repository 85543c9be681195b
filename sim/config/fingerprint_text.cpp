// sim/config/fingerprint_text.cpp — Tasmota's MqttFingerprint command on the host, and the
// messages for fingerprints it would not take as meant (fingerprint_text.h).
#include "fingerprint_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace espfleet {

namespace {

constexpr size_t kArgMax = 60;  // Tasmota's char fingerprint[60]: data_len must stay below

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  // isspace(), C locale

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One strtol(p, &p, 16) on a 32-bit long (the ESP8266's and the ESP32-C3's), from pos of s.
struct Number {
  int32_t value = 0;
  size_t end = 0;         // where the next call starts; == pos when no digit was found
  bool overflow = false;  // more than the long holds: LONG_MAX / LONG_MIN
};

Number strtol16(std::string_view s, size_t pos) {
  auto at = [&](size_t i) { return i < s.size() ? s[i] : '\0'; };
  size_t p = pos;
  while (is_space(at(p))) ++p;
  const bool neg = at(p) == '-';
  if (at(p) == '-' || at(p) == '+') ++p;
  if (at(p) == '0' && (at(p + 1) == 'x' || at(p + 1) == 'X') && hex_digit(at(p + 2)) >= 0) p += 2;
  const size_t digits = p;
  const uint64_t limit = neg ? 0x80000000u : 0x7FFFFFFFu;
  uint64_t acc = 0;
  Number n;
  for (int d; (d = hex_digit(at(p))) >= 0; ++p) {
    acc = acc * 16 + uint64_t(d);
    if (acc > limit) n.overflow = true, acc = limit;
  }
  if (p == digits) {
    n.end = pos;
    return n;
  }
  n.end = p;
  n.value = int32_t(neg ? uint32_t(0) - uint32_t(acc) : uint32_t(acc));
  return n;
}

// The command's effect with the detail the messages need: where strtol stopped for good and
// whether a number overflowed.
struct Effect {
  FingerprintCommandEffect e;
  std::string_view data;  // the argument as Tasmota sees it (leading whitespace skipped)
  bool shortcut_clear = false, shortcut_default = false;
  size_t stuck_at = std::string_view::npos;  // offset in data where a strtol found no number
  bool overflow = false;
};

Effect run_command(std::string_view payload, int slot) {
  Effect r;
  size_t skip = 0;
  while (skip < payload.size() && is_space(payload[skip])) ++skip;
  std::string_view data = payload.substr(skip);
  if (data == "?") data = {};  // CommandHandler: "?" asks for the value
  r.data = data;
  r.e.length = data.size();
  if (data.empty()) return r;
  if (data.size() >= kArgMax) {
    r.e.kind = FingerprintCommandEffect::Kind::ignored;
    return r;
  }
  r.e.kind = FingerprintCommandEffect::Kind::stored;
  // Shortcut() (tasmota_support/support.ino): one character; '"' or '0' clears, '1' = default.
  const bool single = data.size() == 1 || data[1] == '\0';
  if (single && data[0] == '1') {
    r.shortcut_default = true;
    if (slot == 1) r.e.stored = parse_fingerprint("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");  // MQTT_FINGERPRINT2
    return r;  // slot 1: MQTT_FINGERPRINT1, all 00
  }
  r.shortcut_clear = single && (data[0] == '"' || data[0] == '0');
  // strlcpy into the buffer: a NUL in the payload ends the string.
  std::string_view text = r.shortcut_clear ? std::string_view() : data.substr(0, data.find('\0'));
  size_t p = 0;
  for (uint8_t& b : r.e.stored) {
    Number n = strtol16(text, p);
    if (n.end == p && r.stuck_at == std::string_view::npos) {
      size_t q = p;
      while (q < text.size() && is_space(text[q])) ++q;
      if (q < text.size()) r.stuck_at = q;
    }
    r.overflow |= n.overflow;
    b = uint8_t(n.value);
    p = n.end;
  }
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// How many hex bytes the text lists, separated by colons and/or blanks (0 when it is not such a
// list), and whether colons separate them.
struct Listing {
  size_t bytes = 0;
  bool colons = false;
  bool one_run = false;  // hex digits with no separator at all
};

Listing listing(std::string_view s) {
  Listing l;
  if (s.empty()) return l;
  if (std::all_of(s.begin(), s.end(), [](char c) { return hex_digit(c) >= 0; })) {
    l.one_run = true;
    l.bytes = s.size() % 2 ? 0 : s.size() / 2;
    return l;
  }
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && hex_digit(s[i]) >= 0) ++i;
    if (i - start != 2) return Listing{};
    ++l.bytes;
    while (i < s.size() && (s[i] == ':' || is_space(s[i]))) l.colons |= s[i++] == ':';
  }
  return l;
}

// What the text is, when it is one of the forms people copy from certificate tools. Short: a
// scenario error shows at most 400 characters, the file, key and value included.
std::string what_it_is(std::string_view text, const std::string& parse_detail) {
  std::string_view s = trim(text);
  if (size_t eq = s.find('='); eq != std::string_view::npos) {
    const std::string label = lower(s.substr(0, eq));
    if (label.find("sha256") != std::string::npos || label.find("sha-256") != std::string::npos)
      return "a certificate's SHA-256 (`openssl x509 -fingerprint -sha256` output)";
    return "a hash of the whole certificate (`openssl x509 -fingerprint` output)";
  }
  const Listing l = listing(s);
  if (l.bytes == 32)
    return std::string("a certificate's SHA-256") + (l.one_run ? ", 32 bytes in one run" : "") +
           " (`openssl x509 -fingerprint -sha256`)";
  if (l.bytes == 20 && l.colons)
    return "colon-separated, like `openssl x509 -fingerprint -sha1` (a certificate's SHA-1)";
  if (l.bytes == 20 && l.one_run) return "40 hex digits in one run";
  if (l.bytes == 20)
    return "20 bytes in " + std::to_string(tasmota_fingerprint_command(text, 0).length) + " characters";
  return parse_detail.empty() ? "not 20 hex bytes" : parse_detail;
}

// "A5 00 00 …" for a value that ends in three zeros or more; the whole value otherwise.
std::string shown_value(const Fingerprint& fp) {
  size_t used = fp.size();
  while (used > 0 && fp[used - 1] == 0) --used;
  if (fp.size() - used < 3) return format_fingerprint(fp);
  return format_fingerprint(fp).substr(0, (used + 2) * 3) + "…";
}

}  // namespace

bool looks_like_fingerprint_text(std::string_view text) {
  std::string_view s = trim(text);
  if (lower(s).find("fingerprint=") != std::string::npos) return true;
  return listing(s).bytes >= 16;
}

FingerprintCommandEffect tasmota_fingerprint_command(std::string_view payload, int slot) {
  return run_command(payload, slot).e;
}

std::string describe_fingerprint_command(std::string_view text, int slot) {
  const Effect r = run_command(text, slot);
  using Kind = FingerprintCommandEffect::Kind;
  const std::string cmd = "MqttFingerprint" + std::to_string(slot + 1);
  if (r.e.kind == Kind::query) return cmd + " takes an empty argument as a question and changes nothing";
  if (r.e.kind == Kind::ignored)
    return cmd + " ignores it (" + std::to_string(r.e.length) + " characters: 60 or more), slot unchanged";
  std::string why;
  if (r.shortcut_default)
    why = " (\"1\": the default)";
  else if (r.shortcut_clear)
    why = " (\"" + std::string(r.data.substr(0, 1)) + "\": clear)";
  else if (r.stuck_at != std::string_view::npos)
    why = " (strtol stops at '" + std::string(1, r.data[r.stuck_at]) + "')";
  else if (r.overflow)
    why = " (strtol overflows the chip's 32-bit long)";
  const char* then = is_learn(r.e.stored) ? ", restart and learn any key"
                     : is_any(r.e.stored) ? ", restart and accept any key"
                                          : ", restart, fail with TLS error 1";
  return cmd + " would store " + shown_value(r.e.stored) + why + then;
}

std::optional<std::string> fingerprint_form_problem(std::string_view text, int slot) {
  std::string detail;
  try {
    const Fingerprint meant = parse_fingerprint(text);
    const FingerprintCommandEffect e = tasmota_fingerprint_command(text, slot);
    if (e.kind == FingerprintCommandEffect::Kind::stored && e.stored == meant) return std::nullopt;
  } catch (const FingerprintError& err) {
    // parse_fingerprint's own account of what is wrong, without its closing advice.
    detail = err.what();
    if (size_t cut = detail.find("; Tasmota's MqttFingerprint"); cut != std::string::npos) detail.resize(cut);
  }
  return what_it_is(text, detail) +
         "; Tasmota wants the SHA-1 of the broker's public key, 20 hex bytes with spaces — " +
         describe_fingerprint_command(text, slot) + "; `espfleet fingerprint CERT` prints it";
}

}  // namespace espfleet
