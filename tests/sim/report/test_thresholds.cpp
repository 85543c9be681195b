// tests/sim/report/test_thresholds.cpp — [thresholds]: the forms a scenario writes them in (a
// number, "OP NUMBER", dotted figures, --set), what is refused, and their verdicts on a summary
// (a figure that is missing fails; a crash reason or TLS error that is missing counts 0); figures
// summary.json will not have are named before a run, with a suggestion.
#include <doctest/doctest.h>

#include <string>

#include "config/scenario_test_support.h"
#include "scenario.h"
#include "thresholds.h"

using namespace espfleet;

using scenario_test::error_of;  // the scenario tests' own: the error text of parsing a file

TEST_CASE("thresholds: a number, OP NUMBER, dotted figures and --set") {
  Scenario s = parse_scenario(
      "[thresholds]\ncrashes = 0\nconnect_failures = \"<= 2\"\nhandshake_ms.p99 = \"< 2000\"\n"
      "\"host.lag_max_ms\" = \"<1000.5\"\n[thresholds.heap_free_min]\n",
      "test.toml", {"thresholds.heap_free_min=> 15000"});
  const std::vector<Threshold>& t = s.fleet.thresholds;
  REQUIRE(t.size() == 5);
  CHECK(t[0].text == "crashes == 0");
  CHECK(t[1].op == Threshold::Op::le);
  CHECK(t[1].value == 2);
  CHECK(t[2].figure == "handshake_ms.p99");
  CHECK(t[2].text == "handshake_ms.p99 < 2000");
  CHECK(t[3].figure == "host.lag_max_ms");
  CHECK(t[3].value == 1000.5);
  CHECK(t[4].text == "heap_free_min > 15000");

  CHECK(error_of("[thresholds]\ncrashes = \"about 3\"\n").find("test.toml:2:1: thresholds.crashes") == 0);
  CHECK(error_of("[thresholds]\ncrashes = \"< lots\"\n").find("is not a number") != std::string::npos);
  CHECK(error_of("[thresholds]\ncrashes = true\n").find("expected a number") != std::string::npos);
  CHECK(error_of("thresholds = 3\n").find("must be a table") != std::string::npos);
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n[group.thresholds]\ncrashes = 0\n")
            .find("apply to the whole run") != std::string::npos);
}

TEST_CASE("thresholds: verdicts on a summary, and figures it will not have") {
  const nlohmann::json summary = {{"crashes", 0},
                                  {"connect_failures", 3},
                                  {"handshake_ms", {{"p99", 2410}}},
                                  {"crashes_by_reason", {{"soft_wdt", 2}}},
                                  {"host", {{"overloaded", false}}}};
  Scenario s = parse_scenario(
      "[thresholds]\ncrashes = 0\nconnect_failures = \"<= 2\"\nhandshake_ms.p99 = \"< 2000\"\n"
      "crashes_by_reason.exception_28 = 0\ncrashes_by_reason.soft_wdt = \"< 3\"\nhost.overloaded = 0\n"
      "first_connect_ms.p50 = \"< 100\"\n",
      "test.toml");
  const nlohmann::ordered_json r = evaluate_thresholds(s.fleet.thresholds, summary);
  REQUIRE(r.size() == 7);
  CHECK(r[0]["passed"] == true);
  CHECK(r[1]["passed"] == false);
  CHECK(r[1]["value"] == 3);
  CHECK(r[2]["passed"] == false);
  CHECK(r[3]["passed"] == true);  // no crash of that reason: 0
  CHECK(r[3]["value"] == 0);
  CHECK(r[4]["passed"] == true);
  CHECK(r[5]["passed"] == true);   // a flag reads as 0 or 1
  CHECK(r[6]["value"].is_null());  // the summary has no such figure: no value
  CHECK(r[6]["passed"] == false);
  CHECK(any_threshold_failed(r));
  CHECK(failed_thresholds(r) ==
        "connect_failures <= 2 (was 3), handshake_ms.p99 < 2000 (was 2410), first_connect_ms.p50 < 100 (no value)");
  const std::string table = thresholds_table(r);
  CHECK(table.find("thresholds         4 passed, 3 failed") != std::string::npos);
  CHECK(table.find("FAIL  handshake_ms.p99 < 2000   (was 2410)") != std::string::npos);
  CHECK(table.find("pass  crashes == 0   (was 0)") != std::string::npos);

  Scenario typo =
      parse_scenario("[thresholds]\nhandshake.p99 = \"< 2000\"\ncrashes = 0\nhost.cpu_s = \"< 60\"\n", "test.toml");
  const std::vector<std::string> bad = unknown_threshold_figures(typo);
  REQUIRE(bad.size() == 1);  // crashes is a figure; host.* is the run's own section
  CHECK(bad[0] == "thresholds.handshake.p99: no such figure in summary.json (did you mean handshake_ms.p99?)");
}

TEST_CASE("thresholds per group: groups.NAME.FIGURE against the summary, checked against the scenario's groups") {
  const nlohmann::json summary = {
      {"groups",
       {{"fast", {{"crashes", 1}, {"handshake_ms", {{"p99", 700}}}, {"crashes_by_reason", {{"oom_254", 1}}}}},
        {"default",
         {{"crashes", 0}, {"handshake_ms", {{"p99", 1400}}}, {"crashes_by_reason", nlohmann::json::object()}}}}}};
  Scenario s = parse_scenario(
      "[fleet]\ndevices = 4\n[[group]]\nname = \"fast\"\ncount = 2\n[thresholds]\n"
      "groups.fast.handshake_ms.p99 = \"< 1000\"\ngroups.default.handshake_ms.p99 = \"< 1000\"\n"
      "groups.fast.crashes_by_reason.oom_254 = 0\ngroups.default.crashes_by_reason.oom_254 = 0\n",
      "test.toml");
  CHECK(unknown_threshold_figures(s).empty());
  const nlohmann::ordered_json r = evaluate_thresholds(s.fleet.thresholds, summary);
  REQUIRE(r.size() == 4);
  CHECK(r[0]["passed"] == true);
  CHECK(r[1]["passed"] == false);
  CHECK(r[1]["value"] == 1400);
  CHECK(r[2]["passed"] == false);  // the fast group had one
  CHECK(r[3]["passed"] == true);   // no such crash in the default group: 0
  CHECK(r[3]["value"] == 0);

  Scenario bad = parse_scenario(
      "[fleet]\ndevices = 2\n[[group]]\nname = \"fast\"\ncount = 2\n[thresholds]\n"
      "groups.fsat.crashes = 0\ngroups.fast.handshake.p99 = 1\ngroups.default.crashes = 0\ngroups.x = 1\n",
      "test.toml");
  const std::vector<std::string> e = unknown_threshold_figures(bad);
  REQUIRE(e.size() == 4);  // every device is in "fast": there is no default group here
  CHECK(e[0] == "thresholds.groups.fsat.crashes: no group 'fsat' in this scenario (its groups: fast)");
  CHECK(e[1] ==
        "thresholds.groups.fast.handshake.p99: no such figure for a group in summary.json (did you mean "
        "groups.fast.handshake_ms.p99?)");
  CHECK(e[2] == "thresholds.groups.default.crashes: no group 'default' in this scenario (its groups: fast)");
  CHECK(e[3] == "thresholds.groups.x: name a group and a figure: groups.NAME.FIGURE");
}
