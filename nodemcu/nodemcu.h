// nodemcu/nodemcu.h — the NodeMCU firmware as a device program: a Lua 5.1 state per device whose
// every allocation is on the device's heap (the SDK heap NodeMCU uses, sim/heap/heap_sdk.h), the
// user's init.lua and the files it loads read from the device's own files, and NodeMCU's modules
// (node, tmr, …) over the device platform (shims/platform.h). docs/nodemcu.md.
#pragma once

// The program's entry, on the device's cont: boots, runs init.lua, then dispatches timers and
// other events for ever. Never returns.
void nodemcu_main();
