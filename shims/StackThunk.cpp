// shims/StackThunk.cpp — the thunk boundary: each BearSSL engine call made by the firmware passes
// here, so the platform can account the device's thunk stack and charge the engine's work.
#include "StackThunk.h"
#include "platform.h"

namespace {
uint32_t thunk_refcnt_fallback = 0;  // only without a platform (unit tests)

struct ThunkScope {  // brackets one engine call
  void* eng;
  explicit ThunkScope(const void* e) : eng(const_cast<void*>(e)) {
    if (EspPlatform* p = esp_platform()) p->thunk_enter(eng);
  }
  ~ThunkScope() {
    if (EspPlatform* p = esp_platform()) p->thunk_leave(eng);
  }
};
}  // namespace

extern "C" {

bool stack_thunk_light_add_ref(uint32_t size_bytes) {
  if (EspPlatform* p = esp_platform()) return p->thunk_acquire(size_bytes);
  ++thunk_refcnt_fallback;
  return true;
}

void stack_thunk_light_del_ref(void) {
  if (EspPlatform* p = esp_platform()) return p->thunk_release();
  if (thunk_refcnt_fallback) --thunk_refcnt_fallback;
}

uint32_t stack_thunk_light_get_refcnt(void) { return thunk_refcnt_fallback; }

uint32_t stack_thunk_light_get_max_usage(void) {
  EspPlatform* p = esp_platform();
  return p ? p->thunk_max_usage() : 0;
}

unsigned char* thunk_br_ssl_engine_recvapp_buf(const br_ssl_engine_context* cc, size_t* len) {
  ThunkScope s(cc);
  return br_ssl_engine_recvapp_buf(cc, len);
}
void thunk_br_ssl_engine_recvapp_ack(br_ssl_engine_context* cc, size_t len) {
  ThunkScope s(cc);
  br_ssl_engine_recvapp_ack(cc, len);
}
unsigned char* thunk_br_ssl_engine_recvrec_buf(const br_ssl_engine_context* cc, size_t* len) {
  ThunkScope s(cc);
  return br_ssl_engine_recvrec_buf(cc, len);
}
void thunk_br_ssl_engine_recvrec_ack(br_ssl_engine_context* cc, size_t len) {
  ThunkScope s(cc);
  br_ssl_engine_recvrec_ack(cc, len);
}
unsigned char* thunk_br_ssl_engine_sendapp_buf(const br_ssl_engine_context* cc, size_t* len) {
  ThunkScope s(cc);
  return br_ssl_engine_sendapp_buf(cc, len);
}
void thunk_br_ssl_engine_sendapp_ack(br_ssl_engine_context* cc, size_t len) {
  ThunkScope s(cc);
  br_ssl_engine_sendapp_ack(cc, len);
}
unsigned char* thunk_br_ssl_engine_sendrec_buf(const br_ssl_engine_context* cc, size_t* len) {
  ThunkScope s(cc);
  return br_ssl_engine_sendrec_buf(cc, len);
}
void thunk_br_ssl_engine_sendrec_ack(br_ssl_engine_context* cc, size_t len) {
  ThunkScope s(cc);
  br_ssl_engine_sendrec_ack(cc, len);
}
void thunk_br_ssl_engine_flush(br_ssl_engine_context* cc, int force) {
  ThunkScope s(cc);
  br_ssl_engine_flush(cc, force);
}
int thunk_br_ssl_client_reset(br_ssl_client_context* cc, const char* server_name, int resume) {
  ThunkScope s(&cc->eng);
  return br_ssl_client_reset(cc, server_name, resume);
}

}  // extern "C"
