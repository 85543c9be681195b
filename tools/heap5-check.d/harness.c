/* tools/heap5-check.d/harness.c — the reference side of tools/heap5-check: replays traces on the
   published FreeRTOS-Kernel heap_5.c (compiled from the directory given to the script) over one
   region, as a 32-bit program so that pointers and size_t have the ESP8266's 4 bytes. The host
   has no 32-bit libc: this file is freestanding (its own _start, Linux i386 system calls,
   memcpy/memset, a line reader and number printers) and shim/ holds our stand-ins for the headers
   heap_5.c includes (FreeRTOS.h, task.h, stdlib.h, string.h).

   The region sits where the ESP8266's heap ends: its last byte is at 0x3FFFBFFF, so it starts at
   the chip address 0x3FFFC000 - R (8-aligned for the R we take); the harness maps that range
   itself, so the block headers heap_5.c writes hold the chip's addresses and the image can be
   compared byte for byte with the model's (the `end` line).

   Texts before V11.1 lack some of the calls below; the script then builds compat.c (which includes
   the text) in its place and defines HEAP5_COMPAT here (see compat.c).

   The layer above heap_5.c is ours, the SDK's as sim/heap/heap_sdk.h assumes it:
     register: vPortHeapResetState(); vPortDefineHeapRegions({{start, R}, {NULL, 0}}).
     malloc:   pvPortMalloc.   free: vPortFree.   calloc: pvPortCalloc (32-bit overflow -> NULL).
     realloc:  heap_5 has none; as the SDK's pvPortRealloc is taken to be: NULL -> malloc;
               size 0 -> free, NULL; else malloc the new size and, if that succeeded, copy
               min(old data size, new size) and free the old block (old data size: the old
               block's xBlockSize without bit 31, less the 8-byte header); on failure the old
               block stays.
     largest:  vPortGetHeapStats' xSizeOfLargestFreeBlockInBytes - 8, 0 when that is below 8:
               the largest request a malloc can now satisfy.

   Input (stdin), one command a line:        Output (stdout), one line each:
     trace <id>                                (nothing)
     pool <region bytes>                       trace <id> <free> <largest> <minimum>
     m <slot> <size>                           <offset | -1> <free> <largest> <minimum>
     c <slot> <count> <size>                   likewise
     r <slot> <size>                           likewise (the slot keeps its pointer on failure)
     x <slot> <delta>                          malloc(max(0, largest + delta)), likewise
     y <slot> <delta>                          malloc(max(0, free - 8 + delta)), likewise
     f <slot>                                  - <free> <largest> <minimum>
     end                                       end <FNV-1a 32 of the region image, 8 hex digits>
   Offsets are from the region start to the data; slots name pointers (NULL until allocated);
   <free> is xPortGetFreeHeapSize, <minimum> xPortGetMinimumEverFreeHeapSize. The n bytes an m, x
   or y command gets are then filled with (k + 131 i) mod 256, k the command's index in the trace
   (0 for the first after `pool`), so that the image shows what realloc copies and calloc clears. */
#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "string.h"

#define REGION_END 0x3FFFC000u
#define REGION_MAX 0x14000u /* 80 KiB: the ESP8266's DRAM from 0x3FFE8000 */
#define SLOTS 4096

/* ---- freestanding runtime ---------------------------------------------------------------- */

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
static void sys_exit(int code) {
  for (;;) sys3(1, code, 0, 0);
}
static long sys_read(void* buf, long n) { return sys3(3, 0, (long)buf, n); }
static void sys_write(int fd, const void* buf, long n) {
  const char* p = buf;
  while (n > 0) {
    long w = sys3(4, fd, (long)p, n);
    if (w <= 0) sys_exit(3);
    p += w;
    n -= w;
  }
}
/* old_mmap (i386 system call 90, its six arguments in memory): anonymous, read-write, at `addr`
   exactly (MAP_FIXED_NOREPLACE; a kernel that does not know it takes the address as a hint, and
   the caller checks). */
