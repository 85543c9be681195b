// tests/sim/config/test_units.cpp — the unit parsers scenario values rely on: durations, byte sizes
// and frequencies, their formatting, and what a bad value says.
#include <doctest/doctest.h>

#include <string>

#include "units.h"

using namespace espfleet;

// ---- units -----------------------------------------------------------------------------------

TEST_CASE("durations parse with every unit; a bare number is seconds") {
  CHECK(parse_duration("250us").us == 250);
  CHECK(parse_duration("250µs").us == 250);
  CHECK(parse_duration("500ms").us == 500000);
  CHECK(parse_duration("60s") == Duration::from_s(60));
  CHECK(parse_duration("60") == Duration::from_s(60));
  CHECK(parse_duration("2m") == Duration::from_s(120));
  CHECK(parse_duration("2min") == Duration::from_s(120));
  CHECK(parse_duration("1h") == Duration::from_s(3600));
  CHECK(parse_duration("3d") == Duration::from_s(3 * 86400));
  CHECK(parse_duration("1.5s") == Duration::from_ms(1500));
  CHECK(parse_duration("50 ms") == Duration::from_ms(50));
  CHECK(parse_duration("1m30s") == Duration::from_s(90));
  CHECK(parse_duration("0") == Duration{});
  CHECK(parse_duration("1_000ms") == Duration::from_s(1));
}

TEST_CASE("duration helpers and formatting round-trip") {
  Duration d = Duration::from_us(1500);
  CHECK(d.ms() == 1);
  CHECK(d.seconds() == doctest::Approx(0.0015));
  CHECK(d.vtime().ns == 1500000);
  CHECK(format_duration(Duration::from_s(60)) == "1m");
  CHECK(format_duration(Duration::from_s(90)) == "90s");
  CHECK(format_duration(Duration::from_ms(500)) == "500ms");
  CHECK(format_duration(Duration::from_us(1500)) == "1500us");
  CHECK(format_duration(Duration{}) == "0s");
  CHECK(Duration::from_s(300).str() == "5m");
  for (int64_t us : {1LL, 999LL, 1000LL, 2500000LL, 3600000000LL, 90061000001LL})
    CHECK(parse_duration(format_duration(Duration::from_us(us))).us == us);
}

TEST_CASE("bad durations say what is wrong and quote the input") {
  auto msg = [](std::string_view s) {
    try {
      parse_duration(s);
    } catch (const UnitError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(msg("5x").find("unknown unit 'x'") != std::string::npos);
  CHECK(msg("5x").find("\"5x\"") != std::string::npos);
  CHECK(msg("").find("empty") != std::string::npos);
  CHECK(msg("-1s").find("negative") != std::string::npos);
  CHECK(msg("0.5us").find("whole number of microseconds") != std::string::npos);
  CHECK(msg("fast").find("expected a duration") != std::string::npos);
  CHECK(msg("1m30").find("every part needs a unit") != std::string::npos);
  CHECK(msg("99999999999999d").find("too large") != std::string::npos);
}

TEST_CASE("byte sizes use binary multipliers") {
  CHECK(parse_bytes("48K") == 49152);
  CHECK(parse_bytes("48KiB") == 49152);
  CHECK(parse_bytes("48KB") == 49152);
  CHECK(parse_bytes("48 k") == 49152);
  CHECK(parse_bytes("1024") == 1024);
  CHECK(parse_bytes("512B") == 512);
  CHECK(parse_bytes("2M") == 2u << 20);
  CHECK(parse_bytes("1.5K") == 1536);
  CHECK(format_bytes(49152) == "48KiB");
  CHECK(format_bytes(49153) == "49153");
  CHECK(format_bytes(2u << 20) == "2MiB");
  CHECK_THROWS_WITH_AS(parse_bytes("48Q"), doctest::Contains("unknown unit 'Q'"), UnitError);
  CHECK_THROWS_WITH_AS(parse_bytes("1.0001K"), doctest::Contains("whole number of bytes"), UnitError);
  CHECK_THROWS_AS(parse_bytes("lots"), UnitError);
}

TEST_CASE("frequencies are whole MHz; a bare number is MHz") {
  CHECK(parse_mhz("80MHz") == 80);
  CHECK(parse_mhz("160 MHz") == 160);
  CHECK(parse_mhz("80") == 80);
  CHECK(parse_mhz("80000kHz") == 80);
  CHECK(parse_mhz("80000000Hz") == 80);
  CHECK_THROWS_WITH_AS(parse_mhz("80.5MHz"), doctest::Contains("whole number of MHz"), UnitError);
  CHECK_THROWS_WITH_AS(parse_mhz("80Mb"), doctest::Contains("unknown unit"), UnitError);
}

TEST_CASE("bit rates use decimal multipliers; a bare number is bits per second") {
  CHECK(parse_bit_rate("64kbit") == 64000);
  CHECK(parse_bit_rate("64 kbps") == 64000);
  CHECK(parse_bit_rate("2Mbit") == 2000000);
  CHECK(parse_bit_rate("1.5Mbps") == 1500000);
  CHECK(parse_bit_rate("9600") == 9600);
  CHECK(format_bit_rate(64000) == "64kbit");
  CHECK(format_bit_rate(2000000) == "2Mbit");
  CHECK(format_bit_rate(9600) == "9600bit");
  CHECK(parse_bit_rate(format_bit_rate(1500000)) == 1500000);
  CHECK_THROWS_WITH_AS(parse_bit_rate("64kB"), doctest::Contains("unknown unit 'kB'"), UnitError);
  CHECK_THROWS_WITH_AS(parse_bit_rate("0.5bit"), doctest::Contains("not a whole number of bits per second"), UnitError);
}
