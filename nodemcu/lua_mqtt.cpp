// nodemcu/lua_mqtt.cpp — NodeMCU's `mqtt` module: mqtt.Client(clientid, keepalive[, user, pass,
// cleansession, max_message_length]) and its connect(host[, port[, secure]][, cb[, failcb]]),
// close, lwt, on("connect" | "connfail" | "offline" | "message" | "overflow" | "puback" | "suback" |
// "unsuback"), publish, subscribe, unsubscribe. As mqtt.c does it: the connection is made from the
// event loop after connect() returns; CONNECT is sent as soon as the socket is up and the CONNACK
// must come within 5 s (MQTT_SEND_TIMEOUT); a failure calls the failure callback with NodeMCU's
// reason code and nothing else (a TLS handshake that fails is CONN_FAIL_SERVER_NOT_FOUND, as the
// SDK's reconnect callback makes it); once connected, a PINGREQ goes out after `keepalive` s
// without traffic, and a second one unanswered ends the connection; a lost connection calls
// "offline" and there is no reconnecting but the script's own. Every callback is a plain
// lua_call, as mqtt.c's (an error in one is NodeMCU's panic). A message split across TCP segments
// is assembled in one heap block of its full size, allocated when its header arrives; one larger
// than max_message_length goes, truncated, to "overflow". Packets are the built-in firmware's MQTT
// codec's (core/mqtt_codec.h). From NodeMCU's docs/modules/mqtt.md and app/modules/mqtt.c.
#include <string.h>

#include <initializer_list>

#include "events.h"
#include "lua_modules.h"
#include "lua_udata.h"
#include "mqtt_codec.h"
#include "net_conn.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

using nodemcu_ud::Client, nodemcu_ud::State;
using enum nodemcu_ud::Cb;

constexpr const char* kMeta = "mqtt.socket";
constexpr uint32_t kSendTimeoutMs = 5000;  // MQTT_SEND_TIMEOUT
constexpr uint16_t kDefaultKeepalive = 60;
constexpr uint16_t kDefaultMaxMessage = 1024;
constexpr size_t kSegment = 1460;  // lwIP's TCP_MSS: what one receive callback delivers at most
constexpr size_t kBufSize = 1024;  // MQTT_BUF_SIZE: the stack buffer a control packet is built in

// Failure reasons (mqtt.CONN_FAIL_*; 1..5 are the CONNACK's return codes).
constexpr int kFailServerNotFound = -5, kFailNotConnack = -4, kFailDns = -3, kFailTimeoutReceiving = -2;

constexpr const char* kCbNames[kCbCount] = {"connect",  "connfail", "offline", "message",
                                            "overflow", "puback",   "suback",  "unsuback"};

Client* check(lua_State* L) { return static_cast<Client*>(luaL_checkudata(L, 1, kMeta)); }

// Callback `which` with the client and `nargs` values already on the stack's top (popped).
void call(Client* c, int which, int nargs) { nodemcu_event_call(c->L, c->cb[which], c->self_ref, nargs); }

void timer_fired(void* arg);
Client* client_of_timer(void* key) {
  return reinterpret_cast<Client*>(static_cast<char*>(key) - offsetof(Client, timer_key));
}
void arm(Client* c, uint32_t ms) { esp_platform()->timer_arm(&c->timer_key, timer_fired, ms, false); }
void disarm(Client* c) { esp_platform()->timer_disarm(&c->timer_key); }

void drop_rx(Client* c) {
  if (c->rx) esp_platform()->heap_free(c->rx, "mqtt", 0);
  c->rx = nullptr;
  c->rx_have = c->rx_need = c->skip_left = 0;
  c->hdr_have = 0;
}

// The connection is gone (the peer, the link, close() or a failure): "offline" if it had been up.
void disconnected(Client* c) {
  disarm(c);
  drop_rx(c);
  c->conn.close();
  events_unwatch(c->L, &c->poll);
  const bool was_up = c->state == State::data;
  c->state = State::init;
  c->keepalive_sent = c->puback_due = c->offline_due = false;
  if (was_up) call(c, kOffline, 0);
  nodemcu_unref(c->L, &c->self_ref);
}

