// tests/sim/net/test_link_model.cpp — the link in device time: a transmission draws the exchange's
// delay (rtt + seeded jitter); realtime stamps are the wall clock plus that delay, fast-mode
// stamps put a reply one delay after the transmission and anything unasked one delay after the
// fleet's present; stamps never go back; the ACK comes one round trip after the transmission.
#include <doctest/doctest.h>

#include "link_model.h"

using namespace espfleet;

TEST_CASE("link: the delay is rtt plus jitter drawn from the link's own stream, the same for the same seed") {
  LinkConfig cfg{VTime::from_ms(20), VTime::from_ms(5)};
  Rng a(7), b(7);
  for (int i = 0; i < 100; ++i) {
    VTime d = draw_link_delay(cfg, a);
    CHECK(d >= VTime::from_ms(20));
    CHECK(d < VTime::from_ms(25));
    CHECK(d == draw_link_delay(cfg, b));
  }
  LinkConfig none{VTime::from_ms(3), VTime{}};
  CHECK(draw_link_delay(none, a) == VTime::from_ms(3));
}

TEST_CASE("link: fast mode stamps a reply one delay after the transmission, an unasked event after the present") {
  LinkConfig cfg{VTime::from_ms(40), VTime{}};
  Rng rng(1);
  LinkModel link;
  link.transmit(VTime::from_s(10), cfg, rng);
  CHECK(link.reply_pending());
  CHECK(link.reply_at() == VTime::from_s(10) + VTime::from_ms(40));
  ArrivalClock fast{false, VTime{}, VTime::from_s(50)};
  CHECK(link.stamp(fast) == VTime::from_s(10) + VTime::from_ms(40));
  link.reply_seen();
  CHECK(link.stamp(fast) == VTime::from_s(50) + VTime::from_ms(40));
  CHECK(link.ack_at(cfg) == VTime::from_s(10) + VTime::from_ms(40));
}

TEST_CASE("link: realtime stamps follow the wall clock; a later stamp never precedes an earlier one") {
  LinkConfig cfg{VTime::from_ms(10), VTime{}};
  Rng rng(1);
  LinkModel link;
  link.transmit(VTime{}, cfg, rng);
  CHECK(link.stamp(ArrivalClock{true, VTime::from_s(3), VTime{}}) == VTime::from_s(3) + VTime::from_ms(10));
  // The host delivers the next bytes "earlier" by its clock: TCP order holds.
  CHECK(link.stamp(ArrivalClock{true, VTime::from_s(2), VTime{}}) == VTime::from_s(3) + VTime::from_ms(10));
  link.keep_order(VTime::from_s(9));
  CHECK(link.stamp(ArrivalClock{true, VTime::from_s(4), VTime{}}) == VTime::from_s(9));
}
