// tests/sim/config/test_scenario_faults.cpp — [[faults]]: the entries a scenario writes (broker and
// device kinds, repeats, targets by group and fraction), what is refused with the key named, and
// which devices an entry targets: the same devices whatever else the fleet holds, a fraction near
// its share, none for the broker's faults.
#include <doctest/doctest.h>

#include <string>

#include "config/scenario_test_support.h"
#include "fault_spec.h"
#include "scenario.h"

using namespace espfleet;
using scenario_test::error_of;

TEST_CASE("faults: broker and device entries, targets, and the devices that hold them") {
  Scenario s = parse_scenario(
      "[fleet]\ndevices = 1000\nseed = 3\n"
      "[[group]]\nname = \"fast\"\ncount = 100\n"
      "[[faults]]\nkind = \"broker_kill\"\nat = \"2m\"\nduration = \"20s\"\n"
      "[[faults]]\nkind = \"partition\"\nat = \"60s\"\nduration = \"60s\"\ngroup = \"fast\"\n"
      "[[faults]]\nkind = \"power_cycle\"\nat = \"30s\"\nevery = \"10m\"\nfraction = 0.1\n",
      "test.toml");
  REQUIRE(s.fleet.faults.size() == 3);
  CHECK(s.fleet.faults[0].kind == FaultKind::broker_kill);
  CHECK(s.fleet.faults[0].at == Duration::from_s(120));
  CHECK(s.fleet.faults[0].duration == Duration::from_s(20));
  CHECK(s.fleet.faults[1].group == "fast");
  CHECK(s.fleet.faults[2].every == Duration::from_s(600));
  CHECK(s.fleet.faults[2].index == 2);

  size_t partitioned = 0, cycled = 0;
  for (uint32_t id = 0; id < 1000; ++id) {
    const DeviceConfig c = s.for_device(id);
    for (const DeviceFault& f : c.faults) {
      CHECK(f.kind != FaultKind::broker_kill);  // the broker's are nobody's
      if (f.kind == FaultKind::partition) {
        CHECK(id < 100);  // the fast group only
        CHECK(f.when.at == Duration::from_s(60));
        CHECK(f.when.length == Duration::from_s(60));
        partitioned++;
      }
      cycled += f.kind == FaultKind::power_cycle;
    }
  }
  CHECK(partitioned == 100);
  CHECK(cycled > 70);  // 10 % of 1000, drawn
  CHECK(cycled < 130);
  // A device's draw is its own: the same in a fleet of another size (as a shard sees it).
  Scenario bigger = parse_scenario(
      "[fleet]\ndevices = 5000\nseed = 3\n[[group]]\nname = \"fast\"\ncount = 100\n"
      "[[faults]]\nkind = \"broker_kill\"\nat = \"2m\"\nduration = \"20s\"\n"
      "[[faults]]\nkind = \"partition\"\nat = \"60s\"\nduration = \"60s\"\ngroup = \"fast\"\n"
      "[[faults]]\nkind = \"power_cycle\"\nat = \"30s\"\nevery = \"10m\"\nfraction = 0.1\n",
      "test.toml");
  for (uint32_t id = 0; id < 1000; ++id) CHECK(bigger.for_device(id).faults == s.for_device(id).faults);
  CHECK(s.resolved()["faults"].size() == 3);
  CHECK(s.resolved()["faults"][1]["group"] == "fast");
}

TEST_CASE("faults: a certificate rotation, same key or new") {
  Scenario s = parse_scenario(
      "[[faults]]\nkind = \"cert_rotate\"\nat = \"1m\"\n[[faults]]\nkind = \"cert_rotate\"\n"
      "at = \"2m\"\nnew_key = true\n",
      "test.toml");
  REQUIRE(s.fleet.faults.size() == 2);
  CHECK_FALSE(s.fleet.faults[0].new_key);
  CHECK(s.fleet.faults[1].new_key);
  CHECK(is_broker_fault(FaultKind::cert_rotate));
  CHECK(s.for_device(0).faults.empty());  // the broker's, nobody's
  CHECK(s.resolved()["faults"][1]["new_key"] == true);
  CHECK(error_of("[[faults]]\nkind = \"cert_rotate\"\nat = 5\nduration = \"1s\"\n").find("has no duration") !=
        std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"partition\"\nat = 5\nduration = \"1s\"\nnew_key = true\n")
            .find("only a cert_rotate has new_key") != std::string::npos);
}

