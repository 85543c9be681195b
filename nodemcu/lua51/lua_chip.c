/* nodemcu/lua51/lua_chip.c — the chip's sizes of Lua 5.1's computed-size requests (strings,
** userdata, closures, threads) and the per-request record the allocator reads
** (nodemcu/lua51/lmem_chip.h, lua_chip.h; docs/nodemcu.md, "Sizes"). Built with Lua's sources,
** against their internal headers. The formulas are those of Lua 5.1.5's lstring.c (newlstr,
** luaS_newudata), lfunc.h (sizeCclosure, sizeLclosure) and lstate.c (luaE_newthread), with the
** chip's sizeof of each type in place of the host's. */
#include <string.h>

#include "lfunc.h"
#include "lobject.h"
#include "lstate.h"
#include "lua_chip.h"

_Thread_local size_t espfleet_lua_next_chip;
_Thread_local const char* espfleet_lua_next_site;
_Thread_local size_t espfleet_lua_grow_elem_chip;
_Thread_local const char* espfleet_lua_grow_site;
static _Thread_local size_t next_udata_host, next_udata_chip;
static _Thread_local int next_udata_set;

/* The generated table was measured on this compiler's layout too: its host sizes are the ones
** this file sees (tools/lua-sizes regenerates it when Lua's headers change). */
#define ESPFLEET_LUA_SAME_HOST(T, name) \
  _Static_assert(sizeof(T) == ESPFLEET_LUA_HOST_##name, "build/generated/lua_chip_sizes.h is stale for " #T);
ESPFLEET_LUA_SAME_HOST(TValue, TValue)
ESPFLEET_LUA_SAME_HOST(TString, TString)
ESPFLEET_LUA_SAME_HOST(Udata, Udata)
ESPFLEET_LUA_SAME_HOST(Table, Table)
ESPFLEET_LUA_SAME_HOST(Node, Node)
ESPFLEET_LUA_SAME_HOST(CClosure, CClosure)
ESPFLEET_LUA_SAME_HOST(LClosure, LClosure)
ESPFLEET_LUA_SAME_HOST(UpVal, UpVal)
ESPFLEET_LUA_SAME_HOST(Proto, Proto)
ESPFLEET_LUA_SAME_HOST(lua_State, lua_State)
ESPFLEET_LUA_SAME_HOST(CallInfo, CallInfo)

size_t espfleet_lua_take_request(const char** site) {
  size_t chip = espfleet_lua_next_chip;
  if (site) *site = espfleet_lua_next_site;
  espfleet_lua_next_chip = 0;
  espfleet_lua_next_site = NULL;
  return chip;
}

void espfleet_lua_next_udata(size_t host, size_t chip) {
  next_udata_host = host;
  next_udata_chip = chip;
  next_udata_set = 1;
}

/* A closure of n upvalues: host = sizeof(C) + (n - 1) * sizeof(elem) (n may be 0); the chip's
** bytes of the same n, or 0 when `host` is no such size. */
static size_t closure_chip(size_t host, size_t hsize, size_t helem, size_t csize, size_t celem) {
  long d = (long)host - (long)hsize;
  if (d % (long)helem != 0) return 0;
  long n_minus_1 = d / (long)helem;
  return (size_t)((long)csize + n_minus_1 * (long)celem);
}

size_t espfleet_lua_chip_of_malloc(const char* site, size_t host) {
  if (strcmp(site, "newlstr") == 0) /* (l+1)*sizeof(char)+sizeof(TString) */
    return host < sizeof(TString) ? 0 : host - sizeof(TString) + ESPFLEET_LUA_CHIP_TString;
  if (strcmp(site, "luaS_newudata") == 0) { /* s + sizeof(Udata) */
    int known = next_udata_set;
    size_t payload = host - sizeof(Udata), h = next_udata_host, c = next_udata_chip;
    next_udata_set = 0;
    if (host < sizeof(Udata) || !known || h != payload) return 0;
    return ESPFLEET_LUA_CHIP_Udata + c;
  }
  if (strcmp(site, "luaF_newCclosure") == 0) /* sizeCclosure(n) */
    return closure_chip(host, sizeof(CClosure), sizeof(TValue), ESPFLEET_LUA_CHIP_CClosure, ESPFLEET_LUA_CHIP_TValue);
  if (strcmp(site, "luaF_newLclosure") == 0) /* sizeLclosure(n) */
    return closure_chip(host, sizeof(LClosure), sizeof(TValue*), ESPFLEET_LUA_CHIP_LClosure,
                        ESPFLEET_LUA_CHIP_TValue_ptr);
  if (strcmp(site, "luaE_newthread") == 0) /* state_size(lua_State) */
    return host == sizeof(lua_State) + LUAI_EXTRASPACE ? ESPFLEET_LUA_CHIP_lua_State + LUAI_EXTRASPACE : 0;
  return 0;
}
