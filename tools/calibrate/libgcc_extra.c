/* tools/calibrate/libgcc_extra.c — integer helpers Debian's lx106 libgcc lacks (on the chip they
 * sit in ROM). Plain C that compiles without calling any helper itself. BearSSL built with
 * BR_LOMUL=1 barely uses them: they do not weigh on its counts. mbed TLS's big numbers (32-bit
 * limbs) call __muldi3 for every limb product, so in the mbed TLS table these stand in for the
 * ROM's (docs/calibration.md section 6). */
#include <stdint.h>

uint64_t __umulsidi3(uint32_t a, uint32_t b) {
  uint32_t al = a & 0xffff, ah = a >> 16, bl = b & 0xffff, bh = b >> 16;
  uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint32_t mid = (ll >> 16) + (lh & 0xffff) + (hl & 0xffff);
  uint32_t lo = (ll & 0xffff) | (mid << 16);
  uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
  return ((uint64_t)hi << 32) | lo;
}

uint64_t __muldi3(uint64_t a, uint64_t b) {
  uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32), bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
  uint64_t r = __umulsidi3(al, bl);
  return r + ((uint64_t)(al * bh + ah * bl) << 32);
}

static uint32_t udivmod(uint32_t n, uint32_t d, uint32_t* rem) {
  uint32_t q = 0, r = 0;
  if (d == 0) {
    *rem = n;
    return 0xffffffffu;
  }
  for (int i = 31; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= 1u << i;
    }
  }
  *rem = r;
  return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d) {
  uint32_t r;
  return udivmod(n, d, &r);
}
uint32_t __umodsi3(uint32_t n, uint32_t d) {
  uint32_t r;
  udivmod(n, d, &r);
  return r;
}
int32_t __divsi3(int32_t n, int32_t d) {
  uint32_t r, un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n, ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
  uint32_t q = udivmod(un, ud, &r);
  return ((n < 0) != (d < 0)) ? (int32_t)(0u - q) : (int32_t)q;
}

/* 64-bit by 64-bit unsigned division: mbed TLS's big-number division (mbedtls_int_div_int, a
 * 64-by-32 quotient per limb) calls it. Bit by bit, as udivmod above; the chip's ROM has its own. */
uint64_t __udivdi3(uint64_t n, uint64_t d) {
  uint64_t q = 0, r = 0;
  if (d == 0) return ~(uint64_t)0;
  for (int i = 63; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= (uint64_t)1 << i;
    }
  }
  return q;
}
