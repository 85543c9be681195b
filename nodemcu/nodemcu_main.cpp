// nodemcu/nodemcu_main.cpp — the NodeMCU firmware's start and its Lua state (nodemcu.h): the state on
// the device heap, the standard libraries NodeMCU builds in (no io, no os), print to the UART, files
// loaded from the device's own file region, the panic of an unprotected error, luaL_pcallx and its
// posted error reports, then the event loop. Written from NodeMCU's documented behaviour and its
// source (app/lua/lnodemcu.c, lauxlib.c, app/modules/node.c): docs/nodemcu.md.
#include "nodemcu.h"

#include <Arduino.h>
#include <Esp.h>
#include <FS.h>
#include <LittleFS.h>

#include <string.h>

#include <atomic>

#include "events.h"
#include "lua_chip.h"
#include "lua_modules.h"
#include "lua_udata.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
#include <lualib.h>
}

namespace {

// The state's allocations. Until its libraries are open they are the firmware's flash: NodeMCU
// builds its modules as read-only tables in flash, so what the state holds at boot costs the
// heap nothing here either: it is laid out, one block after another, in the region the device
// keeps for its program's read-only data (program_rom; the same region every boot). From then
// on every allocation is on the device heap, tagged "lua" (sim/heap/heap_tags.h); a boot-time
// block that grows moves to the heap, one that is freed stays where it was.
struct AllocPhase {
  uint8_t* rom = nullptr;
  size_t rom_bytes = 0, rom_used = 0;
  bool booted = false;
  bool in_rom(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(rom);
    return rom && a >= b && a - b < rom_bytes;
  }
};
constexpr size_t kRomBytes = 256 * 1024;  // the host's 64-bit objects of the boot state, with room

// The charge counts (nodemcu.h), every device's.
std::atomic<uint64_t> g_heap_requests{0}, g_host_sized{0};
std::atomic<const char*> g_host_sized_site{nullptr};
std::atomic<size_t> g_host_sized_bytes{0};

// The bytes a heap request of nsize host bytes is charged: what the chip's Lua asks for
// (nodemcu/lua51/lmem_chip.h says it), else the host's, counted.
size_t charge_of(size_t chip, const char* site, size_t nsize) {
  g_heap_requests.fetch_add(1, std::memory_order_relaxed);
  if (chip) return chip;
  g_host_sized.fetch_add(1, std::memory_order_relaxed);
  g_host_sized_site.store(site, std::memory_order_relaxed);
  g_host_sized_bytes.store(nsize, std::memory_order_relaxed);
  return nsize;
}

void* device_alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  // What Lua said of this request, read before anything else can run on this thread.
  const char* site = nullptr;
  const size_t chip = espfleet_lua_take_request(&site);
  auto* ph = static_cast<AllocPhase*>(ud);
  EspPlatform* p = esp_platform();
  const bool rom_block = ptr && ph->in_rom(ptr);
  if (nsize == 0) {
    if (ptr && !rom_block) p->heap_free(ptr, "lua", 0);
    return nullptr;
  }
  if (!ph->booted && ph->rom) {
    const size_t at = (ph->rom_used + 15) & ~size_t(15);
    if (at + nsize <= ph->rom_bytes) {
      if (ptr && osize) memcpy(ph->rom + at, ptr, osize < nsize ? osize : nsize);
      if (ptr && !rom_block) p->heap_free(ptr, "lua", 0);
      ph->rom_used = at + nsize;
      return ph->rom + at;
    }
  }
  // On the heap: the host's bytes, charged the chip's (the host block holds the host bytes, so a
  // growing vector is copied whole).
  const size_t charge = charge_of(chip, site, nsize);
  if (!rom_block) return p->heap_realloc_sized(ptr, nsize, charge, "lua", 0);
  void* moved = p->heap_malloc_sized(nsize, charge, "lua", 0);
  if (!moved) return nullptr;  // Lua keeps the old block
  memcpy(moved, ptr, osize < nsize ? osize : nsize);
  return moved;
}

void uart(const char* s, size_t n) { Serial.write(reinterpret_cast<const uint8_t*>(s), n); }
void uart(const char* s) { uart(s, strlen(s)); }

