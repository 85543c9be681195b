// tests/sim/config/test_scenario.cpp — scenario files: defaults, the shipped scenarios, groups,
// --set overrides, resolved() and the reference page. Errors: test_scenario_errors.cpp; units: test_units.cpp.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flash_image.h"
#include "scenario.h"
#include "scenario_test_support.h"
#include "settings.h"
#include "units.h"

using namespace espfleet;
using namespace scenario_test;

// ---- loading ---------------------------------------------------------------------------------

TEST_CASE("an empty scenario gives the documented defaults") {
  Scenario s = parse_scenario("", "empty.toml", {});
  DeviceConfig d;
  CHECK(s.source == "empty.toml");
  CHECK(s.fleet.devices == 10);
  CHECK(s.fleet.duration == Duration::from_s(60));
  CHECK(s.fleet.seed == 1);
  CHECK(s.fleet.mode == RunMode::realtime);
  CHECK(s.fleet.connect_spread == Duration{});
  CHECK(s.broker.server_key == KeyType::rsa2048);
  CHECK(s.broker.require_certificate);
  CHECK(s.broker.url.empty());
  CHECK(s.groups.empty());
  CHECK(s.default_count() == 10);
  DeviceConfig c = s.for_device(9);
  CHECK(c.cpu_mhz == 80);
  CHECK(c.heap_bytes == 49152);
  CHECK(c.tls_enabled);
  CHECK(c.validation == Validation::ca);
  CHECK(c.client_cert);
  CHECK_FALSE(c.ecdsa);
  CHECK(c.thunk_size == 0);
  CHECK(c.tele_period == Duration::from_s(300));
  CHECK(c.keepalive == Duration::from_s(30));
  CHECK(c.rtt == Duration::from_ms(2));
  CHECK(c.jitter == Duration{});
  CHECK(c.group.empty());
}

TEST_CASE("quickstart.toml loads: 100 devices, half at 80 and half at 160 MHz, TLS with CA") {
  std::string path = (repo_root() / "scenarios" / "quickstart.toml").string();
  Scenario s = load_scenario(path, {});
  CHECK(s.source == path);
  CHECK(s.fleet.devices == 100);
  CHECK(s.fleet.duration == Duration::from_s(60));
  uint32_t at80 = 0, at160 = 0;
  for (uint32_t id = 0; id < s.fleet.devices; ++id) {
    DeviceConfig c = s.for_device(id);
    (c.cpu_mhz == 80 ? at80 : at160)++;
    CHECK(c.tls_enabled);
    CHECK(c.validation == Validation::ca);
    CHECK(c.client_cert);
    CHECK(c.tele_period == Duration::from_s(10));
  }
  CHECK(at80 == 50);
  CHECK(at160 == 50);
}

TEST_CASE("values with units and bare numbers are both accepted in the file") {
  Scenario s = parse_scenario(R"(
[fleet]
duration = 90
connect_spread = "1m30s"
[device]
cpu_mhz = "160MHz"
heap_bytes = "40KiB"
[tls]
thunk_size = "5300"
[net]
rtt = "50 ms"
jitter = "250us"
)",
                              "units.toml", {});
  CHECK(s.fleet.duration == Duration::from_s(90));
  CHECK(s.fleet.connect_spread == Duration::from_s(90));
  CHECK(s.defaults.cpu_mhz == 160);
  CHECK(s.defaults.heap_bytes == 40960);
  CHECK(s.defaults.thunk_size == 5300);
  CHECK(s.defaults.rtt == Duration::from_ms(50));
  CHECK(s.defaults.jitter == Duration::from_us(250));
}

TEST_CASE("groups take ids in file order; the rest use the defaults") {
  Scenario s = parse_scenario(R"(
[fleet]
devices = 10
[app]
tele_period = "20s"
[[group]]
name = "fast"
count = 3
device.cpu_mhz = 160
[[group]]
name = "fp"
count = 2
tls.validation = "fingerprint"
tls.fingerprint1 = "A5 02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07"
[group.net]
rtt = "40ms"
)",
                              "groups.toml", {});
  REQUIRE(s.groups.size() == 2);
  CHECK(s.groups[0].first_id == 0);
  CHECK(s.groups[1].first_id == 3);
  CHECK(s.default_count() == 5);
  CHECK(s.groups[1].overrides == std::vector<std::string>{"tls.validation", "tls.fingerprint1", "net.rtt"});
  for (uint32_t id : {0u, 2u}) {
    CHECK(s.for_device(id).group == "fast");
    CHECK(s.for_device(id).cpu_mhz == 160);
    CHECK(s.for_device(id).tele_period == Duration::from_s(20));  // inherits the defaults
  }
  for (uint32_t id : {3u, 4u}) {
    DeviceConfig c = s.for_device(id);
    CHECK(c.group == "fp");
    CHECK(c.cpu_mhz == 80);
    CHECK(c.validation == Validation::fingerprint);
    CHECK(c.fingerprint1 == "A5 02 FF 13 99 9F 8B 39 8E F1 83 4F 11 23 65 0B 32 36 FC 07");
    CHECK(c.rtt == Duration::from_ms(40));
  }
  for (uint32_t id : {5u, 9u}) {
    CHECK(s.for_device(id).group.empty());
    CHECK(s.for_device(id).validation == Validation::ca);
  }
  CHECK(s.group_of(4)->name == "fp");
  CHECK(s.group_of(5) == nullptr);
  CHECK_THROWS_AS(s.for_device(10), std::out_of_range);
}

