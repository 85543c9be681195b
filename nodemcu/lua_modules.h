// nodemcu/lua_modules.h — what NodeMCU's modules share inside the firmware: opening each module,
// the protected call every callback goes through (luaL_pcallx: a failing callback's traceback is
// reported by a posted task through node.setonerror's handler, which by default prints it and
// restarts the device 2 s later), and the registry keys the firmware keeps.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "generated/udata_sizes.h"  // build/generated/, by tools/target-sizes
#include "lua_chip.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

// lua_newuserdata for a firmware struct T of nodemcu/lua_udata.h: its Udata is charged T's sizeof
// on the chip (docs/nodemcu.md, "Sizes"), measured by nodemcu/udata_sizes.probe.cc's cross-compile.
#define NODEMCU_NEW_USERDATA(L, T) static_cast<T*>(nodemcu_new_userdata(L, sizeof(T), udata_chip_sizeof<T>(#T)))
inline void* nodemcu_new_userdata(lua_State* L, size_t host, size_t chip) {
  espfleet_lua_next_udata(host, chip);
  return lua_newuserdata(L, host);
}
// T's chip sizeof from the generated table; a compile error when T is not listed there or the
// table's host size is not this build's (a stale table).
template <class T>
consteval size_t udata_chip_sizeof(std::string_view name) {
  for (const auto& r : espfleet::generated::kUdataSizes)
    if (name == r.type) {
      if (r.host != sizeof(T)) throw "build/generated/udata_sizes.h is stale: rebuild";
      return r.target;
    }
  throw "not listed in nodemcu/udata_sizes.probe.cc";
}

// The registry keys the firmware keeps (LUA_REGISTRYINDEX).
inline constexpr const char* kOnErrorKey = "onerror";        // node.setonerror's handler
inline constexpr const char* kRestartArmedKey = "restart";   // the default handler armed its restart
inline constexpr const char* kErrHandlerKey = "errhandler";  // luaL_pcallx's handler, made at boot
inline constexpr const char* kOomReportKey = "oomreport";    // the "out of memory" report, made at boot
inline constexpr const char* kOomTaskKey = "oomtask";        // its task record

struct Pollable;
struct TlsConfig;

// The device's firmware state that the modules share: on the device's cont for as long as the
// Lua state lives, found through the registry.
inline constexpr size_t kCertPageBytes = 4096;
struct FirmwareState {
  Pollable* polled = nullptr;  // what the event loop watches (events.h)
  // tls.cert.verify: whether secure connections verify the server, and the Lua function that
  // supplies CA certificates (LUA_NOREF: the certificates in the flash page).
  bool tls_verify = false;
  int tls_verify_fn = LUA_NOREF;
  // tls.cert.auth: whether secure connections present the client's certificate and key, and the
  // Lua function that supplies them (LUA_NOREF: the flash page's).
  bool tls_auth = false;
  int tls_auth_fn = LUA_NOREF;
  // The flash pages' views (the chip maps its flash; here the device's read-only program memory).
  char* cert_page = nullptr;
  char* auth_page = nullptr;
};
void firmware_state_init(lua_State* L, FirmwareState* fs);
FirmwareState* firmware_state(lua_State* L);

// A registry reference dropped (LUA_NOREF and LUA_REFNIL are none) and set to LUA_NOREF.
void nodemcu_unref(lua_State* L, int* ref);
// An event callback as the network modules make it (net.c, tls.c, mqtt.c): the function `fn_ref`
// with the object `self_ref` and the `nargs` values on the stack's top (popped), by a plain
// lua_call — an error in it is NodeMCU's panic. Nothing is called when either is LUA_NOREF.
void nodemcu_event_call(lua_State* L, int fn_ref, int self_ref, int nargs);

// The Wi-Fi station is associated (and has its address): what lwIP needs to connect.
bool station_up();

int luaopen_node(lua_State* L);
int luaopen_tmr(lua_State* L);
int luaopen_wifi(lua_State* L);
int luaopen_net(lua_State* L);  // also the tls.socket type
int luaopen_tls(lua_State* L);
int luaopen_mqtt(lua_State* L);
int luaopen_file(lua_State* L);
int luaopen_sjson(lua_State* L);
int tls_create_connection(lua_State* L);
// What a secure connection verifies against and presents now (tls.cert.verify, tls.cert.auth): how
// many values it pushed (the callbacks' texts, which `out` points into), for the caller to pop
// after connecting.
int tls_config_push(lua_State* L, TlsConfig* out);

// lua_pcall with NodeMCU's error handling: on an error, the traceback (debug.traceback, from the
// failing function) is handed to the onerror handler from a task of its own; an allocation failure
// reports "out of memory" the same way. Returns the call's status.
int nodemcu_pcallx(lua_State* L, int narg, int nres);
// The default onerror: print the message; the first time, arm a system restart in 2 s.
int nodemcu_default_onerror(lua_State* L);
