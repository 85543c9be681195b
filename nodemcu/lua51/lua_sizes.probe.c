/* nodemcu/lua51/lua_sizes.probe.c — the Lua 5.1 types whose allocations the NodeMCU devices charge
** at the chip's size (docs/nodemcu.md, "Sizes"). tools/lua-sizes compiles this file to assembly
** twice against Debian's Lua 5.1.5 headers — with xtensa-lx106-elf-gcc (the chip) and with the host's
** C compiler — reads the constants back and writes build/generated/lua_chip_sizes.h, which
** nodemcu/lua51/lmem_chip.h and lua_chip.c use. Never linked. Every type lmem_chip.h's
** espfleet_lua_chip_sizeof names, and every type of lua_chip.c's formulas, is listed. */
#include "lfunc.h"
#include "lobject.h"
#include "lstate.h"

#define ESPFLEET_LUA_SIZE(T, name) __attribute__((used)) const unsigned espfleet_lua_size__##name = sizeof(T);

/* Objects (luaM_new, and the fixed parts of the computed sizes). */
ESPFLEET_LUA_SIZE(TValue, TValue)
ESPFLEET_LUA_SIZE(TString, TString)
ESPFLEET_LUA_SIZE(Udata, Udata)
ESPFLEET_LUA_SIZE(Table, Table)
ESPFLEET_LUA_SIZE(Node, Node)
ESPFLEET_LUA_SIZE(CClosure, CClosure)
ESPFLEET_LUA_SIZE(LClosure, LClosure)
ESPFLEET_LUA_SIZE(UpVal, UpVal)
ESPFLEET_LUA_SIZE(Proto, Proto)
ESPFLEET_LUA_SIZE(lua_State, lua_State)
/* Vector elements (luaM_newvector, luaM_growvector, luaM_reallocvector). */
ESPFLEET_LUA_SIZE(CallInfo, CallInfo)
ESPFLEET_LUA_SIZE(LocVar, LocVar)
ESPFLEET_LUA_SIZE(Instruction, Instruction)
ESPFLEET_LUA_SIZE(int, int)
ESPFLEET_LUA_SIZE(char, char)
ESPFLEET_LUA_SIZE(TString*, TString_ptr)
ESPFLEET_LUA_SIZE(GCObject*, GCObject_ptr)
ESPFLEET_LUA_SIZE(Proto*, Proto_ptr)
ESPFLEET_LUA_SIZE(TValue*, TValue_ptr) /* sizeLclosure's element */
