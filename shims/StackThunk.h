// shims/StackThunk.h — BearSSL's second stack, as the ESP8266 core (and Tasmota's light variant)
// provide it. The firmware allocates the thunk block before a handshake and frees it after;
// every BearSSL engine call goes through a thunk_* wrapper that runs it on that stack.
#pragma once
#include <bearssl/bearssl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The ESP8266 core's generic thunk: one 6200-byte block, taken by the first reference (a
// BearSSL::WiFiClientSecure's constructor) and freed with the last; abort() when the heap cannot
// hold it, as the core does.
static const uint32_t kStackThunkCoreBytes = 6200;
void stack_thunk_add_ref(void);
void stack_thunk_del_ref(void);
uint32_t stack_thunk_get_refcnt(void);
uint32_t stack_thunk_get_max_usage(void);

// Tasmota-style: the size (bytes) is the firmware's choice; returns false when the heap can't hold it.
bool stack_thunk_light_add_ref(uint32_t size_bytes);
void stack_thunk_light_del_ref(void);
uint32_t stack_thunk_light_get_refcnt(void);
uint32_t stack_thunk_light_get_max_usage(void);

unsigned char* thunk_br_ssl_engine_recvapp_buf(const br_ssl_engine_context* cc, size_t* len);
void thunk_br_ssl_engine_recvapp_ack(br_ssl_engine_context* cc, size_t len);
unsigned char* thunk_br_ssl_engine_recvrec_buf(const br_ssl_engine_context* cc, size_t* len);
void thunk_br_ssl_engine_recvrec_ack(br_ssl_engine_context* cc, size_t len);
unsigned char* thunk_br_ssl_engine_sendapp_buf(const br_ssl_engine_context* cc, size_t* len);
void thunk_br_ssl_engine_sendapp_ack(br_ssl_engine_context* cc, size_t len);
unsigned char* thunk_br_ssl_engine_sendrec_buf(const br_ssl_engine_context* cc, size_t* len);
void thunk_br_ssl_engine_sendrec_ack(br_ssl_engine_context* cc, size_t len);
void thunk_br_ssl_engine_flush(br_ssl_engine_context* cc, int force);
int thunk_br_ssl_client_reset(br_ssl_client_context* cc, const char* server_name, int resume_session);

#ifdef __cplusplus
}
#endif
