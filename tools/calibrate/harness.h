/* tools/calibrate/harness.h — what harness.c and handshake.c share: the cycle counter (QEMU:
 * CCOUNT ticks, a fixed number of instructions each under -icount shift=0) and the output. */
#pragma once
#include <stdint.h>

static inline uint32_t ccount(void) {
  uint32_t c;
  __asm__ volatile("rsr.ccount %0" : "=a"(c));
  return c;
}

static inline uint32_t get_sp(void) {
  uint32_t sp;
  __asm__ volatile("mov %0, a1" : "=a"(sp));
  return sp;
}

/* Stack high-water: paint the free stack below sp, later find the lowest word written. Both are
 * leaf functions using no stack of their own below sp. */
void stack_paint(uint32_t sp);
uint32_t stack_scan(uint32_t sp);

void out_str(const char* s);
void out_u32(uint32_t v);
int run_handshake(void); /* handshake.c: 0 on success */
