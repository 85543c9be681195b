/* nodemcu/lua51/lua_chip.h — what the firmware's Lua allocator (nodemcu/nodemcu_main.cpp) learns
** from Lua about each request: the bytes the chip's Lua 5.1 would ask for (nodemcu/lua51/lmem_chip.h
** leaves them before every luaM_realloc_ call; docs/nodemcu.md, "Sizes"), and what the firmware
** tells Lua of the userdata it is about to make. C and C++. */
#ifndef ESPFLEET_LUA_CHIP_H
#define ESPFLEET_LUA_CHIP_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The request the allocator is being called for: the chip's bytes (0 when Lua could not tell:
** the allocator then charges the host's) and the Lua function that made it (NULL: none said);
** both are cleared for the next request. */
size_t espfleet_lua_take_request(const char** site);

/* The next lua_newuserdata of `host` payload bytes holds a firmware struct whose sizeof on the
** chip is `chip` (its Udata is charged the chip's header plus `chip`). A userdata made without
** this, or of another size, is charged its host payload and counted as not known. */
void espfleet_lua_next_udata(size_t host, size_t chip);

#ifdef __cplusplus
}
#endif
#endif