TEST_CASE("faults: packet loss and a bandwidth cap, as the device holds them and the summary shows them") {
  Scenario s = parse_scenario(
      "[fleet]\ndevices = 4\n"
      "[[faults]]\nkind = \"packet_loss\"\nat = \"10s\"\nduration = \"30s\"\nloss = 0.25\n"
      "[[faults]]\nkind = \"bandwidth\"\nat = 0\nduration = \"1m\"\nrate = \"64kbit\"\n",
      "test.toml");
  REQUIRE(s.fleet.faults.size() == 2);
  CHECK(s.fleet.faults[0].loss == 0.25);
  CHECK(s.fleet.faults[1].rate_bps == 64000);
  const DeviceFault d = device_fault(s.fleet.faults[0]);
  CHECK(d.loss == 0.25);
  CHECK(d.when.length == Duration::from_s(30));
  CHECK(device_fault(s.fleet.faults[1]).rate_bps == 64000);
  CHECK(fault_json(s.fleet.faults[0])["loss"] == 0.25);
  CHECK(fault_json(s.fleet.faults[1])["rate"] == "64kbit");
}

TEST_CASE("faults: what is refused, with the entry and key named") {
  CHECK(error_of("[[faults]]\nat = \"1m\"\n").find("test.toml:1:1: [[faults]] needs a kind") == 0);
  CHECK(error_of("[[faults]]\nkind = \"broker_kil\"\nat = \"1m\"\nduration = \"5s\"\n")
            .find("faults[0].kind = \"broker_kil\": must be") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"broker_kil\"\nat = \"1m\"\nduration = \"5s\"\n")
            .find("(did you mean \"broker_kill\"?)") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"partition\"\nat = \"1m\"\n").find("needs duration") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"power_cycle\"\n").find("needs at = ") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"power_cycle\"\nat = 5\nduration = \"1s\"\n").find("has no duration") !=
        std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"broker_stall\"\nat = 5\nduration = \"10s\"\nevery = \"5s\"\n")
            .find("faults[0].every = \"5s\": must be longer than duration") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"broker_kill\"\nat = 5\nduration = \"1s\"\ngroup = \"a\"\n")
            .find("the broker's faults have no target devices") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"partition\"\nat = 5\nduration = \"1s\"\nfraction = 0\n")
            .find("faults[0].fraction = 0: must be a number above 0") != std::string::npos);
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n[[faults]]\nkind = \"partition\"\nat = 5\nduration = \"1s\"\n"
                 "group = \"b\"\n")
            .find("faults[0].group = \"b\": no [[group]] has this name (groups: a)") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"partition\"\nat = 5\nduration = \"1s\"\ntarget = \"all\"\n")
            .find("unknown key 'target' in [[faults]]") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"packet_loss\"\nat = 5\nduration = \"1s\"\n")
            .find("a packet_loss needs loss = SHARE") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"packet_loss\"\nat = 5\nduration = \"1s\"\nloss = 1.0\n")
            .find("faults[0].loss = 1.0: must be a number above 0 and below 1") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"partition\"\nat = 5\nduration = \"1s\"\nloss = 0.5\n")
            .find("only a packet_loss has loss") != std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"bandwidth\"\nat = 5\nduration = \"1s\"\n").find("a bandwidth needs rate") !=
        std::string::npos);
  CHECK(error_of("[[faults]]\nkind = \"bandwidth\"\nat = 5\nduration = \"1s\"\nrate = \"300bit\"\n")
            .find("must be from 1200bit to 1Gbit per second") != std::string::npos);
  CHECK(error_of("[faults]\nkind = \"partition\"\n").find("faults must be an array of tables") != std::string::npos);
  CHECK(error_of("[[group]]\nname = \"a\"\ncount = 1\n[[group.faults]]\nkind = \"partition\"\n")
            .find("write [[faults]] entries outside [[group]]") != std::string::npos);
}
