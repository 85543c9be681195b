// shims/Ticker.cpp — Ticker (Ticker.h) on the running device's software timers.
#include "Ticker.h"

#include "platform.h"

void Ticker::arm(uint32_t ms, bool repeat, callback_function_t callback) {
  EspPlatform* p = esp_platform();
  if (!p) return;
  _callback = std::move(callback);
  _repeat = repeat;
  _active = true;
  p->timer_arm(this, &Ticker::fire, ms, repeat);
}

void Ticker::detach() {
  if (!_active) return;
  _active = false;
  if (EspPlatform* p = esp_platform()) p->timer_disarm(this);
}

void Ticker::fire(void* self) {
  Ticker* t = static_cast<Ticker*>(self);
  if (!t->_repeat) t->_active = false;  // a once: done (the callback may attach again)
  if (t->_callback) t->_callback();
}
