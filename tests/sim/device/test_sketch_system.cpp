// tests/sim/device/test_sketch_system.cpp — the core's system services a sketch uses, on a
// device: Ticker callbacks at their times (inside delay(), at the loop's yields, with idle loop
// passes skipped or not: the same history), once and detach; EEPROM kept in the device's flash
// across a restart when committed, and only then; ESP.deepSleep (off for the time asked, then a
// boot that says "Deep-Sleep Wake"); ESP.getResetReason after a restart.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "device_test_support.h"

// The device side last: Arduino.h's heap macros are the firmware's.
#include <Arduino.h>
#include <EEPROM.h>
#include <LittleFS.h>
#include <Ticker.h>

using namespace espfleet;
using namespace espfleet::test;

namespace {

// The sketch's globals: the program image's state region.
struct Globals {
  Ticker every, later;
  uint32_t ticks, once_at, boots_seen;
  uint32_t tick_ms[8];
  bool done;
};
Globals g;
Globals g_pristine;

void on_tick() {
  if (g.ticks < 8) g.tick_ms[g.ticks] = uint32_t(millis());
  ++g.ticks;
  if (g.ticks == 6) g.every.detach();
}

void ticker_setup() {
  g.every.attach_ms(250, on_tick);
  g.later.once(1.0f, [] { g.once_at = uint32_t(millis()); });
}

// Half the time in long delays (the ticks fall inside them), half polling millis() (idle passes).
void ticker_loop() {
  if (g.done) {  // sleeping a second a pass: the run's end finds both runs in the same place
    delay(1000);
    return;
  }
  if (millis() < 1000) {
    delay(400);
    return;
  }
  if (millis() >= 3000) {
    g.done = true;
    record("ticks", g.ticks);
    record("once at", g.once_at);
    for (uint32_t i = 0; i < 6; ++i) record(("tick " + std::to_string(i)).c_str(), g.tick_ms[i]);
  }
}

struct TickerOutcome {
  uint64_t ticks, once_at, skipped;
  uint64_t at[6];
  std::string digest;
};

TickerOutcome run_tickers(bool skip) {
  records().clear();
  std::memset(static_cast<void*>(&g_pristine), 0, sizeof g_pristine);
  ProgramImage im = sketch_image(g, g_pristine, &ticker_setup, &ticker_loop);
  FleetOptions o = fast_options(nullptr, 4);
  o.program = Program{"ticker-test", nullptr, &im};
  o.skip_idle_steps = skip;
  Fleet fleet(o, 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  TickerOutcome r{find("ticks", chip), find("once at", chip), d.platform().skipped_passes(), {}, ""};
  for (int i = 0; i < 6; ++i) r.at[i] = find(("tick " + std::to_string(i)).c_str(), chip);
  r.digest = std::to_string(d.digest());
  return r;
}

}  // namespace

TEST_CASE("Ticker: callbacks at their times, inside delays and between loop passes, skipped or not") {
  TickerOutcome every = run_tickers(false), skipped = run_tickers(true);
  CHECK(every.ticks == 6);  // the sixth detaches it
  CHECK(every.once_at >= 1000);
  CHECK(every.once_at < 1010);
  for (int i = 0; i < 6; ++i) {
    // every 250 ms from setup() (which runs a few ms after boot): inside the 400 ms delays too
    CHECK(every.at[i] >= every.at[0] + 250u * uint64_t(i));
    CHECK(every.at[i] <= every.at[0] + 250u * uint64_t(i) + 2);
  }
  CHECK(every.at[1] < 1000);  // fired during delay(400), not after it
  CHECK(skipped.skipped > 0);
  CHECK(skipped.ticks == every.ticks);
  CHECK(skipped.once_at == every.once_at);
  for (int i = 0; i < 6; ++i) CHECK(skipped.at[i] == every.at[i]);
  CHECK(skipped.digest == every.digest);
}

namespace {

// Boot 1: counts boots in EEPROM (committed), writes a byte it does not commit, restarts.
// Boot 2: reads both back, sleeps 5 s deeply. Boot 3: says why it woke.
void eeprom_program() {
  EEPROM.begin(64);
  uint32_t boots = 0;
  EEPROM.get(0, boots);
  if (boots == 0xFFFFFFFFu) boots = 0;  // erased flash
  ++boots;
  EEPROM.put(0, boots);
  EEPROM.commit();
  record(("reason at boot " + std::to_string(boots)).c_str(), uint64_t(ESP.getResetReason().length()));
  if (boots == 1) {
    record("power on", ESP.getResetReason() == "Power On");
    EEPROM.write(10, 0x5A);  // not committed: lost with the restart
    ESP.restart();
  }
  if (boots == 2) {
    record("after restart", ESP.getResetReason() == "Software/System restart");
    record("uncommitted byte", EEPROM.read(10));
    record("sleep at ms", millis());
    ESP.deepSleep(5000000);
  }
  if (boots == 3) {
    record("woke from deep sleep", ESP.getResetReason() == "Deep-Sleep Wake");
    record("woke at ms", millis());
    record("third boot", boots);
  }
  for (;;) delay(1000);
}

}  // namespace

TEST_CASE("EEPROM across a restart, ESP.deepSleep, ESP.getResetReason") {
  records().clear();
  Fleet fleet(fast_options(&eeprom_program, 20), 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  CHECK(find("power on", chip) == 1);
  CHECK(find("after restart", chip) == 1);
  CHECK(find("uncommitted byte", chip) == 0xFF);  // the sector as erased: the write never reached it
  CHECK(find("third boot", chip) == 3);           // the committed counter survived two resets
  CHECK(find("woke from deep sleep", chip) == 1);
  CHECK(find("woke at ms", chip) >= find("sleep at ms", chip) + 5000);  // off for the 5 s asked
  CHECK(d.life().crashes().empty());                                    // a restart and a deep sleep are not crashes
  CHECK(d.life().last_reset() == ResetReason::deep_sleep_awake);
}

namespace {

// Boot 1 writes a configuration, appends to it, renames it, writes and removes another, then
// restarts; boot 2 reads what the flash kept.
void files_program() {
  LittleFS.begin();
  if (!LittleFS.exists("/boot2")) {
    File f = LittleFS.open("/config.json", "w");
    record("opened for writing", bool(f));
    f.print("{\"n\":1");
    f.close();
    File a = LittleFS.open("/config.json", "a");
    a.print(",\"m\":2}");
    File copy = a;  // the last copy to go stores it
    a.close();
    copy.close();
    record("renamed", LittleFS.rename("/config.json", "/settings.json"));
    File t = LittleFS.open("/tmp.txt", "w");
    t.print("scratch");
    t.close();
    record("removed", LittleFS.remove("/tmp.txt"));
    record("removed again", LittleFS.remove("/tmp.txt"));
    File mark = LittleFS.open("/boot2", "w");
    mark.close();
    ESP.restart();
  }
  File s = LittleFS.open("/settings.json", "r");
  record("kept", s.readString() == "{\"n\":1,\"m\":2}");
  record("old name gone", !LittleFS.exists("/config.json"));
  record("scratch gone", !LittleFS.exists("/tmp.txt"));
  record("formatted", LittleFS.format() && !LittleFS.exists("/settings.json"));
  for (;;) delay(1000);
}

}  // namespace

TEST_CASE("LittleFS: a sketch's files written, appended, renamed and removed, kept across a restart") {
  records().clear();
  Fleet fleet(fast_options(&files_program, 5), 1, 49152);
  Device& d = fleet.add_device(0, plain_device(80), 5, {}, VTime{});
  fleet.run();
  const uint32_t chip = uint32_t(d.identity().chip_id);
  CHECK(find("opened for writing", chip) == 1);
  CHECK(find("renamed", chip) == 1);
  CHECK(find("removed", chip) == 1);
  CHECK(find("removed again", chip) == 0);
  CHECK(find("kept", chip) == 1);
  CHECK(find("old name gone", chip) == 1);
  CHECK(find("scratch gone", chip) == 1);
  CHECK(find("formatted", chip) == 1);
}
