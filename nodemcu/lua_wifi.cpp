// nodemcu/lua_wifi.cpp — NodeMCU's `wifi` module, the station a networked script uses: setmode /
// getmode, sta.config (ssid, pwd, auto, and the connected_cb / disconnected_cb / got_ip_cb
// callbacks), sta.connect / disconnect, sta.status, sta.getip, sta.getrssi, sta.gethostname, and
// wifi.eventmon (register / unregister for STA_CONNECTED, STA_DISCONNECTED, STA_GOT_IP). The
// station is the device's (the platform's wifi_begin: any SSID and password join one to three
// seconds later; the scenario's Wi-Fi drops take it away). The SDK reports the station's changes
// as events; here a system timer watches it (every 100 ms while joining, each second once up) and
// runs the callbacks, through luaL_pcallx. From NodeMCU's docs/modules/wifi.md and
// app/modules/wifi.c, wifi_eventmon.c.
#include <Arduino.h>
#include <string.h>

#include <initializer_list>

#include "events.h"
#include "lua_modules.h"
#include "lua_udata.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

using nodemcu_ud::kEvConnected, nodemcu_ud::kEvDisconnected, nodemcu_ud::kEvGotIp, nodemcu_ud::kEvCount;
using nodemcu_ud::Station;

// wifi.sta.status() values (the SDK's station_status_t).
constexpr int kStaIdle = 0, kStaConnecting = 1, kStaGotIp = 5;
// wifi.eventmon events, and the config table's callback names for them.
constexpr const char* kConfigCb[kEvCount] = {"connected_cb", "disconnected_cb", "authmode_change_cb", "got_ip_cb",
                                             "dhcp_timeout_cb"};
constexpr uint8_t kWlConnected = 3;            // the platform's wl_status_t (the core's WL_CONNECTED)
constexpr uint8_t kReasonBeaconTimeout = 200;  // the SDK's REASON_BEACON_TIMEOUT, for a drop
// The station's network: 10.0.0.0/8 (the platform's addresses), its gateway 10.0.0.1.
constexpr uint32_t kGateway = 10u | (1u << 24);

constexpr const char* kStationKey = "wifi.station";

Station* station(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kStationKey);
  auto* s = static_cast<Station*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return s;
}

void dotted(char* out, size_t cap, uint32_t ip) {
  snprintf(out, cap, "%u.%u.%u.%u", ip & 0xFF, (ip >> 8) & 0xFF, (ip >> 16) & 0xFF, ip >> 24);
}

// The event's table, as wifi_eventmon.c fills it.
void push_event_table(lua_State* L, const Station* s, int ev) {
  lua_createtable(L, 0, 3);
  if (ev == kEvGotIp) {
    char ip[16], gw[16];
    const uint32_t a = esp_platform()->wifi_ip();
    dotted(ip, sizeof ip, a);
    dotted(gw, sizeof gw, kGateway);
    lua_pushstring(L, ip);
    lua_setfield(L, -2, "IP");
    lua_pushliteral(L, "255.0.0.0");
    lua_setfield(L, -2, "netmask");
    lua_pushstring(L, gw);
    lua_setfield(L, -2, "gateway");
    return;
  }
  lua_pushstring(L, s->ssid);
  lua_setfield(L, -2, "SSID");
  lua_pushliteral(L, "02:00:00:00:00:01");
  lua_setfield(L, -2, "BSSID");
  if (ev == kEvConnected) {
    lua_pushinteger(L, 1);
    lua_setfield(L, -2, "channel");
  } else {
    lua_pushinteger(L, kReasonBeaconTimeout);
    lua_setfield(L, -2, "reason");
  }
}

void emit(Station* s, int ev) {
  lua_State* L = s->L;
  for (int ref : {s->config_cb[ev], s->eventmon[ev]}) {
    if (ref == LUA_NOREF) continue;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    push_event_table(L, s, ev);
    nodemcu_pcallx(L, 1, 0);
  }
}

void watch(void* arg);
void arm_watch(Station* s) { esp_platform()->timer_arm(s, watch, s->up ? 1000 : 100, true); }

// The system's view of the station, each tick: a join completed, or the link went.
void watch(void* arg) {
  auto* s = static_cast<Station*>(arg);
  const bool now_up = station_up();
  if (now_up == s->up) return;
  s->up = now_up;
  s->joining = !now_up;  // a dropped station joins again by itself
  arm_watch(s);
  if (now_up) {
    emit(s, kEvConnected);
    emit(s, kEvGotIp);
  } else {
    emit(s, kEvDisconnected);
  }
}

void join(Station* s) {
  esp_platform()->wifi_begin();
  if (s->joining || s->up) return;
  s->joining = true;
  arm_watch(s);
}

int wifi_setmode(lua_State* L) {
  Station* s = station(L);
  const lua_Integer mode = luaL_checkinteger(L, 1);
  luaL_argcheck(L, mode >= 0 && mode <= 3, 1, "Invalid mode");
  s->mode = int(mode);
  lua_pushinteger(L, s->mode);
  return 1;
}

int wifi_getmode(lua_State* L) {
  lua_pushinteger(L, station(L)->mode);
  return 1;
}