// An unprotected error: NodeMCU's panic prints and spins, and the watchdog resets the chip (here
// a busy wait, since a device's clock moves only with the work it does).
int panic(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  char line[200];
  int n = snprintf(line, sizeof line, "PANIC: unprotected error in call to Lua API (%s)\n", msg ? msg : "?");
  uart(line, size_t(n < int(sizeof line) ? n : int(sizeof line) - 1));
  for (;;) delayMicroseconds(1000);
  return 0;
}

// print(...): tostring of each argument, tab-separated, a newline, to the UART.
int l_print(lua_State* L) {
  const int n = lua_gettop(L);
  lua_getglobal(L, "tostring");
  for (int i = 1; i <= n; ++i) {
    lua_pushvalue(L, -1);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    if (!s) return luaL_error(L, "'tostring' must return a string to 'print'");
    if (i > 1) uart("\t", 1);
    uart(s, len);
    lua_pop(L, 1);
  }
  uart("\n", 1);
  return 0;
}

// The device's files: "/name" in its file region (shims/FS.h); NodeMCU names have no directory.
struct FileReader {
  fs::File f;
  char buf[256];
};
const char* read_chunk(lua_State*, void* ud, size_t* size) {
  auto* r = static_cast<FileReader*>(ud);
  int n = r->f.read(reinterpret_cast<uint8_t*>(r->buf), sizeof r->buf);
  *size = n > 0 ? size_t(n) : 0;
  return n > 0 ? r->buf : nullptr;
}
// Loads `name` as a chunk (pushed), or pushes the error message: 0 or the lua_load status, or
// LUA_ERRFILE when there is no such file. The File is closed before anything can raise an error.
int load_device_file(lua_State* L, const char* name) {
  char path[40];
  snprintf(path, sizeof path, "/%s", name[0] == '/' ? name + 1 : name);
  int status;
  {
    FileReader r;
    r.f = LittleFS.open(path, "r");
    if (!r.f) {
      lua_pushfstring(L, "cannot open %s", name);
      return LUA_ERRFILE;
    }
    lua_pushfstring(L, "@%s", name[0] == '/' ? name + 1 : name);
    status = lua_load(L, read_chunk, &r, lua_tostring(L, -1));
  }
  lua_remove(L, -2);  // the chunk name
  return status;
}
int l_loadfile(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  if (load_device_file(L, name) == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}
int l_dofile(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  if (load_device_file(L, name) != 0) return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}
// require's searcher for the device's files: NAME.lua (NAME.lc is not supported).
int device_searcher(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_pushfstring(L, "%s.lua", name);
  const char* file = lua_tostring(L, -1);
  int status = load_device_file(L, file);
  if (status == LUA_ERRFILE) {
    lua_pushfstring(L, "\n\tno file '%s'", file);
    return 1;
  }
  if (status != 0)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file, lua_tostring(L, -1));
  return 1;
}

// The libraries of NodeMCU's Lua 5.1 build that a script uses: base (with the device's print,
// loadfile, dofile), package (require from the device's files), table, string, math, debug.
void open_libs(lua_State* L) {
  const luaL_Reg libs[] = {{"", luaopen_base},
                           {LUA_LOADLIBNAME, luaopen_package},
                           {LUA_TABLIBNAME, luaopen_table},
                           {LUA_STRLIBNAME, luaopen_string},
                           {LUA_MATHLIBNAME, luaopen_math},
                           {LUA_DBLIBNAME, luaopen_debug},
                           {"node", luaopen_node},
                           {"tmr", luaopen_tmr},
                           {"wifi", luaopen_wifi},
                           {"net", luaopen_net},
                           {"tls", luaopen_tls},
                           {"mqtt", luaopen_mqtt},
                           {"file", luaopen_file},
                           {"sjson", luaopen_sjson}};
  for (const luaL_Reg& l : libs) {
    lua_pushcfunction(L, l.func);
    lua_pushstring(L, l.name);
    lua_call(L, 1, 0);
  }
  lua_register(L, "print", l_print);
  lua_register(L, "loadfile", l_loadfile);
  lua_register(L, "dofile", l_dofile);
  // package.loaders: the preload table, then the device's files (no host paths, no C modules).
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaders");
  lua_rawgeti(L, -1, 1);
  lua_newtable(L);
  lua_insert(L, -2);
  lua_rawseti(L, -2, 1);
  lua_pushcfunction(L, device_searcher);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, -3, "loaders");
  lua_pop(L, 1);
  lua_pushliteral(L, "?.lua");  // what the searcher looks for
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
}

