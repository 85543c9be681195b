// nodemcu/lua_file.cpp — NodeMCU's `file` module over the device's own files (shims/FS.h): open
// (modes r, w, a, r+, w+, a+) and the file object's read, readline, write, writeline, seek, flush,
// close, plus the module-level forms that act on the file opened last (file.read, file.write,
// file.readline, file.writeline, file.close); getcontents, putcontents, list, exists, remove,
// rename, stat, fsinfo. Names have no directory ("ca.crt" and "/ca.crt" are the same file). As
// NodeMCU's docs/modules/file.md describes it.
#include <FS.h>
#include <LittleFS.h>
#include <string.h>

#include <new>

#include "lua_modules.h"
#include "lua_udata.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

using nodemcu_ud::FileUd;

constexpr const char* kMeta = "file.obj";
constexpr const char* kCurrentKey = "file.current";  // the registry's reference to the last opened
constexpr size_t kReadDefault = 1024;                // LUAL_BUFFERSIZE: read()'s default

void path_of(char* out, size_t cap, const char* name) { snprintf(out, cap, "/%s", name[0] == '/' ? name + 1 : name); }

const char* check_name(lua_State* L, int i) {
  size_t n = 0;
  const char* name = luaL_checklstring(L, i, &n);
  luaL_argcheck(L, n > 0 && n < kFsMaxName, i, "filename invalid");
  return name;
}

FileUd* check(lua_State* L, int i) { return static_cast<FileUd*>(luaL_checkudata(L, i, kMeta)); }

