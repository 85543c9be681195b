// shims/StackThunk.cpp — the thunk boundary: each BearSSL engine call made by the firmware passes
// here and is handed to the platform, which runs it on the thunk stack while the device holds its
// thunk block (as the core's make_stack_thunk does), accounts the stack it used, checks the
// block's canary and charges the engine's work (sim/tls/thunk_block.h). Without a platform (plain
// unit tests) calls run in place.
#include "StackThunk.h"
#include "platform.h"

namespace {
uint32_t thunk_refcnt_fallback = 0;  // only without a platform (unit tests)

// Runs f() through the platform's thunk; f is a lambda capturing the call's arguments and result.
template <class F>
void thunked(const void* eng, F f) {
  EspPlatform* p = esp_platform();
  if (!p) {
    f();
    return;
  }
  p->thunk_call(
      const_cast<void*>(eng), [](void* a) { (*static_cast<F*>(a))(); }, &f);
}
}  // namespace

extern "C" {

void stack_thunk_add_ref(void) {
  EspPlatform* p = esp_platform();
  if (!p) {
    ++thunk_refcnt_fallback;
    return;
  }
  if (!p->thunk_acquire(kStackThunkCoreBytes)) p->abort_called("Unable to allocate BearSSL stack");
}

void stack_thunk_del_ref(void) { stack_thunk_light_del_ref(); }

uint32_t stack_thunk_get_refcnt(void) {
  EspPlatform* p = esp_platform();
  return p ? p->thunk_refs() : thunk_refcnt_fallback;
}

uint32_t stack_thunk_get_max_usage(void) { return stack_thunk_light_get_max_usage(); }

bool stack_thunk_light_add_ref(uint32_t size_bytes) {
  if (EspPlatform* p = esp_platform()) return p->thunk_acquire(size_bytes);
  ++thunk_refcnt_fallback;
  return true;
}

void stack_thunk_light_del_ref(void) {
  if (EspPlatform* p = esp_platform()) return p->thunk_release();
  if (thunk_refcnt_fallback) --thunk_refcnt_fallback;
}

uint32_t stack_thunk_light_get_refcnt(void) { return stack_thunk_get_refcnt(); }

uint32_t stack_thunk_light_get_max_usage(void) {
  EspPlatform* p = esp_platform();
  return p ? p->thunk_max_usage() : 0;
}

unsigned char* thunk_br_ssl_engine_recvapp_buf(const br_ssl_engine_context* cc, size_t* len) {
  unsigned char* r = nullptr;
  thunked(cc, [&] { r = br_ssl_engine_recvapp_buf(cc, len); });
  return r;
}
void thunk_br_ssl_engine_recvapp_ack(br_ssl_engine_context* cc, size_t len) {
  thunked(cc, [&] { br_ssl_engine_recvapp_ack(cc, len); });
}
unsigned char* thunk_br_ssl_engine_recvrec_buf(const br_ssl_engine_context* cc, size_t* len) {
  unsigned char* r = nullptr;
  thunked(cc, [&] { r = br_ssl_engine_recvrec_buf(cc, len); });
  return r;
}
void thunk_br_ssl_engine_recvrec_ack(br_ssl_engine_context* cc, size_t len) {
  thunked(cc, [&] { br_ssl_engine_recvrec_ack(cc, len); });
}
unsigned char* thunk_br_ssl_engine_sendapp_buf(const br_ssl_engine_context* cc, size_t* len) {
  unsigned char* r = nullptr;
  thunked(cc, [&] { r = br_ssl_engine_sendapp_buf(cc, len); });
  return r;
}
void thunk_br_ssl_engine_sendapp_ack(br_ssl_engine_context* cc, size_t len) {
  thunked(cc, [&] { br_ssl_engine_sendapp_ack(cc, len); });
}
unsigned char* thunk_br_ssl_engine_sendrec_buf(const br_ssl_engine_context* cc, size_t* len) {
  unsigned char* r = nullptr;
  thunked(cc, [&] { r = br_ssl_engine_sendrec_buf(cc, len); });
  return r;
}
void thunk_br_ssl_engine_sendrec_ack(br_ssl_engine_context* cc, size_t len) {
  thunked(cc, [&] { br_ssl_engine_sendrec_ack(cc, len); });
}
void thunk_br_ssl_engine_flush(br_ssl_engine_context* cc, int force) {
  thunked(cc, [&] { br_ssl_engine_flush(cc, force); });
}
int thunk_br_ssl_client_reset(br_ssl_client_context* cc, const char* server_name, int resume) {
  int r = 0;
  thunked(&cc->eng, [&] { r = br_ssl_client_reset(cc, server_name, resume); });
  return r;
}

}  // extern "C"
