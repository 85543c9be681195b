/* tools/calibrate/harness.h — what harness.c and handshake.c share, and the little that differs
 * per chip: the counter the benches read (lx106: CCOUNT, 1.28 ticks per instruction under QEMU
 * -icount shift=5; RV32IMC: instret, one count per instruction under -icount shift=0), the stack
 * pointer, a loop of a known number of instructions that checks the counter's scale, and output. */
#pragma once
#include <stdint.h>

#if defined(__xtensa__)
#define CHIP_NAME "lx106"
static inline uint32_t counter_now(void) {
  uint32_t c;
  __asm__ volatile("rsr.ccount %0" : "=a"(c));
  return c;
}
static inline uint32_t get_sp(void) {
  uint32_t sp;
  __asm__ volatile("mov %0, a1" : "=a"(sp));
  return sp;
}
/* movi (one l32r) + 1,000,000 x (addi, bnez). */
#define KNOWN_LOOP_INSNS 2000001u
static inline void known_loop(void) {
  __asm__ volatile(
      "movi a8, 1000000\n"
      "1: addi a8, a8, -1\n"
      "bnez a8, 1b\n" ::
          : "a8");
}
#elif defined(__riscv) && __riscv_xlen == 32
#define CHIP_NAME "rv32"
static inline uint32_t counter_now(void) {
  uint32_t c;
  __asm__ volatile("rdinstret %0" : "=r"(c));
  return c;
}
static inline uint32_t get_sp(void) {
  uint32_t sp;
  __asm__ volatile("mv %0, sp" : "=r"(sp));
  return sp;
}
/* lui + addi (1,000,000 = 244 << 12 + 576) + 1,000,000 x (addi, bnez). */
#define KNOWN_LOOP_INSNS 2000002u
static inline void known_loop(void) {
  __asm__ volatile(
      "lui t0, 244\n"
      "addi t0, t0, 576\n"
      "1: addi t0, t0, -1\n"
      "bnez t0, 1b\n" ::
          : "t0");
}
#else
#error "harness.h: no counter for this target (lx106 or RV32 expected)"
#endif

/* Stack high-water: paint the free stack below sp, later find the lowest word written. Both are
 * leaf functions using no stack of their own below sp. */
void stack_paint(uint32_t sp);
uint32_t stack_scan(uint32_t sp);

void out_str(const char* s);
void out_u32(uint32_t v);

/* One benchmark: run() called `iters` times between two counter readings, `reps` times. */
typedef struct {
  const char* name;
  uint32_t units;      /* operations per run() call (blocks, bytes...) */
  uint32_t iters;      /* run() calls per timed repetition (resolution: CCOUNT ticks are coarse) */
  uint32_t reps;       /* timed repetitions */
  void (*setup)(void); /* untimed, before each repetition */
  void (*run)(void);   /* timed */
} bench;

/* bench.c: the loop, failures, what a bench excludes from its own count (nested operations timed
 * on their own), and the two calibration benches (an empty call, a known number of instructions). */
void run_bench(const bench* b);
void fail(const char* what);
uint32_t stack_use(void (*fn)(void));
void run_null(void);
void run_loop(void);
void bss_clear(void);
extern uint32_t g_excluded;
extern int g_failed;
extern const char* g_current;

int run_handshake(void); /* handshake.c: 0 on success */