// The startup: init.lua from the device's files in protected mode, as NodeMCU's interpreter does
// (an error is printed with "lua: " and the interpreter goes on).
int run_init(lua_State* L) {
  if (load_device_file(L, "init.lua") != 0) {
    lua_pushfstring(L, "lua: %s\n", lua_tostring(L, -1));
    uart(lua_tostring(L, -1));
    return 0;
  }
  lua_getglobal(L, "debug");
  lua_getfield(L, -1, "traceback");
  lua_remove(L, -2);
  lua_insert(L, -2);
  if (lua_pcall(L, 0, 0, -2) != 0) {
    uart("lua: ");
    uart(lua_tostring(L, -1));
    uart("\n");
  }
  return 0;
}

}  // namespace

LuaChargeStats nodemcu_lua_charge_stats() {
  LuaChargeStats s;
  s.heap_requests = g_heap_requests.load(std::memory_order_relaxed);
  s.host_sized = g_host_sized.load(std::memory_order_relaxed);
  s.last_host_sized_site = g_host_sized_site.load(std::memory_order_relaxed);
  s.last_host_sized_bytes = g_host_sized_bytes.load(std::memory_order_relaxed);
  return s;
}

void nodemcu_lua_charge_stats_reset() {
  g_heap_requests = 0;
  g_host_sized = 0;
  g_host_sized_site = nullptr;
  g_host_sized_bytes = 0;
}

// --- luaL_pcallx and its posted report ----------------------------------------------------------

namespace {

using nodemcu_ud::Posted;

int run_posted(lua_State* L) {
  auto* t = static_cast<Posted*>(lua_touserdata(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->fn_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, t->fn_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, t->self_ref);
  lua_call(L, 0, 0);
  return 0;
}

void fire_posted(void* arg) {
  auto* t = static_cast<Posted*>(arg);
  lua_State* L = t->L;
  lua_pushcfunction(L, run_posted);
  lua_pushlightuserdata(L, t);
  if (lua_pcall(L, 1, 0, 0) != 0) lua_pop(L, 1);
}

// Post the function on the stack's top (popped) as a task of its own.
void post_task(lua_State* L) {
  auto* t = NODEMCU_NEW_USERDATA(L, Posted);
  t->L = L;
  t->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  t->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  esp_platform()->timer_arm(t, fire_posted, 0, false);
}

// The reporter, with the message as its upvalue: the onerror handler, or print.
int report_error(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kOnErrorKey);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    lua_getglobal(L, "print");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_call(L, 1, 0);
  return 0;
}

// The error handler: debug.traceback(message, 2), reported from a posted task.
int on_error(lua_State* L) {
  lua_getglobal(L, "debug");
  lua_getfield(L, -1, "traceback");
  if (lua_isfunction(L, -1)) {
    lua_insert(L, 1);
    lua_pop(L, 1);
    lua_pushinteger(L, 2);
    lua_call(L, 2, 1);
    lua_pushcclosure(L, report_error, 1);
    post_task(L);
  }
  return 0;
}

void restart_now(void*) { ESP.restart(); }

// The report of a failure that left no memory to report it with: made at boot (a closure of
// report_error with "out of memory", and the record of its task), posted without allocating.
using nodemcu_ud::OomReport;
void fire_oom(void* arg) {
  auto* r = static_cast<OomReport*>(arg);
  r->pending = false;
  lua_getfield(r->L, LUA_REGISTRYINDEX, kOomReportKey);
  if (lua_pcall(r->L, 0, 0, 0) != 0) lua_pop(r->L, 1);
}
int collect(lua_State* L) {
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
void post_oom(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kOomTaskKey);
  auto* r = static_cast<OomReport*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (r && !r->pending) {
    r->pending = true;
    esp_platform()->timer_arm(r, fire_oom, 0, false);
  }
}

}  // namespace

namespace {
constexpr const char* kFirmwareStateKey = "firmware";
}

void firmware_state_init(lua_State* L, FirmwareState* fs) {
  lua_pushlightuserdata(L, fs);
  lua_setfield(L, LUA_REGISTRYINDEX, kFirmwareStateKey);
}

FirmwareState* firmware_state(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kFirmwareStateKey);
  auto* fs = static_cast<FirmwareState*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return fs;
}

