// nodemcu/lua_tls.cpp — NodeMCU's `tls` module: createConnection() (the socket is lua_net.cpp's),
// cert.verify(enable | pem[, pem…] | callback) and cert.auth(enable | cert, key | callback). As tls.c
// does: the PEM texts given to either are written to a 4 KiB flash page of its own that later boots
// keep; each is off at boot, on once it finds its texts in its page or a callback supplies them.
// What a secure connection then verifies, and what it does not (the time, the name), is
// docs/nodemcu.md's.
#include <string.h>

#include "events.h"
#include "lua_modules.h"
#include "net_conn.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

// The two flash pages: tls.cert.verify's CA certificates, tls.cert.auth's certificate and key.
constexpr uint32_t kCaSector = 2;    // 0x2000 (the Arduino core's EEPROM sector: NodeMCU has no use for it)
constexpr uint32_t kAuthSector = 1;  // 0x1000 (the built-in firmware's second settings sector)
constexpr const char* kCertBegin = "-----BEGIN CERTIFICATE-----";
constexpr const char* kCertEnd = "-----END CERTIFICATE-----";

// A page as the device reads its flash: its texts back to back, each NUL-terminated; nothing when
// it is erased (0xFF) or empty. `index` picks the text (0: the first).
const char* page_text(char* view, uint32_t sector, int index, size_t* len) {
  if (!esp_platform()->flash_read(sector * kCertPageBytes, view, kCertPageBytes)) return nullptr;
  const char* at = view;
  const char* end = view + kCertPageBytes;
  for (int i = 0; i <= index; ++i) {
    if (at >= end || *at == 0 || static_cast<unsigned char>(*at) == 0xFF) return nullptr;
    const size_t n = strnlen(at, size_t(end - at));
    if (i == index) {
      *len = n;
      return at;
    }
    at += n + 1;
  }
  return nullptr;
}

// The arguments from `first` on, each NUL-terminated, written to the page (erased first).
void store_texts(lua_State* L, uint32_t sector, int first) {
  const int n = lua_gettop(L);
  size_t total = 0;
  for (int i = first; i <= n; ++i) {
    size_t len = 0;
    luaL_checklstring(L, i, &len);
    total += len + 1;
  }
  if (total > kCertPageBytes)
    luaL_error(L, "too much data (%d bytes, a page holds %d)", int(total), int(kCertPageBytes));
  EspPlatform* p = esp_platform();
  if (!p->flash_erase_sector(sector)) luaL_error(L, "flash erase failed");
  uint32_t at = sector * kCertPageBytes;
  for (int i = first; i <= n; ++i) {
    size_t len = 0;
    const char* text = lua_tolstring(L, i, &len);
    const char nul = 0;
    if (!p->flash_write(at, text, len) || !p->flash_write(at + uint32_t(len), &nul, 1))
      luaL_error(L, "flash write failed");
    at += uint32_t(len) + 1;
  }
}

bool holds(lua_State* L, int i, const char* what) {
  size_t n = 0;
  const char* s = lua_tolstring(L, i, &n);
  return s && strstr(s, what);
}

// cert.verify(enable | pem[, pem…] | callback): verification on against the page (or the CA
// certificates the callback returns), or off.
int cert_verify(lua_State* L) {
  FirmwareState* fs = firmware_state(L);
  nodemcu_unref(L, &fs->tls_verify_fn);
  if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_settop(L, 1);
    fs->tls_verify_fn = luaL_ref(L, LUA_REGISTRYINDEX);
    fs->tls_verify = true;
    lua_pushboolean(L, 1);
    return 1;
  }
  bool enable = lua_toboolean(L, 1);
  if (lua_type(L, 1) == LUA_TSTRING) {
    for (int i = 1; i <= lua_gettop(L); ++i)
      if (!holds(L, i, kCertBegin) || !holds(L, i, kCertEnd))
        return luaL_error(L, "no certificate found in argument %d", i);
    store_texts(L, kCaSector, 1);
    enable = true;
  }
  size_t len = 0;
  if (enable && !page_text(fs->cert_page, kCaSector, 0, &len)) return luaL_error(L, "no certificates found");
  fs->tls_verify = enable;
  lua_pushboolean(L, 1);
  return 1;
}