// A connect that did not succeed: the failure callback and nothing else.
void connect_failed(Client* c, int reason) {
  const int keep = c->self_ref;
  c->self_ref = LUA_NOREF;
  disconnected(c);
  c->self_ref = keep;
  lua_pushinteger(c->L, reason);
  call(c, kConnfail, 1);
  nodemcu_unref(c->L, &c->self_ref);
}

bool send(Client* c, const uint8_t* buf, size_t len) {
  if (c->conn.write(buf, len) != len) return false;
  if (c->state == State::data) arm(c, uint32_t(c->keepalive) * 1000u);  // the keepalive counts from here
  return true;
}

uint16_t next_id(Client* c) {
  if (++c->next_id == 0) ++c->next_id;
  return c->next_id;
}

const char* ref_string(lua_State* L, int ref) {
  if (ref == LUA_NOREF) return nullptr;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  const char* s = lua_tostring(L, -1);
  lua_pop(L, 1);  // the registry keeps the string
  return s;
}

void send_connect(Client* c) {
  lua_State* L = c->L;
  MqttConnectOptions o{};
  o.client_id = ref_string(L, c->client_id_ref);
  o.user = ref_string(L, c->user_ref);
  o.pass = o.user ? ref_string(L, c->pass_ref) : nullptr;
  o.will_topic = ref_string(L, c->will_topic_ref);
  size_t will_len = 0;
  if (o.will_topic) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->will_message_ref);
    o.will_message = reinterpret_cast<const uint8_t*>(lua_tolstring(L, -1, &will_len));
    lua_pop(L, 1);
  }
  o.will_message_len = uint16_t(will_len);
  o.will_qos = c->will_qos;
  o.will_retain = c->will_retain;
  o.clean_session = c->clean;
  o.keepalive_s = c->keepalive;
  uint8_t buf[kBufSize];
  const int n = mqtt_encode_connect(buf, sizeof buf, &o);
  if (n <= 0 || !send(c, buf, size_t(n))) {
    connect_failed(c, -1);  // CONN_FAIL_TIMEOUT_SENDING: it could not go out
    return;
  }
  c->state = State::connect_sent;
  arm(c, kSendTimeoutMs);
}

void timer_fired(void* key) {
  Client* c = client_of_timer(key);
  if (c->state == State::connect_sent) {
    connect_failed(c, kFailTimeoutReceiving);
  } else if (c->state == State::data) {
    if (c->keepalive_sent) {  // the last PINGREQ was not answered
      disconnected(c);
      return;
    }
    uint8_t buf[2];
    const int n = mqtt_encode_pingreq(buf, sizeof buf);
    c->keepalive_sent = true;
    send(c, buf, size_t(n));
  }
}

void ack(Client* c, uint8_t type, uint16_t id) {
  uint8_t buf[4] = {uint8_t(type << 4 | (type == MQTT_PKT_PUBREL ? 2 : 0)), 2, uint8_t(id >> 8), uint8_t(id)};
  send(c, buf, sizeof buf);
}

// One whole packet. false: the connection was ended here.
bool handle(Client* c, const uint8_t* pkt, size_t len) {
  lua_State* L = c->L;
  const uint8_t type = pkt[0] >> 4;
  if (c->state == State::connect_sent) {
    MqttConnack ca{};
    if (type != MQTT_PKT_CONNACK || mqtt_decode_connack(pkt, len, &ca) != MQTT_OK) {
      connect_failed(c, kFailNotConnack);
      return false;
    }
    if (ca.return_code != 0) {
      connect_failed(c, ca.return_code);
      return false;
    }
    c->state = State::data;
    arm(c, uint32_t(c->keepalive) * 1000u);
    call(c, kConnect, 0);
    return c->state == State::data;
  }
  switch (type) {
    case MQTT_PKT_PUBLISH: {
      MqttPublish p{};
      if (mqtt_decode_publish(pkt, len, &p) != MQTT_OK) return true;  // not one we can read: dropped
      if (p.qos == 1) ack(c, MQTT_PKT_PUBACK, p.packet_id);
      if (p.qos == 2) ack(c, MQTT_PKT_PUBREC, p.packet_id);
      lua_pushlstring(L, p.topic, p.topic_len);
      if (p.payload_len) {
        lua_pushlstring(L, reinterpret_cast<const char*>(p.payload), p.payload_len);
        call(c, kMessage, 2);
      } else {
        call(c, kMessage, 1);
      }
      break;
    }
    case MQTT_PKT_PUBACK:
    case MQTT_PKT_PUBCOMP:
      call(c, kPuback, 0);
      break;
    case MQTT_PKT_PUBREC:
      if (len >= 4) ack(c, MQTT_PKT_PUBREL, uint16_t(pkt[2] << 8 | pkt[3]));
      break;
    case MQTT_PKT_PUBREL:
      if (len >= 4) ack(c, MQTT_PKT_PUBCOMP, uint16_t(pkt[2] << 8 | pkt[3]));
      break;
    case MQTT_PKT_SUBACK:
      call(c, kSuback, 0);
      break;
    case MQTT_PKT_UNSUBACK:
      call(c, kUnsuback, 0);
      break;
    case MQTT_PKT_PINGRESP:
      c->keepalive_sent = false;
      break;
    default:
      break;
  }
  return c->state == State::data;
}

