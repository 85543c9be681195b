// tests/sim/report/test_activity_series.cpp — the fleet's activity series and events: bin widths
// from the duration, events binned at their device time, the record padded to the run's end,
// shards summed bin by bin (a different width refused), events united once each; and the report
// page built from a run directory: every slot filled, data that holds "</script>" kept inside its
// element, a damaged devices.jsonl named with its line.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "activity_series.h"
#include "html_report.h"

using namespace espfleet;
using json = nlohmann::ordered_json;

TEST_CASE("activity: bins of whole seconds, at most about 2000 a run") {
  CHECK(FleetActivity::bin_for(VTime::from_s(60)).ns == VTime::from_s(1).ns);
  CHECK(FleetActivity::bin_for(VTime::from_s(2000)).ns == VTime::from_s(1).ns);
  CHECK(FleetActivity::bin_for(VTime::from_s(2001)).ns == VTime::from_s(2).ns);
  CHECK(FleetActivity::bin_for(VTime::from_s(4 * 3600)).ns == VTime::from_s(8).ns);
  CHECK(FleetActivity::bin_for(VTime{}).ns == VTime::from_s(1).ns);
}

TEST_CASE("activity: events land in the bin of their device time; the record runs to the end") {
  FleetActivity a(VTime::from_s(10));
  a.note(FleetActivity::Event::up, VTime::from_ms(500));
  a.note(FleetActivity::Event::up, VTime::from_ms(999));
  a.note(FleetActivity::Event::down, VTime::from_ms(3000));
  a.note(FleetActivity::Event::crash, VTime::from_ms(3500));
  a.note(FleetActivity::Event::connect_failure, VTime{-5});  // before the start: the first bin
  json j = activity_record(a, VTime::from_ms(5500));
  CHECK(j["bin_s"] == 1.0);
  CHECK(j["up"] == json::array({2, 0, 0, 0, 0, 0}));
  CHECK(j["down"] == json::array({0, 0, 0, 1, 0, 0}));
  CHECK(j["crashes"] == json::array({0, 0, 0, 1, 0, 0}));
  CHECK(j["connect_failures"] == json::array({1, 0, 0, 0, 0, 0}));
  // An event past the end (a device a little ahead) still counts.
  a.note(FleetActivity::Event::up, VTime::from_s(7));
  CHECK(activity_record(a, VTime::from_ms(5500))["up"].size() == 8);
}

TEST_CASE("activity: shards add up bin by bin; another width is refused") {
  json into;
  json a = {{"bin_s", 1.0}, {"up", {1, 2}}, {"down", {0, 1}}, {"crashes", {0, 0}}, {"connect_failures", {0, 0}}};
  json b = {
      {"bin_s", 1.0}, {"up", {0, 1, 5}}, {"down", {1, 0, 0}}, {"crashes", {0, 0, 1}}, {"connect_failures", {0, 0, 0}}};
  merge_activity(into, a);
  merge_activity(into, b);
  CHECK(into["up"] == json::array({1, 3, 5}));
  CHECK(into["down"] == json::array({1, 1, 0}));
  CHECK(into["crashes"] == json::array({0, 0, 1}));
  CHECK(into["connect_failures"] == json::array({0, 0, 0}));
  merge_activity(into, json());  // a shard from before the series: nothing to add
  CHECK(into["up"] == json::array({1, 3, 5}));
  json c = b;
  c["bin_s"] = 2.0;
  CHECK_THROWS_WITH(merge_activity(into, c), doctest::Contains("not shards of one scenario"));
}

TEST_CASE("events: the shards' union, each once, in time order") {
  json into;
  merge_events(
      into, json::array({{{"t_s", 1800.0}, {"what", "broker stops"}}, {{"t_s", 1820.0}, {"what", "broker starts"}}}));
  merge_events(into, json::array({{{"t_s", 1800.0}, {"what", "broker stops"}},
                                  {{"t_s", 900.0}, {"what", "broker exited: exit 1"}}}));
  REQUIRE(into.size() == 3);
  CHECK(into[0]["t_s"] == 900.0);
  CHECK(into[1]["what"] == "broker stops");
  CHECK(into[2]["what"] == "broker starts");
}

namespace {
std::filesystem::path scratch_run(const std::string& devices_jsonl) {
  auto dir = std::filesystem::temp_directory_path() / ("espfleet-report-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "heap");
  std::ofstream(dir / "summary.json") << R"({"devices": 2, "crashes": 1, "events": [], "histograms": {}})";
  std::ofstream(dir / "devices.jsonl") << devices_jsonl;
  return dir;
}
}  // namespace

TEST_CASE("report page: slots filled, '</script>' in the data stays data, crashes carry their files") {
  auto dir =
      scratch_run(R"({"id": 0, "group": "", "state": "connected", "handshakes_ms": [900, 910], "crashes": 0})"
                  "\n"
                  R"({"id": 1, "group": "g</script><script>alert(1)</script>", "state": "connected", "crashes": 1,)"
                  R"( "crash_reasons": ["Exception 29"], "crash_codes": [2], "handshakes_ms": []})"
                  "\n");
  std::ofstream(dir / "heap" / "1-crash-1.svg") << "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>";
  std::ofstream(dir / "heap" / "1-crash-1.txt") << "[12.500000] dev 1 crash 1 (reset reason 2): Exception 29\nExc...\n";
  std::ofstream(dir / "heap" / "0-timeline.csv") << "t_s,free_min,max_block_min,frag_max\n0.000,100,90,5\n"
                                                    "# bucket_width_s,1.000\n# mark,0.500,c,dev 0 crash\n";
  const nlohmann::json data = report_data(dir);
  CHECK(data["devices"]["count"] == 2);
  CHECK(data["handshakes"]["values"] == nlohmann::json::array({900, 910}));
  CHECK(data["handshakes"]["offsets"] == nlohmann::json::array({0, 2}));
  REQUIRE(data["crashes"].size() == 1);
  CHECK(data["crashes"][0]["t_s"] == 12.5);
  CHECK(data["crashes"][0]["heap_map"].get<std::string>().find("<svg") == 0);
  REQUIRE(data["timelines"].size() == 1);
  CHECK(data["timelines"][0]["marks"][0]["kind"] == "crash");
  CHECK_FALSE(data["summary"].contains("histograms"));
  const std::string page = render_report_html(data);
  CHECK(page.find("/*@") == std::string::npos);
  const size_t open = page.find("<script type=\"application/json\" id=\"espfleet-data\">");
  REQUIRE(open != std::string::npos);
  const size_t close = page.find("</script>", open);
  CHECK(page.find("alert(1)", open) < close);  // the hostile group name is still inside the data
  CHECK(page.substr(open, close - open).find("<\\/script>") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("report page: a damaged devices.jsonl or timeline is named with its line") {
  auto dir = scratch_run("{\"id\": 0}\n{\"id\": 1,\n");
  CHECK_THROWS_WITH(report_data(dir), doctest::Contains("devices.jsonl:2: not a device record"));
  std::ofstream(dir / "devices.jsonl") << "{\"id\": 0}\n";
  std::ofstream(dir / "heap" / "0-timeline.csv") << "t_s,free_min,max_block_min,frag_max\n1,2\n";
  CHECK_THROWS_WITH(report_data(dir), doctest::Contains("0-timeline.csv:2: not four numbers"));
  std::filesystem::remove(dir / "summary.json");
  CHECK_THROWS_WITH(report_data(dir), doctest::Contains("summary.json: cannot read"));
  std::filesystem::remove_all(dir);
}
