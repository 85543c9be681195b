// nodemcu/events.h — what NodeMCU's event loop waits for besides timers: the network's events
// (a connect the script asked for, bytes that arrived, a peer that closed), each object that can
// have one (a net or tls socket, an MQTT client) on one list, and the loop that waits on them.
// The SDK calls lwIP's callbacks from its own task as events happen; here the loop looks at each
// listed object in steps of kEventStepMs and runs the callbacks of those that have something
// (docs/nodemcu.md, "The event loop").
#pragma once
#include <stdint.h>

extern "C" {
#include <lua.h>
}

// One object the loop watches. `ready` looks without doing anything (it may only look at its
// sockets and its own fields: the host skips the steps nothing can end, sim/device/delay_while.cpp);
// `dispatch` runs what is due, the script's callbacks included, and may take the object off the
// list.
struct Pollable {
  Pollable* next = nullptr;
  bool listed = false;
  bool (*ready)(Pollable* self) = nullptr;
  void (*dispatch)(lua_State* L, Pollable* self) = nullptr;
};

inline constexpr uint32_t kEventStepMs = 5;

void events_watch(lua_State* L, Pollable* p);    // on the list (once)
void events_unwatch(lua_State* L, Pollable* p);  // off it (if on)
// The loop: waits until a listed object is ready (timers run meanwhile), dispatches it. Never returns.
[[noreturn]] void events_run(lua_State* L);
