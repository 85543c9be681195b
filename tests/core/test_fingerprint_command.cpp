// tests/core/test_fingerprint_command.cpp — MqttFingerprint1/2's argument as the firmware parses
// it (core/app.cpp mqttFingerprintArg, after Tasmota's CmndMqttFingerprint): the length limit,
// the 0/1 shortcuts, strtol's reading of colons, overflow and signs; checked against the host's
// own C library where its 64-bit long agrees with the chip's 32-bit one, and against the host
// reproduction the scenario loader explains values with (sim/config/fingerprint_text.h) on
// generated arguments.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "fingerprint.h"
#include "fingerprint_text.h"
// Last: the platform headers define malloc and free as macros.
#include "app.h"

using namespace espfleet;

namespace {

const char kSeed004[] =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

// The firmware's result for data (already without leading whitespace), starting from a slot
// that holds 5A everywhere; "(ignored)" when it returns false.
std::string firmware(const std::string& data, int slot = 0) {
  Fingerprint fp;
  fp.fill(0x5A);
  if (!mqttFingerprintArg(data.c_str(), data.size(), slot, fp.data())) {
    Fingerprint untouched;
    untouched.fill(0x5A);
    CHECK(fp == untouched);
    return "(ignored)";
  }
  return format_fingerprint(fp);
}

std::string zeros_after(const std::string& first) {
  std::string s = first;
  for (int i = 1; i < 20; ++i) s += " 00";
  return s;
}

}  // namespace

TEST_CASE("MqttFingerprint: 20 space-separated bytes are stored as they are, in any case") {
  CHECK(firmware("A5 02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07") ==
        "A5 02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07");
  CHECK(firmware("a5 02 ff 13 99 9f 8b 39 8e f1 83 4f 11 23 65 0b 32 36 fc 07", 1) ==
        "A5 02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07");
  // strtol skips any whitespace before a number, and a one-digit byte is simply that number.
  CHECK(firmware("A5\t2\n FF") == "A5 02 FF 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
}

TEST_CASE("MqttFingerprint: 60 characters or more are ignored, 59 are taken; nothing is a query") {
  CHECK(std::strlen(kSeed004) == 95);
  CHECK(firmware(kSeed004) == "(ignored)");
  CHECK(firmware(std::string(60, '1')) == "(ignored)");
  CHECK(firmware("") == "(ignored)");
  // 59 characters: the 20-byte colon form, the one a certificate's SHA-1 comes in.
  const std::string colon20 = "A5:02:FF:13:99:9F:8B:39:8E:F1:83:4F:11:23:65:0B:32:36:FC:07";
  REQUIRE(colon20.size() == 59);
  CHECK(firmware(colon20) == zeros_after("A5"));
}

TEST_CASE("MqttFingerprint: a colon stops strtol, so the seed's short colon form stores its first byte") {
  CHECK(firmware("AA:BB:CC:DD:EE:FF") == zeros_after("AA"));
  CHECK(firmware(":AA BB") == zeros_after("00"));  // no number at all: every call stops there
  CHECK(firmware("AA BB:CC DD") == "AA BB 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  CHECK(firmware("sha256 Fingerprint=AA") == zeros_after("00"));
}

TEST_CASE("MqttFingerprint: shortcuts — 0 and \" clear, 1 is Tasmota's default, 2 is just a number") {
  CHECK(firmware("0") == zeros_after("00"));
  CHECK(firmware("\"") == zeros_after("00"));
  CHECK(firmware("1", 0) == zeros_after("00"));                                              // MQTT_FINGERPRINT1: learn
  CHECK(firmware("1", 1) == "DA 39 A3 EE 5E 6B 4B 0D 32 55 BF EF 95 60 18 90 AF D8 07 09");  // MQTT_FINGERPRINT2
  CHECK(firmware("2") == zeros_after("02"));      // SC_USER has no meaning here: strtol reads 2
  CHECK(firmware("01", 1) == zeros_after("01"));  // two characters: not a shortcut
}

TEST_CASE("MqttFingerprint: strtol on a 32-bit long — overflow, signs, 0x") {
  CHECK(firmware("AABBCCDDEEFF") == zeros_after("FF"));  // beyond LONG_MAX: 7FFFFFFF
  CHECK(firmware("A5 02FF") == "A5 FF 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");  // 0x2FF → FF
  CHECK(firmware("12345") == zeros_after("45"));
  CHECK(firmware("-1") == zeros_after("FF"));
  CHECK(firmware("-90000000") == zeros_after("00"));  // below LONG_MIN: 80000000
  CHECK(firmware("0x1A 0X2b") == "1A 2B 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  CHECK(firmware("0xZZ") == zeros_after("00"));
}

TEST_CASE("MqttFingerprint: the firmware agrees with the host C library where both longs agree") {
  // glibc's strtol with a 64-bit long gives the chip's result as long as no number needs more
  // than 31 bits; each argument here has numbers of at most 7 digits.
  std::mt19937 rng(4);
  const std::string alphabet = "0123456789abcdefABCDEF  :-+xX\t";
  for (int round = 0; round < 3000; ++round) {
    std::string data;
    size_t len = 1 + rng() % 59, run = 0;
    while (data.size() < len) {
      char c = alphabet[rng() % alphabet.size()];
      run = std::strchr("0123456789abcdefABCDEF", c) ? run + 1 : 0;
      if (run > 7) continue;
      data += c;
    }
    if (data[0] == ' ' || data[0] == '\t') data[0] = '7';            // the caller has skipped these
    if (data.size() == 1 && std::strchr("01\"", data[0])) continue;  // shortcuts: checked above
    Fingerprint want{};
    char* p = data.data();
    for (uint8_t& b : want) b = uint8_t(std::strtol(p, &p, 16));
    CAPTURE(data);
    CHECK(firmware(data) == format_fingerprint(want));
  }
}

TEST_CASE("MqttFingerprint: the host reproduction the loader explains values with matches the firmware") {
  std::mt19937 rng(14);
  const std::string alphabet = "0123456789abcdefABCDEF :-+xX\t\"";
  for (int round = 0; round < 5000; ++round) {
    std::string data;
    size_t len = 1 + rng() % 64;
    while (data.size() < len) data += alphabet[rng() % alphabet.size()];
    if (round % 7 == 0) data = std::string(1, alphabet[rng() % alphabet.size()]);  // shortcut territory
    if (data[0] == ' ' || data[0] == '\t') data[0] = 'A';
    for (int slot = 0; slot < 2; ++slot) {
      CAPTURE(data);
      CAPTURE(slot);
      FingerprintCommandEffect host = tasmota_fingerprint_command(data, slot);
      std::string fw = firmware(data, slot);
      if (host.kind == FingerprintCommandEffect::Kind::stored)
        CHECK(fw == format_fingerprint(host.stored));
      else
        CHECK(fw == "(ignored)");
    }
  }
}
