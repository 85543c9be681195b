// nodemcu/lua_tls.cpp — NodeMCU's `tls` module: createConnection() (the socket is lua_net.cpp's),
// cert.verify(enable | pem[, pem…] | callback) and cert.auth. As tls.c does: the PEM texts given to
// cert.verify are written to a 4 KiB flash page that later boots keep (here the sector the Arduino
// core's EEPROM would use, which NodeMCU has no use for); verification is off at boot, on once
// cert.verify(true) finds certificates in the page or a callback supplies them. What a secure
// connection then verifies, and what it does not (the time, the name), is docs/nodemcu.md's.
#include <string.h>

#include "events.h"
#include "lua_modules.h"
#include "net_conn.h"
#include "platform.h"

extern "C" {
#include <lauxlib.h>
}

namespace {

constexpr uint32_t kCertSector = 2;  // 0x2000: the flash page tls.cert.verify writes
constexpr const char* kPemBegin = "-----BEGIN CERTIFICATE-----";
constexpr const char* kPemEnd = "-----END CERTIFICATE-----";

void drop_callback(lua_State* L, FirmwareState* fs) {
  if (fs->tls_verify_fn != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, fs->tls_verify_fn);
  fs->tls_verify_fn = LUA_NOREF;
}

// The page's certificates, as the device reads its flash: NUL-terminated PEM text, or nothing
// (an erased page starts with 0xFF).
const char* page_pem(FirmwareState* fs, size_t* len) {
  if (!esp_platform()->flash_read(kCertSector * kCertPageBytes, fs->cert_page, kCertPageBytes)) return nullptr;
  const char* page = fs->cert_page;
  if (page[0] == 0 || static_cast<unsigned char>(page[0]) == 0xFF) return nullptr;
  *len = strnlen(page, kCertPageBytes);
  return page;
}

// Each argument a PEM text holding CERTIFICATE blocks; together, NUL-terminated, in one page.
int store_pems(lua_State* L) {
  const int n = lua_gettop(L);
  size_t total = 0;
  for (int i = 1; i <= n; ++i) {
    size_t len = 0;
    const char* pem = luaL_checklstring(L, i, &len);
    const char* begin = strstr(pem, kPemBegin);
    if (!begin || !strstr(begin, kPemEnd)) return luaL_error(L, "no certificate found in argument %d", i);
    total += len;
  }
  if (total + 1 > kCertPageBytes)
    return luaL_error(L, "too much data (%d bytes, a page holds %d)", int(total), int(kCertPageBytes) - 1);
  EspPlatform* p = esp_platform();
  if (!p->flash_erase_sector(kCertSector)) return luaL_error(L, "flash erase failed");
  uint32_t at = kCertSector * kCertPageBytes;
  for (int i = 1; i <= n; ++i) {
    size_t len = 0;
    const char* pem = lua_tolstring(L, i, &len);
    if (!p->flash_write(at, pem, len)) return luaL_error(L, "flash write failed");
    at += uint32_t(len);
  }
  const char nul = 0;
  p->flash_write(at, &nul, 1);
  return 0;
}

int cert_verify(lua_State* L) {
  FirmwareState* fs = firmware_state(L);
  drop_callback(L, fs);
  if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_settop(L, 1);
    fs->tls_verify_fn = luaL_ref(L, LUA_REGISTRYINDEX);
    fs->tls_verify = true;
    lua_pushboolean(L, 1);
    return 1;
  }
  bool enable;
  if (lua_type(L, 1) == LUA_TSTRING) {
    store_pems(L);
    enable = true;
  } else {
    enable = lua_toboolean(L, 1);
  }
  size_t len = 0;
  if (enable && !page_pem(fs, &len)) return luaL_error(L, "no certificates found");
  fs->tls_verify = enable;
  lua_pushboolean(L, 1);
  return 1;
}

int cert_auth(lua_State* L) {
  if (lua_gettop(L) == 0 || (lua_isboolean(L, 1) && !lua_toboolean(L, 1))) {
    lua_pushboolean(L, 1);
    return 1;
  }
  return luaL_error(L, "tls.cert.auth: client certificates are not modelled for NodeMCU devices yet");
}

}  // namespace

bool tls_config_push(lua_State* L, TlsConfig* out) {
  FirmwareState* fs = firmware_state(L);
  *out = TlsConfig{};
  if (!fs->tls_verify) return false;
  if (fs->tls_verify_fn != LUA_NOREF) {
    // The callback's k-th CA certificate, k = 1, 2, … until it returns nil.
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int k = 1; k <= 16; ++k) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, fs->tls_verify_fn);
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
    const char* ca = lua_tolstring(L, -1, &len);
    if (len == 0) return true;  // no certificates: the endpoint is not verified
    *out = TlsConfig{true, ca, len};
    return true;
  }
  size_t len = 0;
  const char* ca = page_pem(fs, &len);
  if (ca) *out = TlsConfig{true, ca, len};
  return false;
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
