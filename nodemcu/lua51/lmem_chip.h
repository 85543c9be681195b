/* nodemcu/lua51/lmem_chip.h — Lua 5.1's memory interface (lmem.h) as the NodeMCU devices build it:
** forced (-include) into every Lua source file by CMakeLists.txt, it stands in for Debian's
** lmem.h (whose guard it defines first, so that file's text is skipped) with the same macros and
** prototypes, each of which also tells the allocator what the chip's Lua would ask for: before
** every luaM_realloc_ call it leaves the request's size on the ESP8266 (the chip's sizeof of the
** same type, from a cross-compile of Lua's headers: tools/lua-sizes, build/generated/) and the Lua
** function that made it. docs/nodemcu.md, "Sizes". Debian's sources are compiled as they are.
**
** The macros' host-side behaviour is lmem.h's of Lua 5.1.5 (the request sizes, the overflow
** check, luaM_toobig, luaM_growaux_); see the Lua 5.1 reference manual, §3.7 (lua_Alloc), and
** lmem.h in Debian's lua5.1 source package.
*/
#ifndef lmem_h
#define lmem_h

/* Nothing of Lua's here: a Lua source file defines LUA_CORE (and its own name, loslib_c...)
** before its first include, and luaconf.h reads them; the macros below use llimits.h's cast and
** MAX_SIZET where they are expanded. */
#include <stddef.h>

#include "lua_chip_sizes.h" /* build/generated/, by tools/lua-sizes */

struct lua_State;

#define MEMERRMSG "not enough memory"

/* The next request's chip bytes (0: not known, the allocator charges the host's and counts it),
** the Lua function it comes from, and luaM_growvector's chip bytes per element, read by the
** generic luaM_reallocv inside luaM_growaux_ (nodemcu/lua51/lua_chip.c defines them). Per
** thread: a device's Lua runs on its fiber, which does not switch between the store and the
** allocator's read. */
extern _Thread_local size_t espfleet_lua_next_chip;
extern _Thread_local const char* espfleet_lua_next_site;
extern _Thread_local size_t espfleet_lua_grow_elem_chip;
extern _Thread_local const char* espfleet_lua_grow_site;

/* The chip's sizeof of a type Lua allocates by luaM_new / luaM_newvector / luaM_growvector /
** luaM_reallocvector (0 for a type not listed). */
#define espfleet_lua_chip_sizeof(t) \
  _Generic((t *)0,                                                                             \
      TValue *: ESPFLEET_LUA_CHIP_TValue, Node *: ESPFLEET_LUA_CHIP_Node,                      \
      Table *: ESPFLEET_LUA_CHIP_Table, UpVal *: ESPFLEET_LUA_CHIP_UpVal,                      \
      Proto *: ESPFLEET_LUA_CHIP_Proto, LocVar *: ESPFLEET_LUA_CHIP_LocVar,                    \
      CallInfo *: ESPFLEET_LUA_CHIP_CallInfo, Instruction *: ESPFLEET_LUA_CHIP_Instruction,    \
      int *: ESPFLEET_LUA_CHIP_int, char *: ESPFLEET_LUA_CHIP_char,                            \
      TString **: ESPFLEET_LUA_CHIP_TString_ptr, GCObject **: ESPFLEET_LUA_CHIP_GCObject_ptr, \
      Proto **: ESPFLEET_LUA_CHIP_Proto_ptr, default: 0)

/* The chip's bytes of a luaM_malloc of `host` bytes made by the Lua function `site` (a string,
** a userdata, a closure, a thread: nodemcu/lua51/lua_chip.c); 0 when it cannot tell. */
size_t espfleet_lua_chip_of_malloc(const char* site, size_t host);

#define espfleet_lua_request(chip, site, call) (espfleet_lua_next_chip = (chip), espfleet_lua_next_site = (site), call)

/* luaM_reallocv with the chip's bytes per element `ce` beside the host's `e`. */
#define espfleet_luaM_reallocv(L, b, on, n, e, ce, site)                                                \
  ((cast(size_t, (n) + 1) <= MAX_SIZET / (e)) /* +1 to avoid warnings */                                \
       ? espfleet_lua_request((ce)*cast(size_t, n), site, luaM_realloc_(L, (b), (on) * (e), (n) * (e))) \
       : luaM_toobig(L))

/* The generic form: lmem.c's luaM_growaux_ calls it for luaM_growvector, which left the
** element's chip size. */
#define luaM_reallocv(L, b, on, n, e) \
  espfleet_luaM_reallocv(L, b, on, n, e, espfleet_lua_grow_elem_chip, espfleet_lua_grow_site)

#define luaM_freemem(L, b, s) luaM_realloc_(L, (b), (s), 0)
#define luaM_free(L, b) luaM_realloc_(L, (b), sizeof(*(b)), 0)
#define luaM_freearray(L, b, n, t) luaM_realloc_(L, (b), cast(size_t, n) * sizeof(t), 0)

#define luaM_malloc(L, t) \
  espfleet_lua_request(espfleet_lua_chip_of_malloc(__func__, (t)), __func__, luaM_realloc_(L, NULL, 0, (t)))
#define luaM_new(L, t) \
  cast(t*, espfleet_lua_request(espfleet_lua_chip_sizeof(t), __func__, luaM_realloc_(L, NULL, 0, sizeof(t))))
#define luaM_newvector(L, n, t) \
  cast(t*, espfleet_luaM_reallocv(L, NULL, 0, n, sizeof(t), espfleet_lua_chip_sizeof(t), __func__))

#define luaM_growvector(L, v, nelems, size, t, limit, e)                                                         \
  if ((nelems) + 1 > (size))                                                                                     \
  ((v) = cast(t*, (espfleet_lua_grow_elem_chip = espfleet_lua_chip_sizeof(t), espfleet_lua_grow_site = __func__, \
                   luaM_growaux_(L, v, &(size), sizeof(t), limit, e))))

#define luaM_reallocvector(L, v, oldn, n, t) \
  ((v) = cast(t*, espfleet_luaM_reallocv(L, v, oldn, n, sizeof(t), espfleet_lua_chip_sizeof(t), __func__)))

/* lmem.h's prototypes, with luaconf.h's LUAI_FUNC for gcc on ELF spelled out (it is not defined
** yet). */
#define ESPFLEET_LUAI_FUNC __attribute__((visibility("hidden"))) extern
ESPFLEET_LUAI_FUNC void* luaM_realloc_(struct lua_State* L, void* block, size_t oldsize, size_t size);
ESPFLEET_LUAI_FUNC void* luaM_toobig(struct lua_State* L);
ESPFLEET_LUAI_FUNC void* luaM_growaux_(struct lua_State* L, void* block, int* size, size_t size_elem, int limit,
                                       const char* errormsg);

#endif
