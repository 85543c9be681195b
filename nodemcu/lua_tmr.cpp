// nodemcu/lua_tmr.cpp — NodeMCU's `tmr` module: timer objects (tmr.create(); register, alarm,
// start, stop, unregister, interval, state) on the SDK's software timers (the platform's
// timer_arm, as os_timer_arm), their modes ALARM_SINGLE (unregistered after it fires), ALARM_SEMI
// (idle after it fires, start() again) and ALARM_AUTO (repeats); tmr.now() (µs, 31 bits),
// tmr.time() (s since boot), tmr.delay(us) (a busy wait that feeds the watchdog each second) and
// tmr.wdclr(). A callback gets its timer and runs through luaL_pcallx. As NodeMCU's
// docs/modules/tmr.md describes and app/modules/tmr.c does.
#include <Arduino.h>
#include <Esp.h>

#include "lua_modules.h"
#include "lua_udata.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

using nodemcu_ud::Timer;

constexpr int kSingle = 0, kAuto = 1, kSemi = 2, kOff = 3;
constexpr uint8_t kIdle = 1 << 7;
constexpr uint32_t kMaxTimeout = 0x68D7A3;  // the SDK's limit (ms)
constexpr const char* kMeta = "tmr.timer";

void disarm(Timer* t) { esp_platform()->timer_disarm(t); }

// The timer fired (from the system, between the script's own steps).
void fire(void* arg) {
  auto* t = static_cast<Timer*>(arg);
  lua_State* L = t->L;
  if (t->fn_ref == LUA_NOREF || t->fn_ref == LUA_REFNIL) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->fn_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
  if (t->mode == kSingle) {
    nodemcu_unref(L, &t->fn_ref);
    nodemcu_unref(L, &t->self_ref);
    t->mode = kOff;
  } else if (t->mode == kSemi) {
    t->mode |= kIdle;
    nodemcu_unref(L, &t->self_ref);
  }
  nodemcu_pcallx(L, 1, 0);
}

void start_timer(Timer* t) { esp_platform()->timer_arm(t, fire, t->interval, t->mode == kAuto); }

Timer* check(lua_State* L) { return static_cast<Timer*>(luaL_checkudata(L, 1, kMeta)); }

int t_register(lua_State* L) {
  Timer* t = check(L);
  const lua_Integer interval = luaL_checkinteger(L, 2);
  const lua_Integer mode = luaL_checkinteger(L, 3);
  luaL_argcheck(L, interval > 0 && interval <= lua_Integer(kMaxTimeout), 2, "Range: 1-6870947");
  luaL_argcheck(L, mode == kSingle || mode == kSemi || mode == kAuto, 3, "Invalid mode");
  luaL_argcheck(L, lua_isfunction(L, 4), 4, "Must be function");
  if (!(t->mode & kIdle) && t->mode != kOff) disarm(t);
  lua_pushvalue(L, 4);
  nodemcu_unref(L, &t->fn_ref);
  t->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  t->mode = uint8_t(mode) | kIdle;
  t->interval = uint32_t(interval);
  return 0;
}

int t_start(lua_State* L) {
  Timer* t = check(L);
  lua_settop(L, 2);
  luaL_argcheck(L, lua_isboolean(L, 2) || lua_isnil(L, 2), 2, "boolean expected");
  const bool restart = lua_toboolean(L, 2);
  lua_settop(L, 1);
  if (t->self_ref == LUA_NOREF) t->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const bool idle = t->mode & kIdle;
  if (t->mode == kOff || !(idle || restart)) {
    lua_pushboolean(L, false);
    return 1;
  }
  if (!idle) disarm(t);
  t->mode &= uint8_t(~kIdle);
  start_timer(t);
  lua_pushboolean(L, true);
  return 1;
}

int t_alarm(lua_State* L) {
  t_register(L);
  lua_settop(L, 1);
  return t_start(L);
}

int t_stop(lua_State* L) {
  Timer* t = check(L);
  const bool idle = t->mode == kOff || (t->mode & kIdle);
  nodemcu_unref(L, &t->self_ref);
  if (!idle) disarm(t);
  if (t->mode != kOff) t->mode |= kIdle;
  lua_pushboolean(L, !idle);
  return 1;
}

int t_unregister(lua_State* L) {
  Timer* t = check(L);
  nodemcu_unref(L, &t->self_ref);
  nodemcu_unref(L, &t->fn_ref);
  if (!(t->mode & kIdle) && t->mode != kOff) disarm(t);
  t->mode = kOff;
  return 0;
}

int t_interval(lua_State* L) {
  Timer* t = check(L);
  const lua_Integer interval = luaL_checkinteger(L, 2);
  luaL_argcheck(L, interval > 0 && interval <= lua_Integer(kMaxTimeout), 2, "Range: 1-6870947");
  if (t->mode != kOff) {
    t->interval = uint32_t(interval);
    if (!(t->mode & kIdle)) {
      disarm(t);
      start_timer(t);
    }
  }
  return 0;
}

int t_state(lua_State* L) {
  Timer* t = check(L);
  if (t->mode == kOff) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushboolean(L, (t->mode & kIdle) == 0);
  lua_pushinteger(L, t->mode & ~kIdle);
  return 2;
}

int tmr_create(lua_State* L) {
  auto* t = NODEMCU_NEW_USERDATA(L, Timer);
  *t = Timer{L, LUA_NOREF, LUA_NOREF, 0, kOff};
  luaL_getmetatable(L, kMeta);
  lua_setmetatable(L, -2);
  return 1;
}

int tmr_now(lua_State* L) {
  lua_pushinteger(L, lua_Integer(uint32_t(micros64()) & 0x7FFFFFFF));
  return 1;
}

int tmr_time(lua_State* L) {
  lua_pushinteger(L, lua_Integer(micros64() / 1000000));
  return 1;
}

int tmr_delay(lua_State* L) {
  lua_Integer us = luaL_checkinteger(L, 1);
  luaL_argcheck(L, us > 0, 1, "wrong arg range");
  for (; us > 0; us -= 1000000) {
    delayMicroseconds(unsigned(us >= 1000000 ? 1000000 : us));
    ESP.wdtFeed();
  }
  return 0;
}

int tmr_wdclr(lua_State*) {
  ESP.wdtFeed();
  return 0;
}

}  // namespace

int luaopen_tmr(lua_State* L) {
  const luaL_Reg methods[] = {{"register", t_register}, {"alarm", t_alarm},           {"start", t_start},
                              {"stop", t_stop},         {"unregister", t_unregister}, {"interval", t_interval},
                              {"state", t_state},       {"__gc", t_unregister},       {nullptr, nullptr}};
  luaL_newmetatable(L, kMeta);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  luaL_register(L, nullptr, methods);
  lua_pop(L, 1);
  const luaL_Reg fns[] = {{"create", tmr_create}, {"now", tmr_now},     {"time", tmr_time},
                          {"delay", tmr_delay},   {"wdclr", tmr_wdclr}, {nullptr, nullptr}};
  luaL_register(L, "tmr", fns);
  lua_pushinteger(L, kSingle);
  lua_setfield(L, -2, "ALARM_SINGLE");
  lua_pushinteger(L, kSemi);
  lua_setfield(L, -2, "ALARM_SEMI");
  lua_pushinteger(L, kAuto);
  lua_setfield(L, -2, "ALARM_AUTO");
  return 1;
}
