// nodemcu/lua_net.cpp — NodeMCU's TCP client sockets: `net.createConnection()` (net.tcpsocket) and
// `tls.createConnection()` (tls.socket), with on("connection" | "reconnection" | "disconnection" |
// "receive" | "sent"), connect(port, host), send(data[, fn]), close(), getpeer(), hold/unhold. A
// socket connects from the event loop after connect() returns, as lwIP's callbacks come after the
// call; every callback is a plain lua_call, as net.c and tls.c make them (an error in one is
// NodeMCU's panic). The tls module's own functions (cert.verify, cert.auth) are lua_tls.cpp's.
// From NodeMCU's docs/modules/net.md, tls.md and app/modules/net.c, tls.c.
#include <string.h>

#include <initializer_list>

#include "events.h"
#include "lua_modules.h"
#include "lua_udata.h"
#include "net_conn.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

using nodemcu_ud::SockState, nodemcu_ud::Socket;

constexpr const char* kNetMeta = "net.tcpsocket";
constexpr const char* kTlsMeta = "tls.socket";
constexpr size_t kSegment = 1460;  // what one callback delivers at most: lwIP's TCP_MSS
constexpr int kErrRte = -4;        // lwIP's ERR_RTE: no route (the station is down)
constexpr int kErrRst = -14;       // ERR_RST: refused, or no answer

Socket* check(lua_State* L) {
  void* p = lua_touserdata(L, 1);
  if (p && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, kNetMeta);
    luaL_getmetatable(L, kTlsMeta);
    const bool ok = lua_rawequal(L, -1, -3) || lua_rawequal(L, -2, -3);
    lua_pop(L, 3);
    if (ok) return static_cast<Socket*>(p);
  }
  luaL_typerror(L, 1, "socket");
  return nullptr;
}

// The callback `ref` with the socket and `nargs` values already pushed on the stack's top.
void call(Socket* s, int ref, int nargs) { nodemcu_event_call(s->L, ref, s->self_ref, nargs); }

// The socket is done with its connection: off the loop, its self-reference dropped.
void finish(Socket* s) {
  s->conn.close();
  s->state = SockState::idle;
  s->sent_due = false;
  events_unwatch(s->L, &s->poll);
  nodemcu_unref(s->L, &s->self_ref);
}

bool ready(Pollable* p) {
  auto* s = reinterpret_cast<Socket*>(p);
  if (s->state == SockState::connecting || s->sent_due) return true;
  return s->state == SockState::open && (s->conn.available() > 0 || !s->conn.connected());
}

void dispatch(lua_State* L, Pollable* p) {
  auto* s = reinterpret_cast<Socket*>(p);
  if (s->state == SockState::connecting) {
    int tls_error = 0;
    const bool station = station_up();
    TlsConfig tls;
    const int pushed = station && s->secure ? tls_config_push(L, &tls) : 0;
    const ConnError e =
        station ? s->conn.open(s->host, s->port, s->secure ? &tls : nullptr, &tls_error) : ConnError::connect;
    lua_pop(L, pushed);
    if (e != ConnError::none) {
      const int ref = s->cb_reconnection != LUA_NOREF ? s->cb_reconnection : s->cb_disconnection;
      const int keep = s->self_ref;
      s->self_ref = LUA_NOREF;
      finish(s);
      s->self_ref = keep;
      if (s->secure)
        lua_pushstring(L, e == ConnError::tls ? "SSL handshake failed" : "Connection reset");
      else
        lua_pushinteger(L, station ? kErrRst : kErrRte);
      call(s, ref, 1);
      nodemcu_unref(L, &s->self_ref);
      return;
    }
    s->state = SockState::open;
    call(s, s->cb_connection, 0);
    return;
  }
  if (s->sent_due) {
    s->sent_due = false;
    call(s, s->cb_sent, 0);
    return;
  }
  if (s->conn.available() > 0) {
    uint8_t buf[kSegment];
    const int n = s->conn.read(buf, sizeof buf);
    if (n > 0) {
      lua_pushlstring(L, reinterpret_cast<const char*>(buf), size_t(n));
      call(s, s->cb_receive, 1);
    }
    return;
  }
  // The peer closed, or the link broke.
  const int keep = s->self_ref;
  s->self_ref = LUA_NOREF;
  finish(s);
  s->self_ref = keep;
  if (s->secure) {
    call(s, s->cb_disconnection, 0);
  } else {
    lua_pushinteger(L, 0);
    call(s, s->cb_disconnection, 1);
  }
  nodemcu_unref(L, &s->self_ref);
}

