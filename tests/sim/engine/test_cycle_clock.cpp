// tests/sim/engine/test_cycle_clock.cpp — a CycleClock's work clock (sim/engine/cycle_clock.h): work
// charged while the CPU runs at another clock moves the device's clock in proportion, with the
// fraction carried, while time that passes (pass) and the clock's own MHz do not change; the
// watchdog alarm still fires on a scaled charge.
#include <doctest/doctest.h>

#include "cycle_clock.h"

using namespace espfleet;

TEST_CASE("CycleClock: work at 160 MHz on an 80 MHz clock takes half its cycles, the fraction carried") {
  CycleClock c(80);
  CHECK(c.work_mhz() == 80);
  CHECK(c.set_work_mhz(160) == 0);  // was the clock's own
  CHECK(c.work_mhz() == 160);
  CHECK(c.mhz() == 80);  // time is still counted at 80 MHz
  c.charge(1600);        // 1600 cycles at 160 MHz: 10 µs, 800 of this clock's cycles
  CHECK(c.cycles() == 800);
  CHECK(c.now() == VTime::from_us(10));
  c.charge(1);  // half a cycle: carried
  CHECK(c.cycles() == 800);
  c.charge(1);  // the other half
  CHECK(c.cycles() == 801);
  c.pass(80);  // a µs that passes whatever the CPU runs at
  CHECK(c.cycles() == 881);
  CHECK(c.set_work_mhz(0) == 160);  // back, and told what it was
  c.charge(100);
  CHECK(c.cycles() == 981);
  CHECK(c.set_work_mhz(80) == 0);  // the clock's own MHz is no work clock
  CHECK(c.set_work_mhz(0) == 0);
}

TEST_CASE("CycleClock: a slower work clock, and the alarm on a scaled charge") {
  CycleClock c(160);
  c.set_work_mhz(80);
  c.charge(80);  // a µs of work at 80 MHz: 160 cycles at 160
  CHECK(c.cycles() == 160);
  static int fired = 0;
  fired = 0;
  c.set_alarm([](void*) { ++fired; }, nullptr);
  c.arm_alarm(400);
  c.charge(100);  // 200: below the alarm
  CHECK(fired == 0);
  c.charge(20);  // 400
  CHECK(fired == 1);
}
