// tests/sim/cli/test_shard.cpp — --shard I/N: the shards of a fleet cover every id once, in
// order, with sizes differing by at most one; bad specs are refused naming --shard.
#include <doctest/doctest.h>

#include "cli_error.h"
#include "shard.h"

using namespace espfleet;

TEST_CASE("shard: N shards cover ids 0..D-1 once, contiguous, sizes within one") {
  for (uint32_t d : {1u, 7u, 100u, 100000u})
    for (uint32_t n : {1u, 2u, 3u, 4u, 7u}) {
      if (n > d) continue;
      uint32_t next = 0, lo = UINT32_MAX, hi = 0;
      for (uint32_t i = 0; i < n; ++i) {
        ShardRange r = shard_of(i, n, d);
        CHECK(r.first == next);
        next = r.end;
        lo = std::min(lo, r.size());
        hi = std::max(hi, r.size());
      }
      CHECK(next == d);
      CHECK(hi - lo <= 1);
    }
  ShardRange r = parse_shard("1/4", 100000);
  CHECK(r.first == 25000);
  CHECK(r.end == 50000);
  CHECK(r.holds(25000));
  CHECK_FALSE(r.holds(50000));
  CHECK(r.sharded());
  CHECK_FALSE(parse_shard("", 10).sharded());
  CHECK(parse_shard("", 10).size() == 10);
}

TEST_CASE("shard: bad --shard values are refused with what is wrong") {
  CHECK_THROWS_WITH_AS(parse_shard("4/4", 10), doctest::Contains("I must be below N"), CliError);
  CHECK_THROWS_WITH_AS(parse_shard("1/0", 10), doctest::Contains("I must be below N"), CliError);
  CHECK_THROWS_WITH_AS(parse_shard("two/4", 10), doctest::Contains("--shard two/4: expected I/N"), CliError);
  CHECK_THROWS_WITH_AS(parse_shard("1/4x", 10), doctest::Contains("expected I/N"), CliError);
  CHECK_THROWS_WITH_AS(parse_shard("-1/4", 10), doctest::Contains("expected I/N"), CliError);
  CHECK_THROWS_WITH_AS(parse_shard("0/11", 10), doctest::Contains("would leave some empty"), CliError);
}