// An oversized PUBLISH: its topic and what of its payload fits, to "overflow"; the rest is skipped.
void overflow(Client* c, const uint8_t* pkt, size_t have, uint32_t header_len) {
  if ((pkt[0] >> 4) != MQTT_PKT_PUBLISH || have < header_len + 2) return;
  const size_t tlen = size_t(pkt[header_len]) << 8 | pkt[header_len + 1];
  const size_t at = header_len + 2 + tlen + (((pkt[0] >> 1) & 3) ? 2 : 0);
  if (have < at) return;
  const size_t keep = have < c->max_message ? have : c->max_message;
  lua_pushlstring(c->L, reinterpret_cast<const char*>(pkt + header_len + 2), tlen);
  lua_pushlstring(c->L, reinterpret_cast<const char*>(pkt + at), keep > at ? keep - at : 0);
  call(c, kOverflow, 2);
}

// A split packet whose bytes are all in: handled, its block freed. false: the connection ended.
bool complete_rx(Client* c) {
  uint8_t* pkt = c->rx;
  const uint32_t len = c->rx_need;
  c->rx = nullptr;
  c->rx_have = c->rx_need = 0;
  const bool up = handle(c, pkt, len);
  esp_platform()->heap_free(pkt, "mqtt", 0);
  return up;
}

// A packet of `total` bytes whose first `have` bytes are at `at` and the rest still to come: one
// heap block of its full size ("If allocation fails, the MQTT session will be disconnected").
bool start_rx(Client* c, const uint8_t* at, size_t have, uint32_t total) {
  c->rx = static_cast<uint8_t*>(esp_platform()->heap_malloc(total, "mqtt", 0));
  if (!c->rx) {
    disconnected(c);
    return false;
  }
  memcpy(c->rx, at, have);
  c->rx_have = uint32_t(have);
  c->rx_need = total;
  return c->rx_have < c->rx_need || complete_rx(c);
}

// What one receive delivered. false: the connection was ended.
bool received(Client* c, const uint8_t* in, size_t n) {
  size_t pos = 0;
  while (pos < n) {
    if (c->skip_left) {  // the rest of an oversized packet
      const size_t k = n - pos < c->skip_left ? n - pos : c->skip_left;
      c->skip_left -= uint32_t(k);
      pos += k;
      continue;
    }
    if (c->rx) {  // the rest of a split packet
      size_t k = c->rx_need - c->rx_have;
      if (k > n - pos) k = n - pos;
      memcpy(c->rx + c->rx_have, in + pos, k);
      c->rx_have += uint32_t(k);
      pos += k;
      if (c->rx_have == c->rx_need && !complete_rx(c)) return false;
      continue;
    }
    MqttFixedHeader h{};
    if (c->hdr_have) {  // a fixed header split across segments: completed byte by byte
      int r = MQTT_ERR_INCOMPLETE;
      while (r == MQTT_ERR_INCOMPLETE && c->hdr_have < sizeof c->hdr && pos < n) {
        c->hdr[c->hdr_have++] = in[pos++];
        r = mqtt_decode_fixed_header(c->hdr, c->hdr_have, &h);
      }
      if (r == MQTT_ERR_INCOMPLETE) continue;
      const uint8_t have = c->hdr_have;
      c->hdr_have = 0;
      if (r < 0) {  // not MQTT: the connection is dropped
        disconnected(c);
        return false;
      }
      const uint32_t total = h.header_len + h.remaining;
      if (total > c->max_message) {
        c->skip_left = total - have;
        continue;
      }
      if (!start_rx(c, c->hdr, have, total)) return false;
      continue;
    }
    const uint8_t* at = in + pos;
    const size_t avail = n - pos;
    const int r = mqtt_decode_fixed_header(at, avail, &h);
    if (r == MQTT_ERR_INCOMPLETE) {
      memcpy(c->hdr, at, avail);
      c->hdr_have = uint8_t(avail);
      pos = n;
      continue;
    }
    if (r < 0) {
      disconnected(c);
      return false;
    }
    const uint32_t total = h.header_len + h.remaining;
    const size_t k = avail < total ? avail : total;
    pos += k;
    if (total > c->max_message) {
      overflow(c, at, k, h.header_len);
      if (c->state != State::data) return false;
      c->skip_left = total - uint32_t(k);
    } else if (k == total) {
      if (!handle(c, at, total)) return false;
    } else if (!start_rx(c, at, k, total)) {
      return false;
    }
  }
  return true;
}