TEST_CASE("fraction is a share of fleet.devices, rounded down, without binary-float surprises") {
  auto count = [](uint32_t devices, const char* fraction) {
    std::string text =
        "[fleet]\ndevices = " + std::to_string(devices) + "\n[[group]]\nname = \"g\"\nfraction = " + fraction + "\n";
    return parse_scenario(text, "f.toml", {}).groups.at(0).count;
  };
  CHECK(count(100, "0.5") == 50);
  CHECK(count(7, "0.5") == 3);
  CHECK(count(100, "0.29") == 29);  // 0.29 * 100 is 28.999999999999996 in binary
  CHECK(count(10, "0.333") == 3);
  CHECK(count(10, "1") == 10);
  CHECK(count(10, "0") == 0);
  Scenario s = parse_scenario(
      "[fleet]\ndevices = 7\n[[group]]\nname = \"a\"\nfraction = 0.5\n[[group]]\nname = \"b\"\nfraction = 0.5\n",
      "f.toml", {});
  CHECK(s.groups[1].first_id == 3);
  CHECK(s.groups[1].count == 3);
  CHECK(s.default_count() == 1);
}

TEST_CASE("--set overrides apply after the file and before groups are sized") {
  const char* text = R"(
[fleet]
devices = 100
[[group]]
name = "fast"
fraction = 0.5
device.cpu_mhz = 160
)";
  Scenario s = parse_scenario(
      text, "set.toml",
      {"fleet.devices=1000", "app.tele_period=10s", "device.heap_bytes=40K", "tls.validation=fingerprint",
       "tls.fingerprint1=\"a5 02 ff 13 99 9f 8b 39 8e f1 83 4f 11 23 65 0b 32 36 fc 07\"",
       "broker.url=", "fleet.mode = fast"});
  CHECK(s.fleet.devices == 1000);
  CHECK(s.fleet.mode == RunMode::fast);
  CHECK(s.groups[0].count == 500);  // fraction of the overridden fleet size
  CHECK(s.defaults.tele_period == Duration::from_s(10));
  CHECK(s.defaults.heap_bytes == 40960);
  CHECK(s.defaults.validation == Validation::fingerprint);
  CHECK(s.defaults.fingerprint1 == "a5 02 ff 13 99 9f 8b 39 8e f1 83 4f 11 23 65 0b 32 36 fc 07");
  CHECK(s.broker.url.empty());
  DeviceConfig fast = s.for_device(0);
  CHECK(fast.cpu_mhz == 160);                       // the group's own value
  CHECK(fast.tele_period == Duration::from_s(10));  // defaults set by --set reach the group
  CHECK(fast.validation == Validation::fingerprint);
  CHECK(s.sets.size() == 7);

  Scenario g = parse_scenario(
      text, "set.toml",
      {"group.fast.device.cpu_mhz=80", "group.fast.tls.client_cert=false", "group.fast.count=3", "device.cpu_mhz=160"});
  CHECK(g.groups[0].count == 3);
  CHECK_FALSE(g.groups[0].fraction.has_value());  // count replaced the fraction
  CHECK(g.for_device(0).cpu_mhz == 80);
  CHECK_FALSE(g.for_device(0).client_cert);
  CHECK(g.for_device(3).cpu_mhz == 160);
  CHECK(g.for_device(3).client_cert);
}

// ---- outputs ---------------------------------------------------------------------------------

