// tests/sim/config/test_toml_ascii.cpp — non-ASCII outside TOML strings and comments is refused
// before toml++ sees it (toml++ 3.3 reaches __builtin_unreachable on some such characters: found
// by tests/fuzz/fuzz_scenario); inside strings of every kind and in comments it is text.
#include <doctest/doctest.h>

#include <string>

#include "config/scenario_test_support.h"
#include "toml_ascii.h"
#include "utf8_text.h"

using namespace espfleet;
using scenario_test::error_of;

TEST_CASE("toml ascii: where the first non-ASCII byte outside strings and comments is") {
  CHECK(first_non_ascii_outside_strings("a = 1 # café\n").line == 0);
  CHECK(first_non_ascii_outside_strings("a = \"café\"\nb = 'né'\n").line == 0);
  CHECK(first_non_ascii_outside_strings("a = \"\"\"\nline \\\" é\n\"\"\"\nb = '''\né '''\n").line == 0);
  CHECK(first_non_ascii_outside_strings("a = \"x\\\\\" # é\n").line == 0);  // an escaped backslash ends the string
  const TomlPosition p = first_non_ascii_outside_strings("[fleet]\nCC\xc3\xbc = 1\n");
  CHECK(p.line == 2);
  CHECK(p.column == 3);
  CHECK(first_non_ascii_outside_strings("a = \"open\nb\xc3\xa9 = 1\n").line ==
        2);  // an unterminated string ends at its line
  // A quote where no string can begin is no string: what follows is outside one (the second input
  // toml++ 3.3 reached __builtin_unreachable with: dured = 5"5s U+FEFE").
  CHECK(first_non_ascii_outside_strings("d = 5\"5s\xef\xbb\xbe\"\n").line == 1);
  // Strings as keys, dotted keys, inline tables, arrays, table names: text.
  CHECK(first_non_ascii_outside_strings(
            "\"k\xc3\xa9y\" = 1\na.\"b\xc3\xa9\" = 2\nt = { x = \"\xc3\xa9\", y = ['\xc3\xa9', "
            "\"\xc3\xa9\"] }\n[\"s\xc3\xa9\"]\nv = [\n  \"\xc3\xa9\",\n]\n")
            .line == 0);
  CHECK(
      error_of("[fleet]\nCCCC\xc3\xbc\x43\x43 = 1\n").find("test.toml:2:5: TOML syntax error: a non-ASCII character") ==
      0);
  CHECK(error_of("# scénario\n[fleet]\ndevices = 3 # trois appareils — three\n").empty());
}

TEST_CASE("toml ascii: UTF-8 is checked where toml++ does not see the text") {
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

TEST_CASE("toml ascii: an escape is ASCII") {
  // fuzz_scenario found this one ('"""\\µ', minimised): toml++ checks the byte after a backslash
  // in a basic string against its Unicode whitespace table and reaches __builtin_unreachable.
  CHECK(first_non_ascii_outside_strings("a = \"\"\"\\\xc2\xb5\"\"\"\n").line == 1);
  CHECK(first_non_ascii_outside_strings("a = \"\"\"\\\xc2\xb5\"\"\"\n").column == 9);
  CHECK(first_non_ascii_outside_strings("a = \"x\\\xc2\xb5\"\n").line == 1);
  CHECK(first_non_ascii_outside_strings("[\"\"\"Q@e edof brok\\r]\n#  edof brok\\\xc2\xb5sr]\n").line == 2);
  // Escapes of any kind and non-ASCII after them are fine; a literal string has no escapes.
  CHECK(first_non_ascii_outside_strings("a = \"\\u00B5 \\\\\xc2\xb5 \\t\xc2\xb5\"\nb = '\\\xc2\xb5'\n").line == 0);
  CHECK(error_of("a = \"\\\xc2\xb5\"\n").find("test.toml:1:7: TOML syntax error: a non-ASCII character") == 0);
}

TEST_CASE("toml ascii: a quote after a number's '.' is no string") {
  // fuzz_scenario found this one ('d=0."' and a byte-order mark, minimised): the '.' of "0." is
  // the number's; toml++ reads the quote on as garbage and the mark as text, reaching
  // __builtin_unreachable in its Unicode table.
  CHECK(first_non_ascii_outside_strings("d=0.\"\xef\xbb\x9f").line == 1);
  // Dotted keys stay keys: at the line start and inside inline tables, in arrays too.
  CHECK(first_non_ascii_outside_strings("a.\"\xc2\xb5\" = 1\n").line == 0);
  CHECK(first_non_ascii_outside_strings("t = { a.\"\xc2\xb5\" = 1, b.\"\xc2\xb5\" = 2.5 }\n").line == 0);
  CHECK(first_non_ascii_outside_strings("t = [{ a.\"\xc2\xb5\" = 1 }, \"\xc2\xb5\"]\nb.\"\xc2\xb5\" = 0.5\n").line ==
        0);
  CHECK(first_non_ascii_outside_strings("t = [\n  1.5,\n  \"\xc2\xb5\",\n]\n").line == 0);
}

TEST_CASE("toml ascii: a table header's '[' opens no value") {
  // fuzz_scenario found this one ('[""."["' and U+FE3F, minimised): the header's dotted quoted
  // keys are keys, so the character after them is outside any string, as toml++ reads it.
  CHECK(first_non_ascii_outside_strings("[\"\".\"[\"\xef\xb8\xbf").line == 1);
  CHECK(first_non_ascii_outside_strings("[a.\"\xc2\xb5\"]\nb = [\"\xc2\xb5\", [\"\xc2\xb5\"]]\n").line == 0);
}