void take_cb(lua_State* L, int* ref, int index, const char* name) {
  lua_getfield(L, index, name);
  if (lua_isfunction(L, -1)) {
    nodemcu_unref(L, ref);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
}

int sta_config(lua_State* L) {
  Station* s = station(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "ssid");
  size_t n = 0;
  const char* ssid = luaL_checklstring(L, -1, &n);
  luaL_argcheck(L, n <= 32, 1, "ssid: length:0-32");
  memcpy(s->ssid, ssid, n);
  s->ssid[n] = 0;
  lua_pop(L, 1);
  lua_getfield(L, 1, "pwd");
  if (!lua_isnil(L, -1)) {
    size_t pn = 0;
    luaL_checklstring(L, -1, &pn);
    luaL_argcheck(L, pn == 0 || (pn >= 8 && pn <= 64), 1, "pwd: length:0 or 8-64");
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "auto");
  const bool autoconnect = lua_isnil(L, -1) || lua_toboolean(L, -1);
  lua_pop(L, 1);
  for (int ev = 0; ev < kEvCount; ++ev) take_cb(L, &s->config_cb[ev], 1, kConfigCb[ev]);
  if (autoconnect) join(s);
  lua_pushboolean(L, 1);
  return 1;
}

int sta_connect(lua_State* L) {
  Station* s = station(L);
  if (lua_isfunction(L, 1)) {
    lua_pushvalue(L, 1);
    nodemcu_unref(L, &s->config_cb[kEvConnected]);
    s->config_cb[kEvConnected] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  join(s);
  return 0;
}

int sta_disconnect(lua_State* L) {
  Station* s = station(L);
  esp_platform()->wifi_disconnect();
  esp_platform()->timer_disarm(s);
  const bool was_up = s->up;
  s->up = s->joining = false;
  if (was_up) emit(s, kEvDisconnected);
  return 0;
}

int sta_status(lua_State* L) {
  Station* s = station(L);
  const bool up = station_up();
  lua_pushinteger(L, up ? kStaGotIp : s->joining ? kStaConnecting : kStaIdle);
  return 1;
}

int sta_getip(lua_State* L) {
  const uint32_t a = esp_platform()->wifi_ip();
  if (!a) {
    lua_pushnil(L);
    return 1;
  }
  char ip[16], gw[16];
  dotted(ip, sizeof ip, a);
  dotted(gw, sizeof gw, kGateway);
  lua_pushstring(L, ip);
  lua_pushliteral(L, "255.0.0.0");
  lua_pushstring(L, gw);
  return 3;
}

int sta_getrssi(lua_State* L) {
  if (!station_up()) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, esp_platform()->wifi_rssi());
  return 1;
}

int sta_gethostname(lua_State* L) {
  char name[16];
  snprintf(name, sizeof name, "NODE-%06X", unsigned(esp_platform()->chip_id() & 0xFFFFFF));
  lua_pushstring(L, name);
  return 1;
}

int eventmon_register(lua_State* L) {
  Station* s = station(L);
  const lua_Integer ev = luaL_checkinteger(L, 1);
  luaL_argcheck(L, ev >= 0 && ev < kEvCount, 1, "valid wifi events:0-4");
  nodemcu_unref(L, &s->eventmon[ev]);
  if (lua_isfunction(L, 2)) {
    lua_pushvalue(L, 2);
    s->eventmon[ev] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

int eventmon_unregister(lua_State* L) {
  lua_settop(L, 1);
  return eventmon_register(L);
}

void set_int(lua_State* L, const char* name, int v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, name);
}

}  // namespace

bool station_up() { return esp_platform()->wifi_status() == kWlConnected; }

int luaopen_wifi(lua_State* L) {
  auto* s = NODEMCU_NEW_USERDATA(L, Station);
  *s = Station{};
  s->L = L;
  lua_setfield(L, LUA_REGISTRYINDEX, kStationKey);
  const luaL_Reg fns[] = {{"setmode", wifi_setmode}, {"getmode", wifi_getmode}, {nullptr, nullptr}};
  luaL_register(L, "wifi", fns);
  set_int(L, "NULLMODE", 0);
  set_int(L, "STATION", 1);
  set_int(L, "SOFTAP", 2);
  set_int(L, "STATIONAP", 3);
  set_int(L, "STA_IDLE", kStaIdle);
  set_int(L, "STA_CONNECTING", kStaConnecting);
  set_int(L, "STA_WRONGPWD", 2);
  set_int(L, "STA_APNOTFOUND", 3);
  set_int(L, "STA_FAIL", 4);
  set_int(L, "STA_GOTIP", kStaGotIp);
  const luaL_Reg sta[] = {{"config", sta_config},           {"connect", sta_connect}, {"disconnect", sta_disconnect},
                          {"status", sta_status},           {"getip", sta_getip},     {"getrssi", sta_getrssi},
                          {"gethostname", sta_gethostname}, {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, sta);
  lua_setfield(L, -2, "sta");
  const luaL_Reg mon[] = {{"register", eventmon_register}, {"unregister", eventmon_unregister}, {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, mon);
  set_int(L, "STA_CONNECTED", kEvConnected);
  set_int(L, "STA_DISCONNECTED", kEvDisconnected);
  set_int(L, "STA_AUTHMODE_CHANGE", 2);
  set_int(L, "STA_GOT_IP", kEvGotIp);
  set_int(L, "STA_DHCP_TIMEOUT", 4);
  lua_setfield(L, -2, "eventmon");
  return 1;
}
