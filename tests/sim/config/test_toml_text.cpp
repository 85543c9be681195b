// tests/sim/config/test_toml_text.cpp — scenario TOML with the characters toml++ 3.3 misreads
// (sim/config/toml_text.h): every input tests/fuzz/fuzz_scenario found reaching toml++'s
// __builtin_unreachable is read without it (the fuzz build replays them under UBSan from the seed
// corpus); here, that such text still means what it says — strings, keys, comments and errors
// carry the author's characters — and that bad text is refused by line and column.
#include <doctest/doctest.h>

#include <string>

#include "config/scenario_test_support.h"
#include "toml_text.h"
#include "utf8_text.h"

using namespace espfleet;
using scenario_test::error_of;

namespace {
std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += char(c);
  } else if (c < 0x800) {
    s += char(0xC0 | (c >> 6));
    s += char(0x80 | (c & 0x3F));
  } else {
    s += char(0xE0 | (c >> 12));
    s += char(0x80 | ((c >> 6) & 0x3F));
    s += char(0x80 | (c & 0x3F));
  }
  return s;
}
std::string parse_error_of(const std::string& text) {
  try {
    (void)parse_toml(text, "t.toml");
  } catch (const toml::parse_error& e) {
    return std::to_string(e.source().begin.line) + ":" + std::to_string(e.source().begin.column) + " " +
           std::string(e.description());
  }
  return "";
}
}  // namespace

TEST_CASE("toml text: every misread character comes back where it was written") {
  // All of them, in a basic string, a literal string, a quoted key and a comment.
  for (char32_t c = 0xA0; c <= 0xFFFD; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    if (c >= 0xE000 && c <= 0xEBFF) continue;
    if (c == 0xFEFF || c == 0x2028 || c == 0x2029) continue;
    const std::string ch = utf8(c);
    const std::string text = "a = \"x" + ch + "\"\nb = '" + ch + "'\n\"k" + ch + "\" = 1 # " + ch + "\n";
    toml::table t;
    try {
      t = parse_toml(text, "t.toml");
    } catch (const toml::parse_error& e) {
      FAIL("U+" << std::hex << uint32_t(c) << ": " << e.description());
    }
    REQUIRE_MESSAGE(t["a"].value_or(std::string()) == "x" + ch, "U+" << std::hex << uint32_t(c));
    REQUIRE(t["b"].value_or(std::string()) == ch);
    REQUIRE(t["k" + ch].value_or(0) == 1);
    REQUIRE(t.size() == 3);
  }
  CHECK(toml_restore(toml_stand_in("caf\xc3\xa9 \xe3\x80\x80 \xef\xbb\xbe")) ==
        "caf\xc3\xa9 \xe3\x80\x80 \xef\xbb\xbe");
  CHECK(toml_stand_in("caf\xc3\xa9") != "caf\xc3\xa9");
  CHECK(toml_stand_in("\xe3\x80\x80") == "\xe3\x80\x80");  // U+3000: toml++ reads it right
}

TEST_CASE("toml text: nested keys and strings, source regions kept") {
  const toml::table t =
      parse_toml("[\"s\xc3\xa9\"]\nv = [\"\xc3\xa9\", [\"\xc3\xbc\"], { \"k\xc3\xa9\" = \"\xc2\xb5\" }]\n", "t.toml");
  const toml::table* s = t["s\xc3\xa9"].as_table();
  REQUIRE(s);
  CHECK((*s)["v"][0].value_or(std::string()) == "\xc3\xa9");
  CHECK((*s)["v"][1][0].value_or(std::string()) == "\xc3\xbc");
  CHECK((*s)["v"][2]["k\xc3\xa9"].value_or(std::string()) == "\xc2\xb5");
  CHECK((*s)["v"].node()->source().begin.line == 2);
}

TEST_CASE("toml text: what fuzz_scenario found is a syntax error by line and column") {
  // "ü" in a bare key; "µ" after a backslash; U+FEFE after a number and its quote; a byte-order
  // mark after "0."; U+FE3F after a table header's dotted quoted keys; U+FE3F after "20[".
  CHECK(parse_error_of("[fleet]\nCC\xc3\xbc = 1\n").rfind("2:3 ", 0) == 0);
  CHECK(parse_error_of("a = \"\"\"\\\xc2\xb5\"\"\"\n").rfind("1:9 ", 0) == 0);
  CHECK(parse_error_of("a = \"x\\\xc2\xb5\"\n")
            .rfind("1:8 Error while parsing string: unknown escape sequence '\\\xc2\xb5'", 0) == 0);
  CHECK(parse_error_of("d = 5\"5s\xef\xbb\xbe\"\n").rfind("1:", 0) == 0);
  CHECK(parse_error_of("d=0.\"\xef\xbb\x9f").rfind("1:", 0) == 0);
  CHECK(parse_error_of("[\"\".\"[\"\xef\xb8\xbf").rfind("1:", 0) == 0);
  CHECK(parse_error_of("[tls.t]\ndevices = 20[\"[2.\"[\"\xef\xb8\xbf").rfind("2:", 0) == 0);
  // A line-ending backslash whose next line starts with one: text.
  CHECK(parse_toml("a = \"\"\"x\\\n   \xc3\xbcy\"\"\"\n", "t.toml")["a"].value_or(std::string()) == "x\xc3\xbcy");
  // toml++'s message names the character the author wrote, not its stand-in.
  CHECK(parse_error_of("\xc3\xbc = 1\n").find("\xc3\xbc") != std::string::npos);
  // The stand-ins' own range is refused where it is.
  CHECK(parse_error_of("a = 1\nb = \"\xee\x80\x80\"\n").rfind("2:6 a private-use character", 0) == 0);
}

TEST_CASE("toml text: a scenario with them loads, with them errors say where") {
  CHECK(error_of("# sc\xc3\xa9nario\n[fleet]\ndevices = 3 # trois appareils \xe2\x80\x94 three\n").empty());
  CHECK(error_of("[fleet]\nCCCC\xc3\xbc\x43\x43 = 1\n").find("test.toml:2:5: TOML syntax error") == 0);
}

TEST_CASE("toml text: UTF-8 is checked where toml++ does not see the text") {
  CHECK(is_utf8("plain"));
  CHECK(is_utf8("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_utf8("fle\xadt"));          // a stray continuation byte
  CHECK_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_utf8("\xe2\x80"));          // cut short
  // fuzz_scenario found this one: a --set of a threshold whose key is not UTF-8 reached the
  // resolved JSON, whose dump threw. Both --set key and value are refused by name now.
  auto set_error = [](const std::string& set) {
    try {
      (void)parse_scenario("[fleet]\ndevices = 1\n", "test.toml", {set});
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(set_error("thresholds.fle\xadt.duration=0# x \xe2\x80\x94 y").find("a key is ASCII") != std::string::npos);
  CHECK(set_error("tls.fingerprint1=l\xff").find("the value is not UTF-8 text") != std::string::npos);
  CHECK(set_error("tls.fingerprint2=caf\xc3\xa9").find("UTF-8") == std::string::npos);
}