bool is_file(lua_State* L, int i) {
  if (!lua_isuserdata(L, i) || !lua_getmetatable(L, i)) return false;
  luaL_getmetatable(L, kMeta);
  const bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

// The object form's self, or the file opened last (the module-level form): its userdata's index.
int self_or_current(lua_State* L) {
  if (is_file(L, 1)) return 1;
  lua_getfield(L, LUA_REGISTRYINDEX, kCurrentKey);
  if (!lua_isuserdata(L, -1)) luaL_error(L, "open a file first");
  lua_insert(L, 1);
  return 1;
}

int f_close(lua_State* L) {
  const int i = self_or_current(L);
  FileUd* u = check(L, i);
  u->f.close();
  return 0;
}

int f_gc(lua_State* L) {
  FileUd* u = check(L, 1);
  u->f.~File();
  return 0;
}

// read([n | "c"]): up to n bytes (1024 by default), or up to and including the character c.
int f_read(lua_State* L) {
  const int i = self_or_current(L);
  FileUd* u = check(L, i);
  if (!u->f) return luaL_error(L, "file not open");
  size_t want = kReadDefault;
  int stop = -1;
  if (lua_type(L, i + 1) == LUA_TNUMBER) {
    want = size_t(luaL_checkinteger(L, i + 1));
  } else if (lua_type(L, i + 1) == LUA_TSTRING) {
    stop = static_cast<unsigned char>(lua_tostring(L, i + 1)[0]);
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t got = 0;
  while (got < want) {
    const int c = u->f.read();
    if (c < 0) break;
    luaL_addchar(&b, char(c));
    ++got;
    if (c == stop) break;
  }
  if (got == 0) {
    lua_pushnil(L);
    return 1;
  }
  luaL_pushresult(&b);
  return 1;
}

int f_readline(lua_State* L) {
  const int i = self_or_current(L);
  lua_settop(L, i);
  lua_pushliteral(L, "\n");
  return f_read(L);
}

int write_text(lua_State* L, bool newline) {
  const int i = self_or_current(L);
  FileUd* u = check(L, i);
  size_t n = 0;
  const char* s = luaL_checklstring(L, i + 1, &n);
  if (!u->f || !u->writing) {
    lua_pushnil(L);
    return 1;
  }
  bool ok = u->f.write(reinterpret_cast<const uint8_t*>(s), n) == n;
  if (newline) ok = ok && u->f.write(uint8_t('\n')) == 1;
  if (ok)
    lua_pushboolean(L, 1);
  else
    lua_pushnil(L);
  return 1;
}
int f_write(lua_State* L) { return write_text(L, false); }
int f_writeline(lua_State* L) { return write_text(L, true); }

int f_flush(lua_State* L) {
  const int i = self_or_current(L);
  check(L, i)->f.flush();
  lua_pushboolean(L, 1);
  return 1;
}

// seek([whence[, offset]]): "set", "cur" (the default) or "end"; the new position.
int f_seek(lua_State* L) {
  const int i = self_or_current(L);
  FileUd* u = check(L, i);
  const char* whence = luaL_optstring(L, i + 1, "cur");
  const lua_Integer off = luaL_optinteger(L, i + 2, 0);
  const fs::SeekMode mode = !strcmp(whence, "set") ? fs::SeekSet : !strcmp(whence, "end") ? fs::SeekEnd : fs::SeekCur;
  if (!u->f || off < 0 || !u->f.seek(uint32_t(off), mode)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, lua_Integer(u->f.position()));
  return 1;
}

int file_open(lua_State* L) {
  const char* name = check_name(L, 1);
  const char* mode = luaL_optstring(L, 2, "r");
  luaL_argcheck(L, strchr("rwa", mode[0]) && mode[0], 2, "invalid mode");
  char path[kFsMaxName + 2];
  path_of(path, sizeof path, name);
  auto* u = NODEMCU_NEW_USERDATA(L, FileUd);
  new (u) FileUd{};
  luaL_getmetatable(L, kMeta);
  lua_setmetatable(L, -2);
  const char m[2] = {mode[0], 0};
  u->f = LittleFS.open(path, m);
  u->writing = mode[0] != 'r' || strchr(mode, '+');
  if (!u->f && mode[0] != 'r') u->f = LittleFS.open(path, "w");
  if (!u->f) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kCurrentKey);
  return 1;
}

int file_getcontents(lua_State* L) {
  const char* name = check_name(L, 1);
  char path[kFsMaxName + 2];
  path_of(path, sizeof path, name);
  fs::File f = LittleFS.open(path, "r");
  if (!f) {
    lua_pushnil(L);
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  char chunk[256];
  for (int n; (n = f.read(reinterpret_cast<uint8_t*>(chunk), sizeof chunk)) > 0;) luaL_addlstring(&b, chunk, size_t(n));
  f.close();
  luaL_pushresult(&b);
  return 1;
}

int file_putcontents(lua_State* L) {
  const char* name = check_name(L, 1);
  size_t n = 0;
  const char* s = luaL_checklstring(L, 2, &n);
  char path[kFsMaxName + 2];
  path_of(path, sizeof path, name);
  fs::File f = LittleFS.open(path, "w");
  const bool ok = f && f.write(reinterpret_cast<const uint8_t*>(s), n) == n;
  f.close();
  if (ok)
    lua_pushboolean(L, 1);
  else
    lua_pushnil(L);
  return 1;
}

// list([pattern]): {name = size} of every file, or of those whose name matches the Lua pattern.
int file_list(lua_State* L) {
  const char* pattern = luaL_optstring(L, 1, nullptr);
  lua_newtable(L);
  const int t = lua_gettop(L);
  fs::Dir d = LittleFS.openDir("/");
  while (d.next()) {
    if (pattern) {
      lua_getglobal(L, "string");
      lua_getfield(L, -1, "match");
      lua_pushstring(L, d.fileName());
      lua_pushstring(L, pattern);
      lua_call(L, 2, 1);
      const bool match = !lua_isnil(L, -1);
      lua_pop(L, 2);
      if (!match) continue;
    }
    lua_pushinteger(L, lua_Integer(d.fileSize()));
    lua_setfield(L, t, d.fileName());
  }
  return 1;
}

int file_exists(lua_State* L) {
  char path[kFsMaxName + 2];
  path_of(path, sizeof path, check_name(L, 1));
  lua_pushboolean(L, LittleFS.exists(path));
  return 1;
}

int file_remove(lua_State* L) {
  char path[kFsMaxName + 2];
  path_of(path, sizeof path, check_name(L, 1));
  LittleFS.remove(path);
  return 0;
}

int file_rename(lua_State* L) {
  char from[kFsMaxName + 2], to[kFsMaxName + 2];
  path_of(from, sizeof from, check_name(L, 1));
  path_of(to, sizeof to, check_name(L, 2));
  lua_pushboolean(L, LittleFS.rename(from, to));
  return 1;
}

int file_stat(lua_State* L) {
  const char* name = check_name(L, 1);
  char path[kFsMaxName + 2];
  path_of(path, sizeof path, name);
  fs::File f = LittleFS.open(path, "r");
  if (!f) {
    lua_pushnil(L);
    return 1;
  }
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, lua_Integer(f.size()));
  lua_setfield(L, -2, "size");
  lua_pushstring(L, name[0] == '/' ? name + 1 : name);
  lua_setfield(L, -2, "name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "is_dir");
  f.close();
  return 1;
}

// fsinfo(): remaining, used, total bytes of the file region.
int file_fsinfo(lua_State* L) {
  FSInfo info{};
  LittleFS.info(info);
  const lua_Integer total = lua_Integer(kEspFlashBytes - kFsFlashAddr);
  lua_pushinteger(L, total - lua_Integer(info.usedBytes));
  lua_pushinteger(L, lua_Integer(info.usedBytes));
  lua_pushinteger(L, total);
  return 3;
}

}  // namespace

int luaopen_file(lua_State* L) {
  const luaL_Reg methods[] = {
      {"close", f_close}, {"read", f_read}, {"readline", f_readline}, {"write", f_write}, {"writeline", f_writeline},
      {"flush", f_flush}, {"seek", f_seek}, {"__gc", f_gc},           {nullptr, nullptr}};
  luaL_newmetatable(L, kMeta);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  luaL_register(L, nullptr, methods);
  lua_pop(L, 1);
  const luaL_Reg fns[] = {{"open", file_open},
                          {"close", f_close},
                          {"read", f_read},
                          {"readline", f_readline},
                          {"write", f_write},
                          {"writeline", f_writeline},
                          {"flush", f_flush},
                          {"seek", f_seek},
                          {"getcontents", file_getcontents},
                          {"putcontents", file_putcontents},
                          {"list", file_list},
                          {"exists", file_exists},
                          {"remove", file_remove},
                          {"rename", file_rename},
                          {"stat", file_stat},
                          {"fsinfo", file_fsinfo},
                          {nullptr, nullptr}};
  luaL_register(L, "file", fns);
  return 1;
}
