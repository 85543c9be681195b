// tests/sim/cli/test_progress_line.cpp — the run's live line: on a terminal one line redrawn in
// place; elsewhere at most one line every 10 s of wall time, whatever the tick rate.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "progress_line.h"

using namespace espfleet;

namespace {

struct Captured {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  ~Captured() {
    if (f) std::fclose(f);
    std::free(buf);
  }
  std::string text() {
    std::fflush(f);
    return std::string(buf, len);
  }
};

size_t count(const std::string& s, char c) {
  size_t n = 0;
  for (char x : s) n += x == c;
  return n;
}

FleetProgress at(double s) {
  FleetProgress p;
  p.at = VTime::from_ms(int64_t(s * 1000));
  p.devices = 10;
  p.connected = 7;
  return p;
}

}  // namespace

TEST_CASE("progress line: not a terminal, a 60 s run at 4 ticks a second writes at most 6 lines") {
  Captured out;
  REQUIRE(out.f);
  ProgressLine line(out.f, false, true, HostTime{});
  for (int tick = 1; tick <= 240; ++tick) line.update(at(tick * 0.25), HostTime::from_ms(uint64_t(tick) * 250));
  line.finish();
  std::string s = out.text();
  CHECK(count(s, '\n') == 6);
  CHECK(count(s, '\r') == 0);
  CHECK(s.find("[   10.0s] connected 7/10") == 0);  // the first one after 10 s, not at once
}

TEST_CASE("progress line: a terminal redraws one line, ended once") {
  Captured out;
  REQUIRE(out.f);
  ProgressLine line(out.f, true, true, HostTime{});
  for (int tick = 1; tick <= 40; ++tick) line.update(at(tick * 0.25), HostTime::from_ms(uint64_t(tick) * 250));
  std::string before = out.text();
  CHECK(count(before, '\r') == 40);
  CHECK(count(before, '\n') == 0);
  line.break_line();  // a message of its own comes next
  line.break_line();  // nothing open: no empty line
  CHECK(count(out.text(), '\n') == 1);
  line.update(at(11), HostTime::from_ms(11000));
  line.finish();
  CHECK(count(out.text(), '\n') == 2);
}

TEST_CASE("progress line: --quiet writes nothing") {
  Captured out;
  REQUIRE(out.f);
  ProgressLine line(out.f, false, false, HostTime{});
  for (int tick = 1; tick <= 100; ++tick) line.update(at(tick), HostTime::from_ms(uint64_t(tick) * 20000));
  line.finish();
  CHECK(out.text().empty());
}