bool ready(Pollable* p) {
  auto* c = reinterpret_cast<Client*>(p);
  if (c->state == State::connecting || c->puback_due || c->offline_due) return true;
  return c->state != State::init && (c->conn.available() > 0 || !c->conn.connected());
}

void dispatch(lua_State* L, Pollable* p) {
  auto* c = reinterpret_cast<Client*>(p);
  if (c->offline_due) {
    disconnected(c);
    return;
  }
  if (c->state == State::connecting) {
    if (!station_up()) {
      connect_failed(c, kFailServerNotFound);
      return;
    }
    TlsConfig tls;
    const int pushed = c->secure ? tls_config_push(L, &tls) : 0;
    int tls_error = 0;
    const ConnError e = c->conn.open(c->host, c->port, c->secure ? &tls : nullptr, &tls_error);
    lua_pop(L, pushed);
    if (e != ConnError::none) {
      connect_failed(c, e == ConnError::dns ? kFailDns : kFailServerNotFound);
      return;
    }
    send_connect(c);
    return;
  }
  if (c->puback_due) {  // a QoS 0 publish went out
    c->puback_due = false;
    call(c, kPuback, 0);
    return;
  }
  if (c->conn.available() > 0) {
    uint8_t buf[kSegment];
    const int n = c->conn.read(buf, sizeof buf);
    if (n > 0) received(c, buf, size_t(n));
    return;
  }
  disconnected(c);  // the broker closed, or the link broke
}

