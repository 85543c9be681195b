// tests/sim/report/test_group_figures.cpp — a group's figures in summary.json read back and merged:
// counts add, minima and maxima keep the extreme, maps add by key, the distributions merge, a
// group with no devices has no heap minimum; damaged entries are refused by name.
#include <doctest/doctest.h>

#include "group_figures.h"

using namespace espfleet;
using json = nlohmann::ordered_json;

TEST_CASE("group figures: a record reads back, and two merge as one group of both") {
  GroupFigures a, b;
  a.devices = 2, a.connected = 2, a.ever_connected = 2, a.crashes = 1, a.published = 7;
  a.heap_free_min = 9000, a.heap_max_block_min = 8000, a.heap_frag_max = 20;
  a.crashes_by_reason["oom_254"] = 1;
  a.handshake_ms.add(700);
  a.handshake_ms.add(710);
  b.devices = 1, b.connect_failures = 3, b.heap_free_min = 12000, b.heap_max_block_min = 7000, b.heap_frag_max = 5;
  b.tls_errors["62 X509_NOT_TRUSTED"] = 1;
  b.handshake_ms.add(1400);
  b.first_connect_ms.add(2500);

  const GroupFigures back = GroupFigures::from_json(a.group_record());
  CHECK(back.devices == 2);
  CHECK(back.heap_free_min == 9000);
  CHECK(back.crashes_by_reason == a.crashes_by_reason);
  CHECK(back.handshake_ms == a.handshake_ms);

  GroupFigures m = back;
  m.merge(GroupFigures::from_json(b.group_record()));
  const json r = m.group_record();
  CHECK(r["devices"] == 3);
  CHECK(r["connect_failures"] == 3);
  CHECK(r["heap_free_min"] == 9000);
  CHECK(r["heap_max_block_min"] == 7000);
  CHECK(r["heap_frag_max"] == 20);
  CHECK(r["handshakes"] == 3);
  CHECK(r["handshake_ms"]["max"] == 1400);
  CHECK(r["handshake_ms"]["p50"] == 710);
  CHECK(r["first_connect_ms"]["p99"] == 2500);
  CHECK(r["tls_errors"]["62 X509_NOT_TRUSTED"] == 1);

  CHECK(GroupFigures{}.group_record()["heap_free_min"] == 0);  // no devices, no minimum
  CHECK_THROWS_WITH(GroupFigures::from_json(json{{"devices", "three"}}),
                    doctest::Contains("\"devices\" is not a count"));
  CHECK_THROWS_WITH(GroupFigures::from_json(json{{"tls_errors", {{"62", -1}}}}),
                    doctest::Contains("\"tls_errors.62\" is not a count"));
}
