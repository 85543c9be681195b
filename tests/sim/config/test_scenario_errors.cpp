// tests/sim/config/test_scenario_errors.cpp — what a bad scenario file or --set says: file:line:column,
// the key and the value, the closest known key, the expected type or the allowed values, every
// problem at once in file order.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "scenario.h"
#include "scenario_test_support.h"

using namespace espfleet;
using namespace scenario_test;

// ---- errors: file, line, key -----------------------------------------------------------------

TEST_CASE("a bad value names file:line:column, the key and the value") {
  std::string e = error_of("[fleet]\ndevices = 4\n\n[device]\nheap_bytes = 49152\n\ncpu_mhz = 100\n");
  CHECK(e == "test.toml:7:1: device.cpu_mhz = 100: must be 80 or 160");
}

TEST_CASE("an unknown key suggests the closest one") {
  std::string e = error_of("[tls]\nenabled = true\nvaldation = \"ca\"\n");
  CHECK(e == "test.toml:3:1: unknown key 'tls.valdation' (did you mean 'tls.validation'?)");
  CHECK(error_of("[tsl]\nenabled = true\n")
            .find("test.toml:2:1: unknown key 'tsl.enabled' (did you mean 'tls.enabled'?)") == 0);
  CHECK(error_of("devices = 5\n").find("test.toml:1:1: unknown key 'devices' (did you mean 'fleet.devices'?)") == 0);
}

TEST_CASE("wrong types are reported with the expected type") {
  std::string e = error_of("[fleet]\ndevices = \"many\"\n[tls]\necdsa = \"yes\"\n[app]\ntele_period = 10.5\n");
  CHECK(e.find("test.toml:2:1: fleet.devices = \"many\": expected an integer") != std::string::npos);
  CHECK(e.find("test.toml:4:1: tls.ecdsa = \"yes\": expected true or false") != std::string::npos);
  CHECK(e.find("test.toml:6:1: app.tele_period = 10.5:") != std::string::npos);
  CHECK(error_of("tls = 5\n").find("test.toml:1:1:") == 0);
  CHECK(error_of("tls = 5\n").find("'tls' must be a table") != std::string::npos);
}

TEST_CASE("heap_bytes must be a multiple of 8 and at least 4096") {
  CHECK(error_of("[device]\nheap_bytes = 4100\n") ==
        "test.toml:2:1: device.heap_bytes = 4100: must be a multiple of 8 (the heap's block size)");
  std::string small = error_of("[device]\n\nheap_bytes = \"2K\"\n");
  CHECK(small.find("test.toml:3:1: device.heap_bytes = \"2K\": must be between 4096") == 0);
}

TEST_CASE("enumerations list the allowed values") {
  std::string e = error_of("[tls]\nvalidation = \"fingerprnt\"\n");
  CHECK(e ==
        "test.toml:2:1: tls.validation = \"fingerprnt\": must be \"ca\" or \"fingerprint\" (did you mean "
        "\"fingerprint\"?)");
  CHECK(error_of("[fleet]\nmode = \"slow\"\n")
            .find("test.toml:2:1: fleet.mode = \"slow\": must be \"realtime\" or \"fast\"") == 0);
  CHECK(error_of("[broker]\nserver_key = \"rsa\"\n").find("test.toml:2:1: broker.server_key") == 0);
}

TEST_CASE("errors inside a group name the group, the line and the key") {
  std::string e = error_of("[[group]]\nname = \"fast\"\ncount = 1\ndevice.cpu_mhz = 100\nfleet.devices = 3\n");
  CHECK(e.find("test.toml:4:1: group.fast.device.cpu_mhz = 100: must be 80 or 160") != std::string::npos);
  CHECK(e.find("test.toml:5:1: 'fleet.devices' applies to the whole fleet") != std::string::npos);
  CHECK(error_of("[[group]]\ncount = 1\n").find("test.toml:1:1: [[group]] needs a name") == 0);
  CHECK(error_of("[[group]]\nname = \"a\"\n").find("needs count = N or fraction") != std::string::npos);
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n[[group]]\nname = \"a\"\ncount = 1\n")
            .find("test.toml:5:1: group[1].name = \"a\": another [[group]] has this name") == 0);
  CHECK(error_of("[[group]]\nname = \"default\"\ncount = 1\n").find("groups.default); choose another") !=
        std::string::npos);  // summary.json's name for the devices no group takes
  CHECK(error_of("[[group]]\nname = \"a\"\nfraction = 1.5\n").find("test.toml:3:1: group.a.fraction = 1.5") == 0);
  CHECK(error_of("[group]\nname = \"a\"\n").find("group must be an array of tables") != std::string::npos);
}

TEST_CASE("group counts may not exceed fleet.devices") {
  std::string e =
      error_of("[fleet]\ndevices = 100\n[[group]]\nname = \"a\"\ncount = 60\n[[group]]\nname = \"b\"\ncount = 50\n");
  CHECK(e == "test.toml:8:1: group.b.count = 50: the groups take 110 devices (50 here) but fleet.devices = 100");
  std::string f = error_of(
      "[fleet]\ndevices = 10\n[[group]]\nname = \"a\"\nfraction = 0.6\n[[group]]\nname = \"b\"\nfraction = 0.5\n");
  CHECK(f.find("test.toml:8:1: group.b.fraction = 0.5: the groups take 11 devices") == 0);
}

TEST_CASE("TOML syntax errors carry file:line:column") {
  std::string e = error_of("[fleet]\ndevices = [1,,\n");
  CHECK(e.find("test.toml:2:") == 0);
  CHECK(e.find("TOML syntax error") != std::string::npos);
  CHECK(error_of("[fleet]\ndevices = 1\ndevices = 2\n").find("test.toml:3:") == 0);
}

TEST_CASE("every problem is reported at once, in file order") {
  ScenarioError err({});
  try {
    parse_scenario("[tls]\nvalidation = \"x\"\n[device]\ncpu_mhz = 1\n", "many.toml", {});
    FAIL("expected an error");
  } catch (const ScenarioError& e) {
    err = e;
  }
  REQUIRE(err.messages().size() == 2);
  CHECK(err.messages()[0].find("many.toml:2:1: tls.validation") == 0);
  CHECK(err.messages()[1].find("many.toml:4:1: device.cpu_mhz") == 0);
}

TEST_CASE("--set errors quote the --set argument") {
  CHECK(error_of("", {"tls.valdation=ca"}) ==
        "--set tls.valdation=ca: unknown key 'tls.valdation' (did you mean 'tls.validation'?)");
  CHECK(error_of("", {"device.cpu_mhz=100"}) == "--set device.cpu_mhz=100: must be 80 or 160");
  CHECK(error_of("", {"app.tele_period=5x"}).find("--set app.tele_period=5x: unknown unit 'x'") == 0);
  CHECK(error_of("", {"fleet.devices"}).find("--set fleet.devices: expected KEY=VALUE") == 0);
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n", {"group.b.count=1"}) ==
        "--set group.b.count=1: no [[group]] named 'b' (groups: a)");
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n", {"group.a.fleet.seed=2"})
            .find("--set group.a.fleet.seed=2: 'fleet.seed' cannot be set per group") == 0);
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n", {"group.a.device.cpu_mhz=100"}) ==
        "--set group.a.device.cpu_mhz=100: must be 80 or 160");
  CHECK(
      error_of("[[group]]\nname = \"a\"\ncount = 5\n", {"fleet.devices=4"}).find("test.toml:3:1: group.a.count = 5") ==
      0);
}