TEST_CASE("resolved() holds every resolved value, durations as strings") {
  Scenario s = parse_scenario(R"(
[fleet]
devices = 20
duration = "90s"
[app]
tele_period = "10s"
[[group]]
name = "fast"
fraction = 0.25
device.cpu_mhz = 160
)",
                              "r.toml", {"net.rtt=5ms"});
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(s.resolved().dump());
  CHECK(j["source"] == "r.toml");
  CHECK(j["sets"][0] == "net.rtt=5ms");
  CHECK(j["fleet"]["devices"] == 20);
  CHECK(j["fleet"]["duration"] == "90s");
  CHECK(j["fleet"]["mode"] == "realtime");
  CHECK(j["broker"]["server_key"] == "rsa2048");
  CHECK(j["defaults"]["count"] == 15);
  CHECK(j["defaults"]["first_id"] == 5);
  CHECK(j["defaults"]["device"]["cpu_mhz"] == 80);
  CHECK(j["defaults"]["device"]["heap_bytes"] == 49152);
  CHECK(j["defaults"]["app"]["tele_period"] == "10s");
  CHECK(j["defaults"]["net"]["rtt"] == "5ms");
  CHECK(j["defaults"]["mqtt"]["keepalive"] == "30s");
  auto& g = j["groups"][0];
  CHECK(g["name"] == "fast");
  CHECK(g["first_id"] == 0);
  CHECK(g["count"] == 5);
  CHECK(g["fraction"] == 0.25);
  CHECK(g["overrides"][0] == "device.cpu_mhz");
  CHECK(g["device"]["cpu_mhz"] == 160);
  CHECK(g["net"]["rtt"] == "5ms");
  CHECK(parse_duration(g["app"]["tele_period"].get<std::string>()) == Duration::from_s(10));
}

TEST_CASE("the reference page documents every option with its default") {
  std::ifstream in(repo_root() / "docs" / "scenario-reference.md");
  REQUIRE(in);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string doc = buf.str();
  for (const ScenarioOption& o : scenario_options()) {
    CAPTURE(o.key);
    size_t row = doc.find("| `" + o.key + "` |");
    REQUIRE(row != std::string::npos);
    std::string line = doc.substr(row, doc.find('\n', row) - row);
    CHECK(line.find("`" + o.default_value + "`") != std::string::npos);
  }
}

TEST_CASE("fingerprint slots: learn/any/empty keywords, and a bad value names file, line and key") {
  Scenario s = parse_scenario("[tls]\nfingerprint2 = \"any\"\n", "fp.toml", {});
  CHECK(s.defaults.fingerprint1 == "learn");  // the default: learn on the first connect
  CHECK(s.defaults.fingerprint2 == "any");
  try {
    parse_scenario("[tls]\nvalidation = \"fingerprint\"\nfingerprint1 = \"AA BB\"\n", "bad.toml", {});
    FAIL("a 2-byte fingerprint was accepted");
  } catch (const ScenarioError& e) {
    std::string m = e.what();
    CHECK(m.find("bad.toml:3:") != std::string::npos);
    CHECK(m.find("tls.fingerprint1") != std::string::npos);
    CHECK(m.find("20 hex bytes") != std::string::npos);
  }
  std::string sha256(95, ':');
  for (size_t i = 0; i < 32; ++i) sha256[i * 3] = 'A', sha256[i * 3 + 1] = 'B';
  CHECK_THROWS_WITH_AS(parse_scenario("", "s.toml", {"tls.fingerprint2=" + sha256}), doctest::Contains("SHA-256"),
                       ScenarioError);
}

TEST_CASE("heap.boot_used and heap.workload: string and table forms, groups replace the list") {
  Scenario s = parse_scenario(R"(
[fleet]
devices = 4
[heap]
boot_used = "12K"
workload = ["web: every=30s size=600..1400 life=2s", "json:every=10s  size=256 life=50ms"]
[[group]]
name = "quiet"
count = 1
[[group.heap.workload]]
name = "log"
every = "2s"
size_min = 40
size_max = "1K"
lifetime = "5s"
)",
                              "test.toml");
  CHECK(s.defaults.heap_boot_used == 12288);
  REQUIRE(s.defaults.heap_workload.size() == 2);
  const HeapWorkload& web = s.defaults.heap_workload[0];
  CHECK(web.name == "web");
  CHECK(web.every == Duration::from_s(30));
  CHECK(web.size_min == 600);
  CHECK(web.size_max == 1400);
  CHECK(web.lifetime == Duration::from_s(2));
  CHECK(s.defaults.heap_workload[1].size_min == 256);
  CHECK(s.defaults.heap_workload[1].size_max == 256);
  CHECK(s.defaults.heap_workload[1].lifetime == Duration::from_ms(50));
  DeviceConfig g = s.for_device(0);
  CHECK(g.heap_boot_used == 12288);
  REQUIRE(g.heap_workload.size() == 1);
  CHECK(g.heap_workload[0].name == "log");
  CHECK(g.heap_workload[0].size_max == 1024);
  auto j = s.resolved();
  CHECK(j["defaults"]["heap"]["boot_used"] == 12288);
  CHECK(j["defaults"]["heap"]["workload"][0] == "web: every=30s size=600..1400 life=2s");
  CHECK(j["defaults"]["heap"]["workload"][1] == "json: every=10s size=256 life=50ms");
  CHECK(j["groups"][0]["heap"]["workload"][0] == "log: every=2s size=40..1024 life=5s");

  // The resolved strings parse back to the same entries.
  Scenario again = parse_scenario("", "again.toml", {"heap.workload=" + j["defaults"]["heap"]["workload"].dump()});
  CHECK(again.defaults.heap_workload == s.defaults.heap_workload);
  // A bare --set string is a list of one.
  Scenario one = parse_scenario("", "one.toml", {"heap.workload=web: every=1s size=10..20 life=0s"});
  REQUIRE(one.defaults.heap_workload.size() == 1);
  CHECK(one.defaults.heap_workload[0].lifetime == Duration{});
}