int create(lua_State* L, bool secure) {
  auto* s = NODEMCU_NEW_USERDATA(L, Socket);
  *s = Socket{};
  s->poll.ready = ready;
  s->poll.dispatch = dispatch;
  s->L = L;
  s->secure = secure;
  s->state = SockState::idle;
  s->self_ref = s->cb_connection = s->cb_reconnection = s->cb_disconnection = s->cb_receive = s->cb_sent = LUA_NOREF;
  luaL_getmetatable(L, secure ? kTlsMeta : kNetMeta);
  lua_setmetatable(L, -2);
  return 1;
}

int net_create_connection(lua_State* L) { return create(L, false); }

int s_on(lua_State* L) {
  Socket* s = check(L);
  const char* ev = luaL_checkstring(L, 2);
  int* ref = !strcmp(ev, "connection")      ? &s->cb_connection
             : !strcmp(ev, "reconnection")  ? &s->cb_reconnection
             : !strcmp(ev, "disconnection") ? &s->cb_disconnection
             : !strcmp(ev, "receive")       ? &s->cb_receive
             : !strcmp(ev, "sent")          ? &s->cb_sent
                                            : nullptr;
  if (!ref) return luaL_error(L, "invalid callback name");
  nodemcu_unref(L, ref);
  if (lua_isfunction(L, 3)) {
    lua_pushvalue(L, 3);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

// connect(port, host): the connection is made from the event loop, after this returns.
int s_connect(lua_State* L) {
  Socket* s = check(L);
  if (s->state != SockState::idle) return luaL_error(L, "already connected");
  const lua_Integer port = luaL_checkinteger(L, 2);
  size_t n = 0;
  const char* host = luaL_checklstring(L, 3, &n);
  luaL_argcheck(L, port > 0 && port < 65536, 2, "invalid port");
  luaL_argcheck(L, n > 0 && n < sizeof s->host, 3, "invalid domain");
  memcpy(s->host, host, n + 1);
  s->port = uint16_t(port);
  s->state = SockState::connecting;
  lua_pushvalue(L, 1);
  s->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  events_watch(L, &s->poll);
  return 0;
}

int s_send(lua_State* L) {
  Socket* s = check(L);
  size_t n = 0;
  const char* data = luaL_checklstring(L, 2, &n);
  if (s->state != SockState::open) return luaL_error(L, "not connected");
  if (lua_isfunction(L, 3)) {
    lua_pushvalue(L, 3);
    nodemcu_unref(L, &s->cb_sent);
    s->cb_sent = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  s->conn.write(reinterpret_cast<const uint8_t*>(data), n);
  s->sent_due = true;
  return 0;
}

int s_close(lua_State* L) {
  Socket* s = check(L);
  if (s->state != SockState::idle) finish(s);
  return 0;
}

int s_gc(lua_State* L) {
  Socket* s = check(L);
  s->conn.close();
  events_unwatch(L, &s->poll);
  for (int* ref : {&s->cb_connection, &s->cb_reconnection, &s->cb_disconnection, &s->cb_receive, &s->cb_sent})
    nodemcu_unref(L, ref);
  return 0;
}

int s_getpeer(lua_State* L) {
  Socket* s = check(L);
  if (s->state != SockState::open) {
    lua_pushnil(L);
    lua_pushnil(L);
    return 2;
  }
  const uint32_t ip = s->conn.peer_ip();
  lua_pushfstring(L, "%d.%d.%d.%d", int(ip & 0xFF), int((ip >> 8) & 0xFF), int((ip >> 16) & 0xFF), int(ip >> 24));
  lua_pushinteger(L, s->conn.peer_port());
  return 2;
}

int s_nothing(lua_State* L) {
  check(L);
  return 0;
}

void socket_metatable(lua_State* L, const char* name) {
  const luaL_Reg methods[] = {{"on", s_on},          {"connect", s_connect}, {"send", s_send},
                              {"close", s_close},    {"getpeer", s_getpeer}, {"hold", s_nothing},
                              {"unhold", s_nothing}, {"__gc", s_gc},         {nullptr, nullptr}};
  luaL_newmetatable(L, name);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  luaL_register(L, nullptr, methods);
  lua_pop(L, 1);
}

}  // namespace

int tls_create_connection(lua_State* L) { return create(L, true); }

int luaopen_net(lua_State* L) {
  socket_metatable(L, kNetMeta);
  socket_metatable(L, kTlsMeta);
  const luaL_Reg fns[] = {{"createConnection", net_create_connection}, {nullptr, nullptr}};
  luaL_register(L, "net", fns);
  lua_pushinteger(L, 1);
  lua_setfield(L, -2, "TCP");
  lua_pushinteger(L, 2);
  lua_setfield(L, -2, "UDP");
  return 1;
}
