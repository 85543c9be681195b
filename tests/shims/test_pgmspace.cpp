// tests/shims/test_pgmspace.cpp — shims/pgmspace.h: PROGMEM data, F()/PSTR strings and the *_P
// functions behave as their C counterparts (on the host flash is ordinary memory).
#include <doctest/doctest.h>

#include <string>

#include "Arduino.h"

namespace {

const char kGreeting[] PROGMEM = "Hello, flash";
const uint8_t kBytes[] PROGMEM = {0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xAA};
const float kFloats[] PROGMEM = {1.5f, -2.25f};
const char* const kTable[] PROGMEM = {kGreeting, "second"};

int call_vsnprintf_P(char* out, size_t n, PGM_P fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf_P(out, n, fmt, ap);
  va_end(ap);
  return r;
}

}  // namespace

TEST_SUITE("pgmspace") {
  TEST_CASE("F() and PSTR strings work with the *_P string functions") {
    PGM_P p = PSTR("mqtt");
    CHECK(strlen_P(p) == 4);
    CHECK(strnlen_P(p, 2) == 2);
    CHECK(strcmp_P("mqtt", p) == 0);
    CHECK(strncmp_P("mqtts", p, 4) == 0);
    CHECK(strcasecmp_P("MQTT", p) == 0);
    CHECK(strncasecmp_P("MQxx", p, 2) == 0);
    const __FlashStringHelper* f = F("flash text");
    CHECK(strlen_P(reinterpret_cast<PGM_P>(f)) == 10);
    CHECK(strcmp_P("flash text", reinterpret_cast<PGM_P>(f)) == 0);
    CHECK(FPSTR(kGreeting) == reinterpret_cast<const __FlashStringHelper*>(kGreeting));
    CHECK(String(FPSTR(kGreeting)) == "Hello, flash");
    CHECK(strstr_P("a Hello, flash", kGreeting) != nullptr);
    CHECK(strchr_P(kGreeting, ',') == kGreeting + 5);
    CHECK(strrchr_P(kGreeting, 'l') == kGreeting + 8);
  }

  TEST_CASE("copying and comparing memory out of flash") {
    char buf[32];
    strcpy_P(buf, kGreeting);
    CHECK(std::string(buf) == "Hello, flash");
    strcat_P(buf, PSTR("!"));
    CHECK(std::string(buf) == "Hello, flash!");
    strncpy_P(buf, PSTR("abcdef"), 3);
    buf[3] = 0;
    CHECK(std::string(buf) == "abc");
    strncat_P(buf, PSTR("defgh"), 2);
    CHECK(std::string(buf) == "abcde");
    uint8_t raw[4];
    memcpy_P(raw, kBytes + 1, sizeof raw);
    CHECK(raw[0] == 0x34);
    CHECK(memcmp_P(raw, kBytes + 1, sizeof raw) == 0);
    CHECK(memchr_P(kBytes, 0x78, sizeof kBytes) == kBytes + 3);
  }

  TEST_CASE("pgm_read_* read values of each width, also unaligned") {
    CHECK(pgm_read_byte(kBytes + 7) == 0xAA);
    CHECK(pgm_read_byte(&kGreeting[1]) == 'e');
    CHECK(pgm_read_word(kBytes + 1) == 0x1234);  // unaligned, little-endian like the chip
    CHECK(pgm_read_dword(kBytes + 3) == 0x12345678u);
    CHECK(pgm_read_float(&kFloats[1]) == -2.25f);
    CHECK(pgm_read_ptr(&kTable[1]) == kTable[1]);
    CHECK(std::string((const char*)pgm_read_ptr(&kTable[0])) == "Hello, flash");
    CHECK(pgm_read_byte_near(kBytes) == 0x01);
    CHECK(pgm_read_dword_far(kBytes + 3) == 0x12345678u);
  }

  TEST_CASE("printf family with the format in flash") {
    char buf[16];
    CHECK(snprintf_P(buf, sizeof buf, PSTR("%s=%d"), "heap", 42) == 7);
    CHECK(std::string(buf) == "heap=42");
    CHECK(snprintf_P(buf, 4, PSTR("%d"), 123456) == 6);  // truncated, returns the full length
    CHECK(std::string(buf) == "123");
    CHECK(sprintf_P(buf, PSTR("%02X%02X"), 0xAB, 0x1) == 4);
    CHECK(std::string(buf) == "AB01");
    CHECK(call_vsnprintf_P(buf, sizeof buf, PSTR("v%u.%u"), 2u, 7u) == 4);
    CHECK(std::string(buf) == "v2.7");
  }

}  // TEST_SUITE
