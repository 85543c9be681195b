/* tools/calibrate/bench.c — the harnesses' shared machinery (harness.c for BearSSL,
 * harness_mbedtls.c for mbed TLS): output over semihosting, the stack paint and scan, and the bench
 * loop that reads the chip's counter (harness.h) around a number of calls to one operation and
 * prints its BENCH line for tools/calibrate/calibrate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

long sim_write(int fd, const void* buf, size_t len);

/* ---- output (no printf: keep the image small and the harness free of stdio) ---------------- */

void out_str(const char* s) { sim_write(1, s, strlen(s)); }
void out_u32(uint32_t v) {
  char b[12];
  int i = 11;
  b[i] = 0;
  do {
    b[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  out_str(b + i);
}

/* BearSSL's X.509 engine falls back to time() when no validation time is set (we always set one);
 * picolibc's time() wants gettimeofday(). mbed TLS is built without time (MBEDTLS_HAVE_TIME off). */
struct timeval;
int gettimeofday(struct timeval* tv, void* tz) {
  (void)tv;
  (void)tz;
  return -1;
}

/* ---- clock and stack --------------------------------------------------------------------------- */

extern uint32_t _stack_bottom[], _bss_start[], _bss_end[];
#define PAINT 0xfeefeffeu /* the ESP8266 core's cont stack paint */

/* Paint the free stack below sp (minus a margin for the caller's own use). */
void stack_paint(uint32_t sp) {
  volatile uint32_t* p = _stack_bottom;
  volatile uint32_t* limit = (volatile uint32_t*)(sp - 16);
  while (p < limit) *p++ = PAINT;
}
/* Bytes below sp written since stack_paint(sp): the lowest word no longer painted. */
uint32_t stack_scan(uint32_t sp) {
  volatile uint32_t* p = _stack_bottom;
  volatile uint32_t* limit = (volatile uint32_t*)(sp - 16);
  while (p < limit && *p == PAINT) p++;
  return p < limit ? sp - (uint32_t)(uintptr_t)p : 0;
}

/* Stack bytes fn() uses below the caller's frame: paint, call, scan from the bottom up. */
uint32_t __attribute__((noinline)) stack_use(void (*fn)(void)) {
  uint32_t sp = get_sp();
  stack_paint(sp);
  fn();
  return stack_scan(sp);
}

/* Work a benchmark wants excluded from its own count (nested primitives it also calls). */
uint32_t g_excluded;
int g_failed;
const char* g_current;

void fail(const char* what) {
  out_str("FAIL ");
  out_str(g_current);
  out_str(" ");
  out_str(what);
  out_str("\n");
  g_failed = 1;
}

void run_bench(const bench* b) {
  g_current = b->name;
  if (b->setup) b->setup();
  g_excluded = 0;
  uint32_t stack = stack_use(b->run);
  out_str("BENCH ");
  out_str(b->name);
  out_str(" ");
  out_u32(b->units);
  out_str(" ");
  out_u32(b->iters);
  out_str(" ");
  out_u32(stack);
  for (uint32_t r = 0; r < b->reps; r++) {
    if (b->setup) b->setup();
    g_excluded = 0;
    void (*volatile run)(void) = b->run;
    uint32_t n = b->iters;
    uint32_t t0 = counter_now();
    for (uint32_t i = 0; i < n; i++) run();
    uint32_t t1 = counter_now();
    out_str(" ");
    out_u32(t1 - t0 - g_excluded);
  }
  out_str("\n");
}

/* ---- the calibration loop: a known number of instructions -------------------------------------- */

void run_null(void) {}
void run_loop(void) { known_loop(); /* KNOWN_LOOP_INSNS instructions (harness.h) */ }

/* Zero .bss (the image's loader does not). */
void bss_clear(void) {
  for (volatile uint32_t* p = _bss_start; p < _bss_end; p++) *p = 0;
}