// mqtt.Client(clientid, keepalive[, username, password, cleansession, max_message_length])
int mqtt_client(lua_State* L) {
  auto* c = NODEMCU_NEW_USERDATA(L, Client);
  *c = Client{};
  c->poll.ready = ready;
  c->poll.dispatch = dispatch;
  c->L = L;
  c->state = State::init;
  c->self_ref = c->client_id_ref = c->user_ref = c->pass_ref = c->will_topic_ref = c->will_message_ref = LUA_NOREF;
  for (int& r : c->cb) r = LUA_NOREF;
  luaL_getmetatable(L, kMeta);
  lua_setmetatable(L, -2);
  const int ud = lua_gettop(L);
  lua_pushvalue(L, 1);
  luaL_checkstring(L, -1);
  c->client_id_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const lua_Integer ka = luaL_optinteger(L, 2, 0);
  c->keepalive = ka > 0 && ka < 65536 ? uint16_t(ka) : kDefaultKeepalive;
  if (lua_isstring(L, 3)) {
    lua_pushvalue(L, 3);
    c->user_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  if (lua_isstring(L, 4)) {
    lua_pushvalue(L, 4);
    c->pass_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  c->clean = lua_isnoneornil(L, 5) || lua_toboolean(L, 5) || (lua_isnumber(L, 5) && lua_tointeger(L, 5) != 0);
  if (lua_isnumber(L, 5) && lua_tointeger(L, 5) == 0) c->clean = false;
  const lua_Integer mm = luaL_optinteger(L, 6, 0);
  c->max_message = mm > 0 && mm < 65536 ? uint16_t(mm) : kDefaultMaxMessage;
  lua_pushvalue(L, ud);
  return 1;
}

// connect(host[, port[, secure]][, function(client)[, function(client, reason)]])
int m_connect(lua_State* L) {
  Client* c = check(L);
  if (c->state != State::init) return luaL_error(L, "already connected");
  size_t n = 0;
  const char* host = luaL_checklstring(L, 2, &n);
  luaL_argcheck(L, n > 0 && n < sizeof c->host, 2, "invalid domain");
  int at = 3;
  lua_Integer port = 1883;
  if (lua_type(L, at) == LUA_TNUMBER) port = lua_tointeger(L, at++);
  luaL_argcheck(L, port > 0 && port < 65536, 3, "invalid port");
  bool secure = false;
  if (lua_type(L, at) == LUA_TBOOLEAN) {
    secure = lua_toboolean(L, at++);
  } else if (lua_type(L, at) == LUA_TNUMBER) {  // the old form: 0 or 1
    secure = lua_tointeger(L, at++) != 0;
  }
  if (lua_isfunction(L, at)) {
    lua_pushvalue(L, at);
    nodemcu_unref(L, &c->cb[kConnect]);
    c->cb[kConnect] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  ++at;
  if (lua_isfunction(L, at)) {
    lua_pushvalue(L, at);
    nodemcu_unref(L, &c->cb[kConnfail]);
    c->cb[kConnfail] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  memcpy(c->host, host, n + 1);
  c->port = uint16_t(port);
  c->secure = secure;
  c->state = State::connecting;
  lua_pushvalue(L, 1);
  c->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  events_watch(L, &c->poll);
  return 0;
}

int m_close(lua_State* L) {
  Client* c = check(L);
  if (c->state == State::init || c->offline_due) return 0;
  if (c->conn.is_open()) {
    uint8_t buf[2];
    const int n = mqtt_encode_disconnect(buf, sizeof buf);
    c->conn.write(buf, size_t(n));
  }
  c->offline_due = true;  // torn down, and "offline" called, from the event loop
  return 0;
}

int m_lwt(lua_State* L) {
  Client* c = check(L);
  luaL_checkstring(L, 2);
  luaL_checkstring(L, 3);
  nodemcu_unref(L, &c->will_topic_ref);
  nodemcu_unref(L, &c->will_message_ref);
  lua_pushvalue(L, 2);
  c->will_topic_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, 3);
  c->will_message_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const lua_Integer qos = luaL_optinteger(L, 4, 0);
  luaL_argcheck(L, qos >= 0 && qos <= 2, 4, "qos: 0..2");
  c->will_qos = uint8_t(qos);
  c->will_retain = luaL_optinteger(L, 5, 0) != 0;
  return 0;
}

int m_on(lua_State* L) {
  Client* c = check(L);
  const char* ev = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  for (int i = 0; i < kCbCount; ++i)
    if (!strcmp(ev, kCbNames[i])) {
      lua_pushvalue(L, 3);
      nodemcu_unref(L, &c->cb[i]);
      c->cb[i] = luaL_ref(L, LUA_REGISTRYINDEX);
      return 0;
    }
  return luaL_error(L, "invalid callback name");
}

void optional_cb(lua_State* L, Client* c, int index, int which) {
  if (!lua_isfunction(L, index)) return;
  lua_pushvalue(L, index);
  nodemcu_unref(L, &c->cb[which]);
  c->cb[which] = luaL_ref(L, LUA_REGISTRYINDEX);
}

// publish(topic, payload, qos, retain[, function(client)])
int m_publish(lua_State* L) {
  Client* c = check(L);
  if (c->state != State::data) return luaL_error(L, "not connected");
  const char* topic = luaL_checkstring(L, 2);
  size_t len = 0;
  const char* payload = luaL_checklstring(L, 3, &len);
  const lua_Integer qos = luaL_optinteger(L, 4, 0);
  const bool retain = luaL_optinteger(L, 5, 0) != 0;
  luaL_argcheck(L, qos >= 0 && qos <= 2, 4, "qos: 0..2");
  optional_cb(L, c, 6, kPuback);
  const uint16_t id = qos ? next_id(c) : 0;
  uint8_t head[kBufSize];
  const int n = mqtt_encode_publish_header(head, sizeof head, topic, uint32_t(len), uint8_t(qos), retain, false, id);
  if (n <= 0) return luaL_error(L, "buffer overflow, can't enqueue message");
  const bool ok = send(c, head, size_t(n)) && send(c, reinterpret_cast<const uint8_t*>(payload), len);
  if (ok && qos == 0) c->puback_due = true;
  lua_pushboolean(L, ok);
  return 1;
}

// One SUBSCRIBE or UNSUBSCRIBE per topic: (topic[, qos][, cb]) or ({topic = qos, …}[, cb]).
int subscription(lua_State* L, bool sub) {
  Client* c = check(L);
  if (c->state != State::data) return luaL_error(L, "not connected");
  bool ok = true;
  uint8_t buf[kBufSize];
  auto one = [&](const char* topic, lua_Integer qos) {
    const uint16_t id = next_id(c);
    const int n = sub ? mqtt_encode_subscribe(buf, sizeof buf, id, topic, uint8_t(qos))
                      : mqtt_encode_unsubscribe(buf, sizeof buf, id, topic);
    ok = ok && n > 0 && send(c, buf, size_t(n));
  };
  if (lua_istable(L, 2)) {
    optional_cb(L, c, 3, sub ? kSuback : kUnsuback);
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      if (lua_type(L, -2) == LUA_TSTRING) {
        one(lua_tostring(L, -2), sub ? lua_tointeger(L, -1) : 0);
        ++count;
      }
      lua_pop(L, 1);
    }
    if (!count) return luaL_error(L, "no topics found");
  } else {
    const char* topic = luaL_checkstring(L, 2);
    const lua_Integer qos = sub && lua_isnumber(L, 3) ? lua_tointeger(L, 3) : 0;
    luaL_argcheck(L, qos >= 0 && qos <= 2, 3, "qos: 0..2");
    optional_cb(L, c, sub ? 4 : 3, sub ? kSuback : kUnsuback);
    one(topic, qos);
  }
  lua_pushboolean(L, ok);
  return 1;
}
int m_subscribe(lua_State* L) { return subscription(L, true); }
int m_unsubscribe(lua_State* L) { return subscription(L, false); }

int m_gc(lua_State* L) {
  Client* c = check(L);
  disarm(c);
  drop_rx(c);
  c->conn.close();
  events_unwatch(L, &c->poll);
  for (int& r : c->cb) nodemcu_unref(L, &r);
  for (int* r : {&c->client_id_ref, &c->user_ref, &c->pass_ref, &c->will_topic_ref, &c->will_message_ref})
    nodemcu_unref(L, r);
  return 0;
}

void set_int(lua_State* L, const char* name, int v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, name);
}

}  // namespace

