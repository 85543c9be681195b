// nodemcu/lua_modules.h — what NodeMCU's modules share inside the firmware: opening each module,
// the protected call every callback goes through (luaL_pcallx: a failing callback's traceback is
// reported by a posted task through node.setonerror's handler, which by default prints it and
// restarts the device 2 s later), and the registry keys the firmware keeps.
#pragma once
#include <stdint.h>

extern "C" {
#include <lua.h>
}

// The registry keys the firmware keeps (LUA_REGISTRYINDEX).
inline constexpr const char* kOnErrorKey = "onerror";        // node.setonerror's handler
inline constexpr const char* kRestartArmedKey = "restart";   // the default handler armed its restart
inline constexpr const char* kErrHandlerKey = "errhandler";  // luaL_pcallx's handler, made at boot
inline constexpr const char* kOomReportKey = "oomreport";    // the "out of memory" report, made at boot
inline constexpr const char* kOomTaskKey = "oomtask";        // its task record

int luaopen_node(lua_State* L);
int luaopen_tmr(lua_State* L);

// lua_pcall with NodeMCU's error handling: on an error, the traceback (debug.traceback, from the
// failing function) is handed to the onerror handler from a task of its own; an allocation failure
// reports "out of memory" the same way. Returns the call's status.
int nodemcu_pcallx(lua_State* L, int narg, int nres);
// The default onerror: print the message; the first time, arm a system restart in 2 s.
int nodemcu_default_onerror(lua_State* L);
