// nodemcu/lua_sjson.cpp — NodeMCU's `sjson` module, the calls a script makes: sjson.encode(value)
// (a table with keys 1..n is an array, any other an object with string keys; numbers integral
// when they are; sjson.NULL is null) and sjson.decode(text[, {null = v}]) (objects and arrays as
// tables, null as sjson.NULL or the given value), both at most 20 levels deep as NodeMCU's default.
// Every value is built on the state's own heap (the device's). The streaming encoder and decoder
// objects are not provided. From NodeMCU's docs/modules/sjson.md.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lua_modules.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

constexpr int kMaxDepth = 20;
constexpr const char* kNullKey = "sjson.null";  // the registry's sjson.NULL (a light userdata)

void push_null(lua_State* L) { lua_getfield(L, LUA_REGISTRYINDEX, kNullKey); }
bool is_null(lua_State* L, int i) {
  push_null(L);
  const bool same = lua_rawequal(L, i < 0 ? i - 1 : i, -1);
  lua_pop(L, 1);
  return same;
}

// --- encode -------------------------------------------------------------------------------------

// The text so far: a small buffer, flushed as a string piece into a table at `pieces` (the
// stack holds other values while the encoder walks the tables, which luaL_Buffer does not allow);
// the pieces are concatenated at the end.
struct Out {
  Out(lua_State* l, int at) : L(l), pieces(at) {}
  lua_State* L;
  int pieces;
  int n = 0;
  size_t used = 0;
  char buf[256];
  void flush() {
    if (!used) return;
    lua_pushlstring(L, buf, used);
    lua_rawseti(L, pieces, ++n);
    used = 0;
  }
  void put(const char* s, size_t len) {
    while (len) {
      if (used == sizeof buf) flush();
      size_t k = sizeof buf - used < len ? sizeof buf - used : len;
      memcpy(buf + used, s, k);
      used += k;
      s += k;
      len -= k;
    }
  }
  void put(const char* s) { put(s, strlen(s)); }
  void put(char c) { put(&c, 1); }
};

void encode_string(Out& o, const char* s, size_t n) {
  o.put('"');
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        o.put("\\\"");
        break;
      case '\\':
        o.put("\\\\");
        break;
      case '\n':
        o.put("\\n");
        break;
      case '\r':
        o.put("\\r");
        break;
      case '\t':
        o.put("\\t");
        break;
      case '\b':
        o.put("\\b");
        break;
      case '\f':
        o.put("\\f");
        break;
      default:
        if (c < 0x20) {
          char esc[8];
          snprintf(esc, sizeof esc, "\\u%04x", c);
          o.put(esc);
        } else {
          o.put(char(c));
        }
    }
  }
  o.put('"');
}

// Is the table at `index` an array (keys exactly 1..n, n > 0)? Its length, else 0.
size_t array_length(lua_State* L, int index) {
  size_t n = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, index)) {
    lua_pop(L, 1);
    const lua_Number k = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (k < 1 || floor(k) != k) {
      lua_pop(L, 1);
      return 0;
    }
    if (size_t(k) > max) max = size_t(k);
    ++n;
  }
  return n == max ? n : 0;
}

void encode_value(Out& o, int index, int depth) {
  lua_State* L = o.L;
  char num[32];
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      o.put("null");
      return;
    case LUA_TBOOLEAN:
      o.put(lua_toboolean(L, index) ? "true" : "false");
      return;
    case LUA_TNUMBER: {
      const lua_Number v = lua_tonumber(L, index);
      if (isnan(v) || isinf(v)) luaL_error(L, "sjson: cannot encode %s", isnan(v) ? "nan" : "inf");
      if (floor(v) == v && fabs(v) < 1e15)
        snprintf(num, sizeof num, "%.0f", v);
      else
        snprintf(num, sizeof num, "%.14g", v);
      o.put(num);
      return;
    }
    case LUA_TSTRING: {
      size_t n = 0;
      const char* s = lua_tolstring(L, index, &n);
      encode_string(o, s, n);
      return;
    }
    case LUA_TLIGHTUSERDATA:
      if (is_null(L, index)) {
        o.put("null");
        return;
      }
      break;
    case LUA_TTABLE: {
      if (depth >= kMaxDepth) luaL_error(L, "sjson: nesting deeper than %d", kMaxDepth);
      const size_t n = array_length(L, index);
      if (n > 0) {
        o.put('[');
        for (size_t i = 1; i <= n; ++i) {
          if (i > 1) o.put(',');
          lua_rawgeti(L, index, int(i));
          encode_value(o, lua_gettop(L), depth + 1);
          lua_pop(L, 1);
        }
        o.put(']');
        return;
      }
      o.put('{');
      bool first = true;
      lua_pushnil(L);
      while (lua_next(L, index)) {
        if (lua_type(L, -2) != LUA_TSTRING)
          luaL_error(L, "sjson: cannot encode a table key of type %s", luaL_typename(L, -2));
        if (!first) o.put(',');
        first = false;
        size_t kn = 0;
        const char* k = lua_tolstring(L, -2, &kn);
        encode_string(o, k, kn);
        o.put(':');
        encode_value(o, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
      }
      o.put('}');
      return;
    }
    default:
      break;
  }
  luaL_error(L, "sjson: cannot encode a %s", luaL_typename(L, index));
}

int sjson_encode(lua_State* L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  lua_newtable(L);
  Out o(L, 2);
  encode_value(o, 1, 0);
  o.flush();
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "concat");
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
  return 1;
}

// --- decode -------------------------------------------------------------------------------------

