// nodemcu/lua_udata.h — the firmware's structs that live in Lua userdata (a tmr timer, a file
// object, the Wi-Fi station, a net/tls socket, an MQTT client, a posted task, the OOM report), in
// a header of their own so that tools/target-sizes can cross-compile them for the chip: each is
// made with NODEMCU_NEW_USERDATA (lua_modules.h), which charges its Udata the struct's lx106
// sizeof (build/generated/udata_sizes.h; docs/nodemcu.md, "Sizes"). They model NodeMCU's own
// structs (app/modules/tmr.c, file.c, net.c, mqtt.c), with this firmware's members.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <FS.h>

#include "events.h"
#include "mqtt_codec.h"
#include "net_conn.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace nodemcu_ud {

// tmr.create()'s timer (lua_tmr.cpp).
struct Timer {
  lua_State* L;
  int fn_ref;    // the callback
  int self_ref;  // this userdata, while it may fire
  uint32_t interval;
  uint8_t mode;
};

// file.open()'s object (lua_file.cpp).
struct FileUd {
  fs::File f;
  bool writing;
};

// The Wi-Fi station's state (lua_wifi.cpp): its event monitor's and wifi.sta.config's callbacks.
constexpr int kEvConnected = 0, kEvDisconnected = 1, kEvGotIp = 3, kEvCount = 5;
struct Station {
  lua_State* L = nullptr;
  int mode = 1;  // wifi.STATION
  char ssid[33] = {0};
  bool joining = false, up = false;
  int eventmon[kEvCount] = {LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF};
  int config_cb[kEvCount] = {LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF};
};

// net.createConnection() / tls.createConnection()'s socket (lua_net.cpp).
enum class SockState : uint8_t { idle, connecting, open };
struct Socket {
  Pollable poll;  // first: the loop's handle is the socket
  NetConn conn;
  lua_State* L;
  bool secure;
  bool sent_due;  // a send() whose "sent" callback has not run yet
  SockState state;
  uint16_t port;
  int self_ref;  // while connecting or connected
  int cb_connection, cb_reconnection, cb_disconnection, cb_receive, cb_sent;
  char host[64];
};

// mqtt.Client()'s client (lua_mqtt.cpp): its callbacks by event.
enum Cb { kConnect, kConnfail, kOffline, kMessage, kOverflow, kPuback, kSuback, kUnsuback, kCbCount };
enum class State : uint8_t { init, connecting, connect_sent, data };
struct Client {
  Pollable poll;  // first: the loop's handle is the client
  NetConn conn;
  lua_State* L;
  State state;
  bool secure, clean, will_retain, keepalive_sent, puback_due, offline_due;
  uint8_t will_qos;
  uint16_t keepalive, port, next_id, max_message;
  int self_ref;
  int cb[kCbCount];
  int client_id_ref, user_ref, pass_ref, will_topic_ref, will_message_ref;
  // A packet split across segments: its bytes so far (a heap block of its full size), or its
  // fixed header while that is still incomplete; or how much of an oversized one is left to skip.
  uint8_t* rx;
  uint32_t rx_have, rx_need, skip_left;
  uint8_t hdr[kMqttMaxFixedHeader];
  uint8_t hdr_have;
  char timer_key;  // the system timer's identity (mqttTimer)
  char host[64];
};

// A posted task (nodemcu_main.cpp): a 0 ms timer whose argument is this record, a userdata
// anchored in the registry.
struct Posted {
  lua_State* L;
  int fn_ref;    // the closure to call
  int self_ref;  // this userdata
};

// The record of the out-of-memory report's task, made at boot (nodemcu_main.cpp).
struct OomReport {
  lua_State* L;
  bool pending;
};

}  // namespace nodemcu_ud
