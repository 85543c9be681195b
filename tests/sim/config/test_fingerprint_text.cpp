// tests/sim/config/test_fingerprint_text.cpp — fingerprints judged by what Tasmota's
// MqttFingerprint command would store (sim/config/fingerprint_text.h): the effect of an argument,
// the messages for the seed-004 forms (a certificate's SHA-256 in colons, a colon SHA-1, one run
// of digits), and tls.fingerprint1/2 refusing them with file:line:column as other scenario errors.
#include <doctest/doctest.h>

#include <string>

#include "fingerprint.h"
#include "fingerprint_text.h"
#include "scenario_test_support.h"

using namespace espfleet;
using namespace scenario_test;

namespace {

const std::string kSeed004 =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
const std::string kSpaced = "A5 02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07";
const std::string kColon20 = "A5:02:FF:13:99:9F:8B:39:8E:F1:83:4F:11:23:65:0B:32:36:FC:07";

std::string problem(const std::string& text, int slot = 0) {
  std::optional<std::string> p = fingerprint_form_problem(text, slot);
  return p ? *p : "(none)";
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("tasmota_fingerprint_command: query, ignored at 60 characters, leading whitespace not counted") {
  using Kind = FingerprintCommandEffect::Kind;
  CHECK(tasmota_fingerprint_command("", 0).kind == Kind::query);
  CHECK(tasmota_fingerprint_command("  ?", 0).kind == Kind::query);
  FingerprintCommandEffect seed = tasmota_fingerprint_command(kSeed004, 0);
  CHECK(seed.kind == Kind::ignored);
  CHECK(seed.length == 95);
  CHECK(tasmota_fingerprint_command(kSpaced + " ", 0).kind == Kind::ignored);  // 60: trailing space counts
  FingerprintCommandEffect padded = tasmota_fingerprint_command("      " + kSpaced, 0);
  CHECK(padded.kind == Kind::stored);
  CHECK(padded.length == 59);
  CHECK(format_fingerprint(padded.stored) == kSpaced);
  FingerprintCommandEffect colon = tasmota_fingerprint_command(kColon20, 1);
  REQUIRE(colon.kind == Kind::stored);
  CHECK(format_fingerprint(colon.stored) == "A5 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  CHECK(format_fingerprint(tasmota_fingerprint_command("1", 1).stored) ==
        "DA 39 A3 EE 5E 6B 4B 0D 32 55 BF EF 95 60 18 90 AF D8 07 09");
  CHECK(is_learn(tasmota_fingerprint_command("1", 0).stored));
}

TEST_CASE("a value MqttFingerprint stores as meant is no problem; others are explained") {
  CHECK(problem(kSpaced) == "(none)");
  CHECK(problem("a5 02 ff 13 99 9f 8b 39 8e f1 83 4f 11 23 65 0b 32 36 fc 07", 1) == "(none)");
  CHECK(problem(kColon20) != "(none)");
  CHECK(problem("A502FF13999F8B398EF1834F1123650B3236FC07") != "(none)");
}

TEST_CASE("the seed's SHA-256 form: what it is, what Tasmota wants, that the firmware ignores it, the fix") {
  std::string m = problem(kSeed004);
  CAPTURE(m);
  CHECK(m ==
        "a certificate's SHA-256 (`openssl x509 -fingerprint -sha256`); Tasmota wants the SHA-1 of the "
        "broker's public key, 20 hex bytes with spaces — MqttFingerprint1 ignores it (95 characters: 60 or more), "
        "slot unchanged; `espfleet fingerprint CERT` prints it");
  CHECK(has(problem(kSeed004, 1), "MqttFingerprint2 ignores it"));
  // The same bytes with spaces (95 characters too) or in one run of 64 digits (64): also ignored.
  std::string spaced = kSeed004;
  for (char& c : spaced)
    if (c == ':') c = ' ';
  CHECK(has(problem(spaced), "SHA-256"));
  CHECK(has(problem(spaced), "ignores it (95 characters"));
  std::string run;
  for (char c : kSeed004)
    if (c != ':') run += c;
  CHECK(has(problem(run), "SHA-256, 32 bytes in one run"));
  CHECK(has(problem(run), "ignores it (64 characters"));
  CHECK(has(problem("sha256 Fingerprint=" + kSeed004), "(`openssl x509 -fingerprint -sha256` output)"));
}

TEST_CASE("a colon SHA-1 form or a short colon form: the firmware stores the first byte, then zeros") {
  std::string m = problem(kColon20);
  CAPTURE(m);
  CHECK(m ==
        "colon-separated, like `openssl x509 -fingerprint -sha1` (a certificate's SHA-1); Tasmota wants the "
        "SHA-1 of the broker's public key, 20 hex bytes with spaces — MqttFingerprint1 would store A5 00 00 … "
        "(strtol stops at ':'), restart, fail with TLS error 1; `espfleet fingerprint CERT` prints it");
  std::string shorter = problem("AA:BB:CC:DD:EE:FF");
  CAPTURE(shorter);
  CHECK(has(shorter, "has 6 bytes, not 20"));
  CHECK(has(shorter, "would store AA 00 00 … (strtol stops at ':')"));
  std::string labelled = problem("SHA1 Fingerprint=" + kColon20);
  CHECK(has(labelled, "a hash of the whole certificate (`openssl x509 -fingerprint` output)"));
  CHECK(has(labelled, "ignores it (76 characters"));
  std::string cut = problem("sha1 Fingerprint=AB:CD");  // under 60: 's' is no hex digit, all 00
  CHECK(has(cut, "would store 00 00 … (strtol stops at 's'), restart and learn any key"));
}

TEST_CASE("40 digits in one run overflow strtol's 32-bit long: FF, then zeros; 20 bytes over 59 characters") {
  std::string m = problem("A502FF13999F8B398EF1834F1123650B3236FC07");
  CAPTURE(m);
  CHECK(has(m, "40 hex digits in one run"));
  CHECK(has(m, "would store FF 00 00 … (strtol overflows the chip's 32-bit long)"));
  std::string wide = problem("A5  02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07");
  CAPTURE(wide);
  CHECK(has(wide, "20 bytes in 60 characters"));
  CHECK(has(wide, "ignores it (60 characters"));
}

TEST_CASE("looks_like_fingerprint_text tells a pasted fingerprint from a file name") {
  CHECK(looks_like_fingerprint_text(kSeed004));
  CHECK(looks_like_fingerprint_text(kColon20));
  CHECK(looks_like_fingerprint_text("sha1 Fingerprint=AB"));
  CHECK_FALSE(looks_like_fingerprint_text("server.crt"));
  CHECK_FALSE(looks_like_fingerprint_text("/etc/mosquitto/certs/broker.pem"));
  CHECK_FALSE(looks_like_fingerprint_text("deadbeef"));
}

TEST_CASE("tls.fingerprint1/2 refuse the seed's forms with file:line:column, the key and the explanation") {
  std::string e = error_of("[tls]\nvalidation = \"fingerprint\"\nfingerprint1 = \"" + kSeed004 + "\"\n");
  CAPTURE(e);
  CHECK(e.find("test.toml:3:1: tls.fingerprint1 = ") == 0);
  CHECK(has(e, "SHA-256"));
  CHECK(has(e, "ignores it (95 characters: 60 or more)"));
  CHECK(has(e, "`espfleet fingerprint CERT` prints it"));  // the whole message: under the 400 shown
  std::string e2 = error_of("[tls]\nfingerprint2 = \"" + kColon20 + "\"\n");
  CAPTURE(e2);
  CHECK(e2.find("test.toml:2:1: tls.fingerprint2 = ") == 0);
  CHECK(has(e2, "MqttFingerprint2"));
  CHECK(has(e2, "would store A5 00 00 …"));
  CHECK(has(e2, "`espfleet fingerprint CERT` prints it"));
  std::string set = error_of("", {"tls.fingerprint1=" + kColon20});
  CAPTURE(set);
  CHECK(has(set, "--set tls.fingerprint1="));
  CHECK(has(set, "colon-separated"));
  // What Tasmota stores as meant loads: spaces, lower case; and the keywords.
  CHECK(error_of("[tls]\nfingerprint1 = \"" + kSpaced + "\"\nfingerprint2 = \"learn\"\n") == "");
  CHECK(error_of("", {"tls.fingerprint1=a5 02 ff 13 99 9f 8b 39 8e f1 83 4f 11 23 65 0b 32 36 fc 07",
                      "tls.fingerprint2=any"}) == "");
}
