// tests/nodemcu/test_lua_sizes.cpp — a NodeMCU device's Lua objects are charged what the chip's
// Lua 5.1 asks for (docs/nodemcu.md, "Sizes"): a table, a string, a closure and a userdata each
// lower node.heap() by the SDK heap's block for the lx106 size (build/generated/lua51/
// lua_chip_sizes.h, udata_sizes.h), not the host's; and no request falls back to its host size
// while tests/nodemcu/timers or scenarios/nodemcu/init.lua run.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "device_test_support.h"
#include "flash_image.h"
#include "generated/lua51/lua_chip_sizes.h"
#include "generated/udata_sizes.h"
#include "heap_sdk.h"
#include "nodemcu.h"
#include "session.h"

using namespace espfleet;

namespace {

uint32_t sdk_block(size_t n) {
  return uint32_t((n + SdkHeap::kHeader + SdkHeap::kAlign - 1) / SdkHeap::kAlign * SdkHeap::kAlign);
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f, "cannot read " << path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
std::vector<uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }

// One NodeMCU device with these files for `seconds` of device time; its console.
std::string run_nodemcu(std::vector<FlashFile> files, double seconds) {
  std::ostringstream console;
  FleetOptions o;
  o.mode = RunMode::fast;
  o.duration = VTime::from_s(seconds);
  o.program = kNodeMcuProgram;
  o.device_log =
      std::make_shared<spdlog::logger>("lua-sizes", std::make_shared<spdlog::sinks::ostream_sink_st>(console));
  o.device_log->set_pattern("%v");
  Fleet fleet(o, 1, 49152);
  DeviceConfig cfg = test::plain_device(80);
  FlashInputs in;
  in.files = std::move(files);
  fleet.add_device(0, cfg, 7, build_flash_image(cfg, in), VTime{});
  fleet.run();
  return console.str();
}

const generated::TargetSizeRow& udata(const char* type) {
  for (const auto& r : generated::kUdataSizes)
    if (std::string(r.type) == type) return r;
  FAIL("no " << type << " in udata_sizes.h");
  return generated::kUdataSizes[0];
}

}  // namespace

TEST_CASE("NodeMCU: a table, a string, a closure and a userdata cost node.heap() their chip size") {
  // The collector stopped; each object made four times, kept, and the least drop taken: the SDK
  // heap hands out a whole free block when no more than 16 bytes would be left (heap_sdk.h), and
  // the first calls may grow Lua's stack, so one drop can be larger than the object's block.
  const char* script = R"(
collectgarbage("stop")
local h = node.heap
local keep = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
local seeds = {"a", "b", "c", "d"}
local function least(k, make)
  local best = 1e9
  for i = 1, 4 do
    local a = h(); local o = make(i); local b = h()
    keep[k + i] = o
    if a - b < best then best = a - b end
  end
  return best
end
local t = least(0, function() return {} end)
local s = least(4, function(i) return seeds[i]:rep(20) end)
local f = least(8, function() return function() end end)
local u = least(12, function() return tmr.create() end)
print(string.format("sizes table %d string %d closure %d userdata %d", t, s, f, u))
)";
  const std::string out = run_nodemcu({{"/init.lua", text(script)}}, 1);
  std::smatch m;
  REQUIRE_MESSAGE(
      std::regex_search(out, m, std::regex(R"(sizes table (\d+) string (\d+) closure (\d+) userdata (\d+))")), out);
  const uint32_t table = std::stoul(m[1]), string = std::stoul(m[2]), closure = std::stoul(m[3]),
                 userdata = std::stoul(m[4]);
  // Table; TString + 20 chars + NUL; an LClosure of no upvalue (sizeLclosure(0)); Udata + Timer.
  CHECK(table == sdk_block(ESPFLEET_LUA_CHIP_Table));
  CHECK(string == sdk_block(ESPFLEET_LUA_CHIP_TString + 21));
  CHECK(closure == sdk_block(ESPFLEET_LUA_CHIP_LClosure - ESPFLEET_LUA_CHIP_TValue_ptr));
  CHECK(userdata == sdk_block(ESPFLEET_LUA_CHIP_Udata + udata("Timer").target));
  // ... which is less than the host's would be.
  CHECK(table < sdk_block(ESPFLEET_LUA_HOST_Table));
  CHECK(string < sdk_block(ESPFLEET_LUA_HOST_TString + 21));
  CHECK(closure < sdk_block(ESPFLEET_LUA_HOST_LClosure - ESPFLEET_LUA_HOST_TValue_ptr));
  CHECK(userdata < sdk_block(ESPFLEET_LUA_HOST_Udata + udata("Timer").host));
  MESSAGE("charged: table " << table << ", string " << string << ", closure " << closure << ", userdata " << userdata);
}

TEST_CASE("NodeMCU: no Lua request is charged its host size in the timers test or the scenario's init.lua") {
  const std::string root = ESPFLEET_SOURCE_DIR;
  const std::map<std::string, std::vector<FlashFile>> projects = {
      {"tests/nodemcu/timers",
       {{"/init.lua", file_bytes(root + "/tests/nodemcu/timers/init.lua")},
        {"/status.lua", file_bytes(root + "/tests/nodemcu/timers/status.lua")}}},
      // No broker here: its connect fails and is retried from a timer, as the script says.
      {"scenarios/nodemcu",
       {{"/init.lua", file_bytes(root + "/scenarios/nodemcu/init.lua")},
        {"/ca.crt", text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")}}},
  };
  for (const auto& [name, files] : projects) {
    CAPTURE(name);
    nodemcu_lua_charge_stats_reset();
    const std::string out = run_nodemcu(files, 25);
    const LuaChargeStats s = nodemcu_lua_charge_stats();
    CHECK_MESSAGE(s.heap_requests > 100, out);
    CHECK_MESSAGE(s.host_sized == 0, "last: " << (s.last_host_sized_site ? s.last_host_sized_site : "?") << " of "
                                              << s.last_host_sized_bytes << " bytes");
    CHECK(out.find("lua: ") == std::string::npos);  // the script ran without an error
    MESSAGE(name << ": " << s.heap_requests << " heap requests");
  }
}
