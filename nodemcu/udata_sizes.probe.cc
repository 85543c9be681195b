// nodemcu/udata_sizes.probe.cc — the firmware structs a NodeMCU device keeps in Lua userdata
// (nodemcu/lua_udata.h), whose Udata is charged the struct's sizeof on the chip (docs/nodemcu.md,
// "Sizes"). tools/target-sizes --by-name kUdataSizes compiles this file twice to assembly — with
// xtensa-lx106-elf-g++ against the shim, core and Lua headers, and with the host's compiler — and
// writes build/generated/udata_sizes.h, which NODEMCU_NEW_USERDATA (lua_modules.h) reads by type
// name. Never linked. List every struct lua_udata.h defines.
#include "lua_udata.h"

using namespace nodemcu_ud;

#define ESPFLEET_TARGET_SIZE(T) extern "C" __attribute__((used)) const unsigned espfleet_target_size__##T = sizeof(T);

ESPFLEET_TARGET_SIZE(Timer)
ESPFLEET_TARGET_SIZE(FileUd)
ESPFLEET_TARGET_SIZE(Station)
ESPFLEET_TARGET_SIZE(Socket)
ESPFLEET_TARGET_SIZE(Client)
ESPFLEET_TARGET_SIZE(Posted)
ESPFLEET_TARGET_SIZE(OomReport)
