/* tools/tlsf-check.d/harness.c — the reference side of tools/tlsf-check: replays traces on the
   published TLSF (Espressif's fork, tlsf.c compiled from the directory given to the script) with the
   ESP-IDF multi_heap / heap_caps bookkeeping around it, as a 32-bit program so that pointers and
   size_t have the chip's 4 bytes. The host has no 32-bit libc: this file is freestanding (its own
   _start, Linux i386 system calls, memcpy/memset, a line reader and a number printer) and the
   shim/ headers stand in for the libc headers tlsf.c includes.

   The layer above tlsf.c is ours, written from ESP-IDF v5.3.1 (components/heap/multi_heap.c,
   heap_caps_base.c, heap_caps.c), not copied:
     register: heap_t {lock, free_bytes, minimum_free_bytes, pool_size, heap_data} (20 bytes) at the
               region start; tlsf_create_with_pool(start + 20, size - 20, 0);
               free_bytes = minimum = (size - 20) - tlsf_size().
     malloc:   heap_caps: 0 or > HEAP_SIZE_MAX (0x64000 on the C3) -> NULL; tlsf_malloc;
               free_bytes -= block size + tlsf_alloc_overhead(); minimum follows.
     free:     free_bytes += block size + overhead; tlsf_free.
     realloc:  NULL -> malloc; size 0 -> free, NULL; > HEAP_SIZE_MAX -> NULL; tlsf_realloc;
               free_bytes += old block size - new block size; on failure heap_caps falls back to
               malloc + copy + free (which fails too with one heap, but is done here the same way).
     calloc:   32-bit multiplication overflow -> NULL; malloc; zero.
     largest:  multi_heap_get_info: tlsf_walk_pool, the largest free block size, tlsf_fit_size().

   Input (stdin), one command a line:        Output (stdout), one line each:
     trace <id>                                (nothing)
     pool <region bytes>                       trace <id> <tlsf_size> <free> <largest> <minimum>
     m <slot> <size>                           <offset | -1> <free> <largest> <minimum>
     c <slot> <count> <size>                   likewise
     r <slot> <size>                           likewise (the slot keeps its pointer on failure)
     f <slot>                                  - <free> <largest> <minimum>
     end                                       end <tlsf_check + tlsf_check_pool status, 0: good>
   Offsets are from the region start; slots name pointers (NULL until allocated). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsf.h"

#define HEAP_SIZE_MAX 0x64000u /* SOC_MAX_CONTIGUOUS_RAM_SIZE, ESP32-C3 */
#define REGION_MAX (4u << 20)
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