int luaopen_mqtt(lua_State* L) {
  const luaL_Reg methods[] = {{"connect", m_connect},
                              {"close", m_close},
                              {"lwt", m_lwt},
                              {"on", m_on},
                              {"publish", m_publish},
                              {"subscribe", m_subscribe},
                              {"unsubscribe", m_unsubscribe},
                              {"__gc", m_gc},
                              {nullptr, nullptr}};
  luaL_newmetatable(L, kMeta);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  luaL_register(L, nullptr, methods);
  lua_pop(L, 1);
  const luaL_Reg fns[] = {{"Client", mqtt_client}, {nullptr, nullptr}};
  luaL_register(L, "mqtt", fns);
  set_int(L, "CONN_FAIL_SERVER_NOT_FOUND", kFailServerNotFound);
  set_int(L, "CONN_FAIL_NOT_A_CONNACK_MSG", kFailNotConnack);
  set_int(L, "CONN_FAIL_DNS", kFailDns);
  set_int(L, "CONN_FAIL_TIMEOUT_RECEIVING", kFailTimeoutReceiving);
  set_int(L, "CONN_FAIL_TIMEOUT_SENDING", -1);
  set_int(L, "CONNACK_ACCEPTED", 0);
  set_int(L, "CONNACK_REFUSED_PROTOCOL_VER", 1);
  set_int(L, "CONNACK_REFUSED_ID_REJECTED", 2);
  set_int(L, "CONNACK_REFUSED_SERVER_UNAVAILABLE", 3);
  set_int(L, "CONNACK_REFUSED_BAD_USER_OR_PASS", 4);
  set_int(L, "CONNACK_REFUSED_NOT_AUTHORIZED", 5);
  return 1;
}