// cert.auth(enable | cert_pem, key_pem | callback): the client's certificate and key presented
// to servers that ask for one (the page's, or the callback's: k = 0 the key, k = 1 the certificate).
int cert_auth(lua_State* L) {
  FirmwareState* fs = firmware_state(L);
  nodemcu_unref(L, &fs->tls_auth_fn);
  if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_settop(L, 1);
    fs->tls_auth_fn = luaL_ref(L, LUA_REGISTRYINDEX);
    fs->tls_auth = true;
    lua_pushboolean(L, 1);
    return 1;
  }
  bool enable = lua_toboolean(L, 1);
  if (lua_type(L, 1) == LUA_TSTRING) {
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    if (!holds(L, 1, kCertBegin)) return luaL_error(L, "no certificate found in argument 1");
    if (!holds(L, 2, "PRIVATE KEY-----")) return luaL_error(L, "no private key found in argument 2");
    store_texts(L, kAuthSector, 1);
    enable = true;
  }
  size_t len = 0;
  if (enable && (!page_text(fs->auth_page, kAuthSector, 0, &len) || !page_text(fs->auth_page, kAuthSector, 1, &len)))
    return luaL_error(L, "no certificate and key found");
  fs->tls_auth = enable;
  lua_pushboolean(L, 1);
  return 1;
}

// The callback's texts for k = from, from + 1, … until it returns nil (at most `most`), joined,
// pushed; its length.
size_t push_from_callback(lua_State* L, int fn, int from, int most) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int k = from; k < from + most; ++k) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
    lua_pushinteger(L, k);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  lua_tolstring(L, -1, &len);
  return len;
}

}  // namespace

int tls_config_push(lua_State* L, TlsConfig* out) {
  FirmwareState* fs = firmware_state(L);
  *out = TlsConfig{};
  int pushed = 0;
  size_t len = 0;
  if (fs->tls_verify) {
    out->verify = true;  // with no certificates, the endpoint is not verified
    if (fs->tls_verify_fn != LUA_NOREF) {
      len = push_from_callback(L, fs->tls_verify_fn, 1, 16);
      ++pushed;
      if (len) out->ca = lua_tostring(L, -1), out->ca_len = len;
    } else if (const char* ca = page_text(fs->cert_page, kCaSector, 0, &len)) {
      out->ca = ca, out->ca_len = len;
    }
  }
  if (fs->tls_auth) {
    if (fs->tls_auth_fn != LUA_NOREF) {
      const size_t key_len = push_from_callback(L, fs->tls_auth_fn, 0, 1);
      const char* key = lua_tostring(L, -1);
      const size_t cert_len = push_from_callback(L, fs->tls_auth_fn, 1, 8);
      const char* cert = lua_tostring(L, -1);
      pushed += 2;
      if (key_len && cert_len) out->cert = cert, out->cert_len = cert_len, out->key = key, out->key_len = key_len;
    } else {
      size_t cert_len = 0, key_len = 0;
      const char* cert = page_text(fs->auth_page, kAuthSector, 0, &cert_len);
      const char* key = page_text(fs->auth_page, kAuthSector, 1, &key_len);
      if (cert && key) out->cert = cert, out->cert_len = cert_len, out->key = key, out->key_len = key_len;
    }
  }
  return pushed;
}

int luaopen_tls(lua_State* L) {
  const luaL_Reg fns[] = {{"createConnection", tls_create_connection}, {nullptr, nullptr}};
  luaL_register(L, "tls", fns);
  const luaL_Reg cert[] = {{"verify", cert_verify}, {"auth", cert_auth}, {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, cert);
  lua_setfield(L, -2, "cert");
  return 1;
}
