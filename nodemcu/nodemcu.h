// nodemcu/nodemcu.h — the NodeMCU firmware as a device program: a Lua 5.1 state per device whose
// every allocation is on the device's heap (the SDK heap NodeMCU uses, sim/heap/heap_sdk.h), the
// user's init.lua and the files it loads read from the device's own files, and NodeMCU's modules
// (node, tmr, …) over the device platform (shims/platform.h). docs/nodemcu.md.
#pragma once
#include <stddef.h>
#include <stdint.h>

// The program's entry, on the device's cont: boots, runs init.lua, then dispatches timers and
// other events for ever. Never returns.
void nodemcu_main();

// What the Lua allocator charged since the last reset, over every NodeMCU device of the process:
// each heap request is charged the bytes the chip's Lua 5.1 would ask for (docs/nodemcu.md,
// "Sizes"); one whose chip size Lua could not tell is charged its host bytes and counted here,
// with the Lua function that made the last one.
struct LuaChargeStats {
  uint64_t heap_requests = 0;                  // allocations and resizes charged to a device heap
  uint64_t host_sized = 0;                     // ... of which charged their host bytes
  const char* last_host_sized_site = nullptr;  // Lua's function name (nullptr: none said)
  size_t last_host_sized_bytes = 0;
};
LuaChargeStats nodemcu_lua_charge_stats();
void nodemcu_lua_charge_stats_reset();