void nodemcu_unref(lua_State* L, int* ref) {
  if (*ref != LUA_NOREF && *ref != LUA_REFNIL) luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  *ref = LUA_NOREF;
}

void nodemcu_event_call(lua_State* L, int fn_ref, int self_ref, int nargs) {
  if (fn_ref == LUA_NOREF || self_ref == LUA_NOREF) {
    lua_pop(L, nargs);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, fn_ref);
  lua_insert(L, -nargs - 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, self_ref);
  lua_insert(L, -nargs - 1);
  lua_call(L, nargs + 1, 0);
}

int nodemcu_pcallx(lua_State* L, int narg, int nres) {
  const int base = lua_gettop(L) - narg;
  // The handler made at boot (NodeMCU's is a light function: pushing it allocates nothing).
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  lua_insert(L, base);
  const int status = lua_pcall(L, narg, nres, base);
  lua_remove(L, base);
  if (status != 0) lua_pop(L, 1);  // the error object (reported by the handler's task)
  if (status != 0 && status != LUA_ERRRUN) {
    // A full collection (protected here: shrinking the string table can itself fail), then
    // "out of memory" to the onerror handler.
    if (lua_cpcall(L, collect, nullptr) != 0) lua_pop(L, 1);
    post_oom(L);
  }
  return status;
}

int nodemcu_default_onerror(lua_State* L) {
  lua_settop(L, 1);
  lua_getglobal(L, "print");
  lua_insert(L, 1);
  lua_pcall(L, 1, 0, 0);
  // The first time through, a restart in 2 s (node.c's DELAY2SEC), on a timer that needs no
  // memory (NodeMCU's is static; here the state's address is its identity, and the flag's
  // registry entry exists from boot), so it comes even when the heap is exhausted.
  lua_getfield(L, LUA_REGISTRYINDEX, kRestartArmedKey);
  if (!lua_toboolean(L, -1)) {
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, kRestartArmedKey);
    esp_platform()->timer_arm(L, restart_now, 2000, false);
  }
  return 0;
}

void nodemcu_main() {
  Serial.begin(115200);
  uart(
      "\nNodeMCU (espfleet) powered by Lua 5.1 on the device platform\n\tmodules: "
      "file,mqtt,net,node,sjson,tls,tmr,wifi\n");
  // On this cont: the device's own, for as long as the state lives. The read-only region holds
  // the flash page tls.cert.verify uses, then what the state makes at boot.
  AllocPhase phase;
  FirmwareState fs;
  auto* rom = static_cast<uint8_t*>(esp_platform()->program_rom(kRomBytes + 2 * kCertPageBytes));
  if (!rom) {
    uart("PANIC: no program memory\n");
    for (;;) delayMicroseconds(1000);
  }
  fs.cert_page = reinterpret_cast<char*>(rom);
  fs.auth_page = reinterpret_cast<char*>(rom + kCertPageBytes);
  phase.rom = rom + 2 * kCertPageBytes;
  phase.rom_bytes = kRomBytes;
  lua_State* L = lua_newstate(device_alloc, &phase);
  if (!L) {
    uart("PANIC: not enough memory for the Lua state\n");
    for (;;) delayMicroseconds(1000);
  }
  lua_atpanic(L, panic);
  firmware_state_init(L, &fs);
  open_libs(L);
  lua_pushcfunction(L, nodemcu_default_onerror);
  lua_setfield(L, LUA_REGISTRYINDEX, kOnErrorKey);
  lua_pushboolean(L, 0);
  lua_setfield(L, LUA_REGISTRYINDEX, kRestartArmedKey);
  lua_pushcfunction(L, on_error);
  lua_setfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  lua_pushliteral(L, "out of memory");
  lua_pushcclosure(L, report_error, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, kOomReportKey);
  auto* oom = NODEMCU_NEW_USERDATA(L, OomReport);
  *oom = OomReport{L, false};
  lua_setfield(L, LUA_REGISTRYINDEX, kOomTaskKey);
  lua_gc(L, LUA_GCCOLLECT, 0);
  phase.booted = true;  // what the script makes from here on is RAM
  lua_pushcfunction(L, run_init);
  lua_call(L, 0, 0);
  uart("> ");
  // Everything else happens in callbacks: the SDK's timers and the network's events.
  events_run(L);
}
