// tests/sim/net/test_fast_pacing.cpp — fast mode's hold of a device waiting for its real peer, in
// host time: 40 ms after the write when nothing came, then 1 ms after the last byte of a burst.
#include <doctest/doctest.h>

#include "fast_pacing.h"

using namespace espfleet;

TEST_CASE("fast pacing: a silent peer is given 40 ms, a talking one until 1 ms of quiet") {
  ReplyWatch w;
  w.sent(HostTime::from_ms(1000));
  CHECK(w.hold_until() == HostTime::from_ms(1040));
  w.received(HostTime::from_ms(1003));
  CHECK(w.hold_until() == HostTime::from_ms(1004));
  w.received(HostTime::from_ms(1010));
  CHECK(w.hold_until() == HostTime::from_ms(1011));
  w.sent(HostTime::from_ms(2000));  // the next exchange starts over
  CHECK(w.hold_until() == HostTime::from_ms(2040));
  CHECK(kConnectHold == HostTime::from_ms(3000));
  CHECK(kFlushHold == HostTime::from_ms(1000));
}
