// nodemcu/lua_node.cpp — NodeMCU's `node` module, the calls a networked script uses: heap() (the
// SDK heap's free bytes, system_get_free_heap_size), chipid(), restart(), uptime() (µs since boot,
// as a pair of 32-bit halves is not needed here: a number) and setonerror([f]) (default: print
// the traceback and restart 2 s later). From NodeMCU's docs/modules/node.md.
#include <Arduino.h>
#include <Esp.h>

#include "lua_modules.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

int node_heap(lua_State* L) {
  lua_pushinteger(L, lua_Integer(esp_platform()->heap_free_bytes()));
  return 1;
}

int node_chipid(lua_State* L) {
  lua_pushinteger(L, lua_Integer(ESP.getChipId()));
  return 1;
}

int node_restart(lua_State*) { ESP.restart(); }

int node_uptime(lua_State* L) {
  lua_pushnumber(L, lua_Number(micros64()));
  return 1;
}

int node_setonerror(lua_State* L) {
  lua_settop(L, 1);
  if (!lua_isfunction(L, 1)) {
    lua_pop(L, 1);
    lua_pushcfunction(L, nodemcu_default_onerror);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, kOnErrorKey);
  return 0;
}

}  // namespace

int luaopen_node(lua_State* L) {
  const luaL_Reg fns[] = {{"heap", node_heap},     {"chipid", node_chipid},         {"restart", node_restart},
                          {"uptime", node_uptime}, {"setonerror", node_setonerror}, {nullptr, nullptr}};
  luaL_register(L, "node", fns);
  return 1;
}
