// tests/sim/net/test_lwip_rto.cpp — lwIP's retransmission timer as packet_loss uses it: 3 s before
// the first round-trip sample, 1.5 s after three samples of a LAN's round trip (under one 500 ms
// tick), longer for a slow link; doubled at each retry of the same segment up to 128 times the
// base; the broker's side resends after its round trip plus 200 ms, doubled.
#include <doctest/doctest.h>

#include "link_faults.h"
#include "lwip_rto.h"

using namespace espfleet;

TEST_CASE("lwip rto: 3 s at first, settling at 1.5 s on a fast link") {
  LwipRto rto;
  CHECK(rto.timeout(0) == VTime::from_ms(3000));
  rto.sample(VTime::from_ms(50));
  CHECK(rto.timeout(0) == VTime::from_ms(2500));
  rto.sample(VTime::from_ms(50));
  CHECK(rto.timeout(0) == VTime::from_ms(2000));
  rto.sample(VTime::from_ms(50));
  CHECK(rto.timeout(0) == VTime::from_ms(1500));
  for (int i = 0; i < 20; ++i) rto.sample(VTime::from_ms(50));
  CHECK(rto.timeout(0) == VTime::from_ms(1500));
  CHECK(rto.timeout(1) == VTime::from_ms(3000));
  CHECK(rto.timeout(2) == VTime::from_ms(6000));
  CHECK(rto.timeout(7) == VTime::from_ms(1500 * 128));
  CHECK(rto.timeout(11) == VTime::from_ms(1500 * 128));
}

TEST_CASE("lwip rto: a slow round trip lengthens the timeout") {
  LwipRto rto;
  for (int i = 0; i < 20; ++i) rto.sample(VTime::from_ms(2000));  // 4 ticks
  CHECK(rto.timeout(0) >= VTime::from_ms(2000));
  CHECK(rto.timeout(0) <= VTime::from_ms(4000));
}

TEST_CASE("lwip rto: the broker resends after its round trip and 200 ms, doubled") {
  CHECK(peer_retransmit_timeout(VTime::from_ms(50), 0) == VTime::from_ms(250));
  CHECK(peer_retransmit_timeout(VTime::from_ms(50), 2) == VTime::from_ms(1000));
}

TEST_CASE("link faults: losses open together lose independently; the lowest cap wins") {
  LinkFaults f;
  f.add_loss(WindowSchedule(VTime::from_s(10).us(), VTime::from_s(10).us(), 0), 0.5);
  f.add_loss(WindowSchedule(VTime::from_s(15).us(), VTime::from_s(10).us(), 0), 0.5);
  f.add_rate(WindowSchedule(0, VTime::from_s(30).us(), 0), 64000);
  f.add_rate(WindowSchedule(VTime::from_s(20).us(), VTime::from_s(5).us(), 0), 9600);
  CHECK(f.loss_at(VTime::from_s(5)) == 0);
  CHECK(f.loss_at(VTime::from_s(12)) == 0.5);
  CHECK(f.loss_at(VTime::from_s(16)) == 0.75);
  CHECK(f.rate_at(VTime::from_s(1)) == 64000);
  CHECK(f.rate_at(VTime::from_s(21)) == 9600);
  CHECK(f.rate_at(VTime::from_s(40)) == 0);
}