static void* sys_map_at(uint32_t addr, uint32_t bytes) {
  enum {
    prot = 3 /* PROT_READ | PROT_WRITE */,
    flags = 0x100022 /* MAP_FIXED_NOREPLACE | MAP_ANONYMOUS | MAP_PRIVATE */
  };
  uint32_t args[6] = {addr, bytes, prot, flags, (uint32_t)-1 /* fd */, 0 /* offset */};
  return (void*)sys3(90, (long)args, 0, 0);
}

void* memcpy(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void* memset(void* dst, int c, size_t n) {
  unsigned char* d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
static size_t cstrlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
static void err(const char* s) { sys_write(2, s, (long)cstrlen(s)); }
void harness_assert_fail(const char* expr, const char* file, int line) {
  (void)line;
  err("heap_5 assertion failed: ");
  err(expr);
  err(" in ");
  err(file);
  err("\n");
  sys_exit(4);
}

static char out_buf[1 << 16];
static size_t out_len;
static void out_flush(void) {
  sys_write(1, out_buf, (long)out_len);
  out_len = 0;
}
static void out_str(const char* s) {
  while (*s) {
    if (out_len == sizeof out_buf) out_flush();
    out_buf[out_len++] = *s++;
  }
}
static void out_u(uint32_t v) {
  char t[12];
  int i = 11;
  t[i] = 0;
  do {
    t[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  out_str(t + i);
}
static void out_hex8(uint32_t v) {
  char t[9];
  for (int i = 7; i >= 0; --i, v >>= 4) t[i] = "0123456789abcdef"[v & 15];
  t[8] = 0;
  out_str(t);
}

static char in_buf[1 << 16];
static long in_len, in_pos;
static int in_char(void) {
  if (in_pos == in_len) {
    in_len = sys_read(in_buf, sizeof in_buf);
    in_pos = 0;
    if (in_len <= 0) return -1;
  }
  return (unsigned char)in_buf[in_pos++];
}
/* The next line's words (at most 8, at most 31 characters); returns the count, -1 at the end. */
static int read_line(char words[8][32]) {
  int n = 0, len = 0, c;
  for (;;) {
    c = in_char();
    if (c == -1 && n == 0 && len == 0) return -1;
    if (c == -1 || c == '\n' || c == ' ' || c == '\t' || c == '\r') {
      if (len) {
        words[n][len] = 0;
        if (n < 7) ++n;
        len = 0;
      }
      if (c == -1 || c == '\n') return n;
    } else if (len < 31) {
      words[n][len++] = (char)c;
    }
  }
}
static uint32_t num(const char* s) {
  uint32_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (uint32_t)(*s++ - '0');
  return v;
}
static int64_t snum(const char* s) { return *s == '-' ? -(int64_t)num(s + 1) : (int64_t)num(s); }

/* ---- the SDK's layer over the published heap_5 ------------------------------------------- */

static unsigned char* region; /* chip address REGION_END - R */
static uint32_t region_bytes;
static void* slot[SLOTS];

#ifdef HEAP5_COMPAT
size_t harness_largest_free_block(void); /* compat.c, for texts before V11.1 */
#endif
static uint32_t largest(void) {
#ifdef HEAP5_COMPAT
  size_t bytes = harness_largest_free_block();
#else
  HeapStats_t s;
  vPortGetHeapStats(&s);
  size_t bytes = s.xSizeOfLargestFreeBlockInBytes;
#endif
  return bytes > 8 ? (uint32_t)bytes - 8 : 0;
}
/* The data bytes of the allocated block behind p: xBlockSize (the header's second word) without
   the allocated bit, less the header. */
static size_t data_bytes(const void* p) {
  uint32_t size;
  memcpy(&size, (const unsigned char*)p - 4, 4);
  return (size & 0x7FFFFFFFu) - 8;
}
static void* sdk_realloc(void* p, size_t size) {
  if (!p) return pvPortMalloc(size);
  if (size == 0) {
    vPortFree(p);
    return NULL;
  }
  void* n = pvPortMalloc(size);
  if (n) {
    size_t old = data_bytes(p);
    memcpy(n, p, size < old ? size : old);
    vPortFree(p);
  }
  return n;
}
/* A malloc of n bytes, filled as the header says. */
static void* filled_malloc(size_t n, uint32_t k) {
  unsigned char* p = pvPortMalloc(n);
  if (p)
    for (size_t i = 0; i < n; ++i) p[i] = (unsigned char)(k + 131 * i);
  return p;
}
static void* relative_malloc(int64_t base, int64_t delta, uint32_t k) {
  int64_t n = base + delta;
  return filled_malloc(n < 0 ? 0 : (size_t)n, k);
}

static void out_state(void) {
  out_str(" ");
  out_u(xPortGetFreeHeapSize());
  out_str(" ");
  out_u(largest());
  out_str(" ");
  out_u(xPortGetMinimumEverFreeHeapSize());
  out_str("\n");
}
static void out_ptr(void* p) {
  if (p) {
    out_u((uint32_t)((unsigned char*)p - region));
  } else {
    out_str("-1");
  }
}
static uint32_t image_hash(void) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < region_bytes; ++i) h = (h ^ region[i]) * 16777619u;
  return h;
}
static int fail(const char* what) {
  out_str(what);
  out_str("\n");
  out_flush();
  return 2;
}

static int harness_main(void) {
  unsigned char* dram = sys_map_at(REGION_END - REGION_MAX, REGION_MAX);
  if (dram != (unsigned char*)(REGION_END - REGION_MAX)) {
    err("heap5-check harness: cannot map the chip's DRAM at 0x3FFE8000\n");
    return 2;
  }
  char w[8][32];
  int n;
  char id[32] = "?";
  uint32_t k = 0; /* the command's index in the trace */
  while ((n = read_line(w)) >= 0) {
    if (n == 0 || w[0][0] == '#') continue;
    char op = w[0][0];
    uint32_t s = n > 1 ? num(w[1]) : 0;
    if (w[0][1] == 'r') { /* trace */
      memcpy(id, w[1], sizeof id);
      continue;
    }
    if (op == 'p') { /* pool */
      if (s < 24 || s > REGION_MAX || s % 8) return fail("bad pool size");
      region_bytes = s;
      region = (unsigned char*)(REGION_END - s);
      memset(dram, 0, REGION_MAX);
      memset(slot, 0, sizeof slot);
      HeapRegion_t regions[2] = {{region, s}, {NULL, 0}};
      vPortHeapResetState();
      vPortDefineHeapRegions(regions);
      k = 0;
      out_str("trace ");
      out_str(id);
      out_state();
      continue;
    }
    if (op == 'e') { /* end */
      if (!region) return fail("bad command");
      out_str("end ");
      out_hex8(image_hash());
      out_str("\n");
      region = NULL;
      continue;
    }
    if (!region || s >= SLOTS || n < 2) return fail("bad command");
    if (op == 'm') {
      slot[s] = filled_malloc(num(w[2]), k);
      out_ptr(slot[s]);
    } else if (op == 'c') {
      slot[s] = pvPortCalloc(num(w[2]), num(w[3]));
      out_ptr(slot[s]);
    } else if (op == 'r') {
      uint32_t size = num(w[2]);
      void* r = sdk_realloc(slot[s], size);
      if (r || size == 0) slot[s] = r;
      out_ptr(r);
    } else if (op == 'x') {
      slot[s] = relative_malloc(largest(), snum(w[2]), k);
      out_ptr(slot[s]);
    } else if (op == 'y') {
      slot[s] = relative_malloc((int64_t)xPortGetFreeHeapSize() - 8, snum(w[2]), k);
      out_ptr(slot[s]);
    } else if (op == 'f') {
      vPortFree(slot[s]);
      slot[s] = NULL;
      out_str("-");
    } else {
      return fail("bad command");
    }
    out_state();
    ++k;
  }
  out_flush();
  return 0;
}

__attribute__((noreturn, force_align_arg_pointer)) void _start(void) {
  int rc = harness_main();
  out_flush();
  sys_exit(rc);
  for (;;) {}
}