void* memcpy(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void* memmove(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}
void* memset(void* dst, int c, size_t n) {
  unsigned char* d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; --n, ++x, ++y)
    if (*x != *y) return *x - *y;
  return 0;
}
static size_t cstrlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
int printf(const char* fmt, ...) {
  sys_write(2, fmt, (long)cstrlen(fmt));
  return 0;
}
void harness_assert_fail(const char* expr, const char* file, int line) {
  (void)line;
  sys_write(2, "tlsf assertion failed: ", 23);
  sys_write(2, expr, (long)cstrlen(expr));
  sys_write(2, " in ", 4);
  sys_write(2, file, (long)cstrlen(file));
  sys_write(2, "\n", 1);
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

/* ---- multi_heap / heap_caps over the published TLSF -------------------------------------- */

static unsigned char region[REGION_MAX] __attribute__((aligned(16)));
static struct heap {
  void* lock;
  size_t free_bytes;
  size_t minimum_free_bytes;
  size_t pool_size;
  void* heap_data;
} * heap;
static void* slot[SLOTS];

static void note_minimum(void) {
  if (heap->free_bytes < heap->minimum_free_bytes) heap->minimum_free_bytes = heap->free_bytes;
}
static void* mh_malloc(size_t size) {
  if (size == 0 || size > HEAP_SIZE_MAX) return NULL;
  void* r = tlsf_malloc(heap->heap_data, size);
  if (r) {
    heap->free_bytes -= tlsf_block_size(r);
    heap->free_bytes -= tlsf_alloc_overhead();
    note_minimum();
  }
  return r;
}
static void mh_free(void* p) {
  if (!p) return;
  heap->free_bytes += tlsf_block_size(p);
  heap->free_bytes += tlsf_alloc_overhead();
  tlsf_free(heap->heap_data, p);
}
static void* mh_realloc(void* p, size_t size) {
  if (!p) return mh_malloc(size);
  if (size == 0) {
    mh_free(p);
    return NULL;
  }
  if (size > HEAP_SIZE_MAX) return NULL;
  size_t before = tlsf_block_size(p);
  void* r = tlsf_realloc(heap->heap_data, p, size);
  if (r) {
    heap->free_bytes += before;
    heap->free_bytes -= tlsf_block_size(r);
    note_minimum();
    return r;
  }
  void* n = mh_malloc(size);
  if (n) {
    size_t old = tlsf_block_size(p);
    memcpy(n, p, size < old ? size : old);
    mh_free(p);
  }
  return n;
}
static void* mh_calloc(size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) return NULL;
  void* r = mh_malloc(bytes);
  if (r) memset(r, 0, bytes);
  return r;
}
static bool largest_walker(void* ptr, size_t size, int used, void* user) {
  (void)ptr;
  size_t* largest = user;
  if (!used && size > *largest) *largest = size;
  return true;
}
static void out_state(void) {
  size_t largest = 0;
  tlsf_walk_pool(tlsf_get_pool(heap->heap_data), largest_walker, &largest);
  out_str(" ");
  out_u(heap->free_bytes);
  out_str(" ");
  out_u(tlsf_fit_size(heap->heap_data, largest));
  out_str(" ");
  out_u(heap->minimum_free_bytes);
  out_str("\n");
}
static void out_ptr(void* p) {
  if (p) {
    out_u((uint32_t)((unsigned char*)p - region));
  } else {
    out_str("-1");
  }
}

static int harness_main(void) {
  char w[8][32];
  int n;
  char id[32] = "?";
  while ((n = read_line(w)) >= 0) {
    if (n == 0 || w[0][0] == '#') continue;
    char op = w[0][0];
    uint32_t s = n > 1 ? num(w[1]) : 0;
    if (w[0][1] == 'r') { /* trace */
      memcpy(id, w[1], sizeof id);
      continue;
    }
    if (op == 'p') { /* pool */
      if (s < sizeof(struct heap) || s > REGION_MAX) {
        out_str("bad pool size\n");
        out_flush();
        return 2;
      }
      memset(region, 0, s);
      memset(slot, 0, sizeof slot);
      heap = (struct heap*)region;
      heap->heap_data = tlsf_create_with_pool(region + sizeof(struct heap), s - sizeof(struct heap), 0);
      if (!heap->heap_data) {
        out_str("trace ");
        out_str(id);
        out_str(" register-failed\n");
        heap = NULL;
        continue;
      }
      heap->lock = NULL;
      heap->pool_size = s - sizeof(struct heap);
      heap->free_bytes = heap->pool_size - tlsf_size(heap->heap_data);
      heap->minimum_free_bytes = heap->free_bytes;
      out_str("trace ");
      out_str(id);
      out_str(" ");
      out_u(tlsf_size(heap->heap_data));
      out_state();
      continue;
    }
    if (op == 'e') { /* end */
      int status = heap ? tlsf_check(heap->heap_data) + tlsf_check_pool(tlsf_get_pool(heap->heap_data)) : 0;
      out_str("end ");
      out_u((uint32_t)(status < 0 ? -status : status));
      out_str("\n");
      heap = NULL;
      continue;
    }
    if (!heap || s >= SLOTS) {
      out_str("bad command\n");
      out_flush();
      return 2;
    }
    if (op == 'm') {
      slot[s] = mh_malloc(num(w[2]));
      out_ptr(slot[s]);
    } else if (op == 'c') {
      slot[s] = mh_calloc(num(w[2]), num(w[3]));
      out_ptr(slot[s]);
    } else if (op == 'r') {
      uint32_t size = num(w[2]);
      void* r = mh_realloc(slot[s], size);
      if (r || size == 0) slot[s] = r;
      out_ptr(r);
    } else if (op == 'f') {
      mh_free(slot[s]);
      slot[s] = NULL;
      out_str("-");
    } else {
      out_str("bad command\n");
      out_flush();
      return 2;
    }
    out_state();
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