TEST_CASE("heap.workload errors name the entry and the field") {
  CHECK(error_of("[heap]\nworkload = [\"web: every=30s size=600..1400 life=2s\", \"json: every=10x size=2 life=1s\"]\n")
            .find("test.toml:2:1: heap.workload = [") == 0);
  CHECK(error_of("[heap]\nworkload = [\"web: every=30s size=600..1400 life=2s\", \"json: every=10x size=2 life=1s\"]\n")
            .find(": entry 2 (\"json\"): every: ") != std::string::npos);
  CHECK(error_of("heap.workload = [\"web: every=30s size=1400..600 life=2s\"]\n")
            .find("entry 1 (\"web\"): size: 1400..600: the minimum is larger than the maximum") != std::string::npos);
  CHECK(error_of("heap.workload = [\"web: every=30s size=600\"]\n").find("entry 1 (\"web\"): missing life=") !=
        std::string::npos);
  CHECK(error_of("heap.workload = [\"web: evry=30s size=600 life=1s\"]\n")
            .find("unknown field 'evry' (did you mean 'every'?)") != std::string::npos);
  CHECK(error_of("heap.workload = [\"a: every=1s size=1 life=1s\", \"a: every=1s size=1 life=1s\"]\n")
            .find("entry 2 (\"a\"): another entry has this name") != std::string::npos);
  CHECK(error_of("heap.workload = [\"toolongname: every=1s size=1 life=1s\"]\n").find("must be 1 to 7") !=
        std::string::npos);
  CHECK(error_of("heap.workload = [\"w: every=1s size=20K life=1s\"]\n").find("between 1 and 16384") !=
        std::string::npos);
  CHECK(error_of("[[heap.workload]]\nname = \"web\"\nevery = \"1s\"\nsize_min = 1\nsize_max = 2\n")
            .find("entry 1 (\"web\"): missing lifetime") != std::string::npos);
  std::string seven = "heap.workload = [";
  for (int i = 0; i < 7; ++i)
    seven += std::string(i ? ", " : "") + "\"w" + std::to_string(i) + ": every=1s size=1 life=1s\"";
  CHECK(error_of(seven + "]\n").find("at most 6 entries") != std::string::npos);
  CHECK(error_of("heap.boot_used = \"65K\"\n").find("heap.boot_used = \"65K\": must be between 0 and 65536") !=
        std::string::npos);
  CHECK(error_of("", {"heap.workload=[\"x: every=1s\"]"})
            .find("--set heap.workload=[\"x: every=1s\"]: entry 1 (\"x\"): missing size=") == 0);
}

TEST_CASE("heap_life.toml loads, and the flash image carries boot_used and the workload table") {
  Scenario s = load_scenario((repo_root() / "scenarios" / "heap_life.toml").string());
  CHECK(s.fleet.mode == RunMode::fast);
  CHECK(s.defaults.heap_boot_used == 12288);
  REQUIRE(s.defaults.heap_workload.size() == 3);
  DeviceConfig busy = s.for_device(0);
  CHECK(busy.group == "busy");
  REQUIRE(busy.heap_workload.size() == 3);
  CHECK(busy.heap_workload[0].every == Duration::from_s(3));

  FlashInputs in;
  in.mqtt_host = "localhost";
  in.mqtt_port = 1883;
  std::vector<uint8_t> flash = build_flash_image(s.defaults, in);
  DeviceSettings d;
  std::memcpy(&d, flash.data() + kSettingsFlashAddr, sizeof d);
  CHECK(d.heap_boot_used == 12288);
  REQUIRE(d.workload_count == 3);
  CHECK(std::string(d.workload[0].name) == "web");
  CHECK(d.workload[0].every_ms == 30000);
  CHECK(d.workload[0].size_min == 600);
  CHECK(d.workload[0].size_max == 1400);
  CHECK(d.workload[0].life_ms == 2000);
  CHECK(std::string(d.workload[1].name) == "json");
  CHECK(d.workload[1].life_ms == 50);
  CHECK(d.workload[3].every_ms == 0);  // unused slots are zero
}
