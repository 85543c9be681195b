// tests/sim/device/test_cpu_boost.cpp — EspPlatform::cpu_boost on a device (sim/device/device_platform.cpp):
// under a 160 MHz boost an 80 MHz device's charges (its own, the heap's) move its clock half as
// far, cpu_mhz() and the time a flash erase takes do not change, the setting is handed back, and a
// restart boots at the device's own clock.
#include <doctest/doctest.h>

#include "device_test_support.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <Esp.h>

using namespace espfleet;
using namespace espfleet::test;

namespace {

// What a charge of 16000 cycles and ten malloc/free pairs move the clock by.
uint64_t work_cycles(EspPlatform* p) {
  const uint64_t before = p->cycles();
  p->charge(16000);
  for (int i = 0; i < 10; ++i) p->heap_free(p->heap_malloc(64, "test", 0), "test", 0);
  return p->cycles() - before;
}

void boost_program() {
  EspPlatform* p = esp_platform();
  if (p->reset_reason() == 4) {  // after the restart below: the device's own clock again
    record("boost after restart", p->cpu_boost(0));
    for (;;) delay(1000);
  }
  record("plain", work_cycles(p));
  record("was", p->cpu_boost(160));
  record("mhz under boost", p->cpu_mhz());
  record("boosted", work_cycles(p));
  const uint64_t erase = p->cycles();
  p->flash_erase_sector(200);
  record("erase", p->cycles() - erase);
  record("again", p->cpu_boost(160));
  record("handed back", p->cpu_boost(0));
  record("after", work_cycles(p));
  p->cpu_boost(160);
  ESP.restart();
}

}  // namespace

TEST_CASE("cpu_boost: work at 160 MHz on an 80 MHz device, time unchanged, gone at a restart") {
  records().clear();
  Fleet fleet(fast_options(&boost_program, 10), 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  const uint64_t plain = find("plain", chip);
  CHECK(plain > 16000);
  CHECK(find("was", chip) == 0);
  CHECK(find("mhz under boost", chip) == 80);  // time is counted at the device's clock
  CHECK(find("boosted", chip) == plain / 2);   // every charge at half the cycles
  CHECK(find("erase", chip) >= 80u * 30000);   // a sector erase still takes its 30 ms
  CHECK(find("again", chip) == 160);
  CHECK(find("handed back", chip) == 160);
  CHECK(find("after", chip) == plain);
  CHECK(find("boost after restart", chip) == 0);
}
