// nodemcu/events.cpp — NodeMCU's event loop (events.h): the list of objects with network events and
// the wait for the next one, in the ESP8266 core's esp_delay steps.
#include "events.h"

#include <coredecls.h>

#include "lua_modules.h"
#include "platform.h"

namespace {

bool nothing_ready(void* ctx) {
  auto* fs = static_cast<FirmwareState*>(ctx);
  if (!fs->polled) esp_platform()->net_looked();  // nothing open: only a timer can change that
  for (Pollable* p = fs->polled; p; p = p->next)
    if (p->ready(p)) return false;
  return true;
}
}  // namespace

void events_watch(lua_State* L, Pollable* p) {
  if (p->listed) return;
  FirmwareState* fs = firmware_state(L);
  p->next = fs->polled;
  fs->polled = p;
  p->listed = true;
}

void events_unwatch(lua_State* L, Pollable* p) {
  if (!p->listed) return;
  FirmwareState* fs = firmware_state(L);
  for (Pollable** at = &fs->polled; *at; at = &(*at)->next)
    if (*at == p) {
      *at = p->next;
      break;
    }
  p->next = nullptr;
  p->listed = false;
}

void events_run(lua_State* L) {
  FirmwareState* fs = firmware_state(L);
  for (;;) {
    esp_delay_while(3600000, nothing_ready, fs, kEventStepMs);
    // Each ready object once per pass, in list order; a dispatch may change the list (a callback
    // closes a socket or opens another), so the walk starts again from the head after each.
    for (bool again = true; again;) {
      again = false;
      for (Pollable* p = fs->polled; p; p = p->next)
        if (p->ready(p)) {
          p->dispatch(L, p);
          again = true;
          break;
        }
    }
  }
}