struct Decoder {
  lua_State* L;
  const char* start;
  const char* p;
  const char* end;
  int null_index;  // the stack slot of the value null decodes to
};

[[noreturn]] void fail(Decoder& d, const char* what) {
  luaL_error(d.L, "sjson: %s at offset %d", what, int(d.p - d.start));
  abort();
}

void skip_ws(Decoder& d) {
  while (d.p < d.end && (*d.p == ' ' || *d.p == '\t' || *d.p == '\n' || *d.p == '\r')) ++d.p;
}

void decode_value(Decoder& d, int depth);

void decode_string(Decoder& d) {
  ++d.p;  // the opening quote
  luaL_Buffer b;
  luaL_buffinit(d.L, &b);
  while (d.p < d.end && *d.p != '"') {
    char c = *d.p++;
    if (c != '\\') {
      luaL_addchar(&b, c);
      continue;
    }
    if (d.p >= d.end) break;
    c = *d.p++;
    switch (c) {
      case 'n':
        luaL_addchar(&b, '\n');
        break;
      case 'r':
        luaL_addchar(&b, '\r');
        break;
      case 't':
        luaL_addchar(&b, '\t');
        break;
      case 'b':
        luaL_addchar(&b, '\b');
        break;
      case 'f':
        luaL_addchar(&b, '\f');
        break;
      case 'u': {
        if (d.end - d.p < 4) fail(d, "truncated \\u escape");
        char hex[5] = {d.p[0], d.p[1], d.p[2], d.p[3], 0};
        d.p += 4;
        const unsigned long u = strtoul(hex, nullptr, 16);
        if (u < 0x80) {
          luaL_addchar(&b, char(u));
        } else if (u < 0x800) {
          luaL_addchar(&b, char(0xC0 | (u >> 6)));
          luaL_addchar(&b, char(0x80 | (u & 0x3F)));
        } else {
          luaL_addchar(&b, char(0xE0 | (u >> 12)));
          luaL_addchar(&b, char(0x80 | ((u >> 6) & 0x3F)));
          luaL_addchar(&b, char(0x80 | (u & 0x3F)));
        }
        break;
      }
      default:
        luaL_addchar(&b, c);
        break;  // \" \\ \/
    }
  }
  if (d.p >= d.end) fail(d, "unterminated string");
  ++d.p;
  luaL_pushresult(&b);
}

void decode_value(Decoder& d, int depth) {
  skip_ws(d);
  if (d.p >= d.end) fail(d, "unexpected end");
  lua_State* L = d.L;
  const char c = *d.p;
  if (c == '{' || c == '[') {
    if (depth >= kMaxDepth) fail(d, "nesting too deep");
    const bool object = c == '{';
    ++d.p;
    lua_newtable(L);
    int i = 0;
    skip_ws(d);
    if (d.p < d.end && *d.p == (object ? '}' : ']')) {
      ++d.p;
      return;
    }
    for (;;) {
      skip_ws(d);
      if (object) {
        if (d.p >= d.end || *d.p != '"') fail(d, "expected a string key");
        decode_string(d);
        skip_ws(d);
        if (d.p >= d.end || *d.p != ':') fail(d, "expected ':'");
        ++d.p;
        decode_value(d, depth + 1);
        lua_rawset(L, -3);
      } else {
        decode_value(d, depth + 1);
        lua_rawseti(L, -2, ++i);
      }
      skip_ws(d);
      if (d.p < d.end && *d.p == ',') {
        ++d.p;
        continue;
      }
      if (d.p < d.end && *d.p == (object ? '}' : ']')) {
        ++d.p;
        return;
      }
      fail(d, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  if (c == '"') return decode_string(d);
  auto word = [&](const char* w) {
    const size_t n = strlen(w);
    if (size_t(d.end - d.p) >= n && !memcmp(d.p, w, n)) {
      d.p += n;
      return true;
    }
    return false;
  };
  if (word("true")) return lua_pushboolean(L, 1);
  if (word("false")) return lua_pushboolean(L, 0);
  if (word("null")) return lua_pushvalue(L, d.null_index);
  char num[40];
  size_t n = 0;
  while (d.p + n < d.end && n < sizeof num - 1 && strchr("+-0123456789.eE", d.p[n])) ++n;
  if (n == 0) fail(d, "unexpected character");
  memcpy(num, d.p, n);
  num[n] = 0;
  char* stop = nullptr;
  const double v = strtod(num, &stop);
  if (stop != num + n) fail(d, "bad number");
  d.p += n;
  lua_pushnumber(L, v);
}

int sjson_decode(lua_State* L) {
  size_t n = 0;
  const char* text = luaL_checklstring(L, 1, &n);
  lua_settop(L, 2);
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "null");
  } else {
    lua_pushnil(L);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    push_null(L);
  }
  Decoder d{L, text, text, text + n, lua_gettop(L)};
  decode_value(d, 0);
  skip_ws(d);
  if (d.p != d.end) fail(d, "text after the value");
  return 1;
}

}  // namespace

int luaopen_sjson(lua_State* L) {
  static char null_tag;  // its address is sjson.NULL's identity (the same for every device)
  lua_pushlightuserdata(L, &null_tag);
  lua_setfield(L, LUA_REGISTRYINDEX, kNullKey);
  const luaL_Reg fns[] = {{"encode", sjson_encode}, {"decode", sjson_decode}, {nullptr, nullptr}};
  luaL_register(L, "sjson", fns);
  push_null(L);
  lua_setfield(L, -2, "NULL");
  return 1;
}
