// tests/sim/engine/test_fiber_stack.cpp — a fiber's stack accounting with the zero paint: high
// water as deep as the fiber went, a used stack cleared when re-armed, the canary word at the
// bottom caught when overwritten, and an arena stack left non-resident where it was never used.
#include <doctest/doctest.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "fiber.h"

using namespace espfleet;

namespace {
Fiber* g_fiber = nullptr;
size_t g_depth = 0;

void touch_and_return(void*) {
  volatile char buf[4096];
  for (size_t i = 0; i < g_depth && i < sizeof buf; ++i) buf[sizeof buf - 1 - i] = char(i | 1);  // from the top down
  g_fiber->suspend();
}
// Resident bytes of the mapping that starts at `start` (/proc/self/smaps).
size_t mapping_rss_bytes(const void* start) {
  std::ifstream in("/proc/self/smaps");
  char head[32];
  std::snprintf(head, sizeof head, "%lx-", (unsigned long)start);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(head, 0) == 0) inside = true;
    if (inside && line.rfind("Rss:", 0) == 0) return size_t(std::stoul(line.substr(4))) * 1024;
  }
  FAIL("mapping not in /proc/self/smaps");
  return 0;
}
}  // namespace

TEST_CASE("fiber stack: zero paint, high water, re-arm clears, canary, pages untouched stay out of RSS") {
  const size_t size = 64 * 1024;
  // Between two inaccessible pages, so the kernel keeps it a mapping of its own (smaps below).
  const size_t guard = 4096;
  char* whole =
      static_cast<char*>(mmap(nullptr, size + 2 * guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(whole != MAP_FAILED);
  REQUIRE(mprotect(whole, guard, PROT_NONE) == 0);
  REQUIRE(mprotect(whole + guard + size, guard, PROT_NONE) == 0);
  void* mem = whole + guard;
  Fiber f;
  g_fiber = &f;
  g_depth = 4096;
  f.arm(mem, size, touch_and_return, nullptr);
  f.resume();
  const size_t hw = f.stack_high_water();
  CHECK(hw >= 4096);
  CHECK(hw < 16 * 1024);
  CHECK_FALSE(f.stack_smashed());
  // Only the pages the fiber used are resident (smaps Rss): not the bottom (canary) page, not the
  // rest of the painted top, which were only read.
  const size_t rss = mapping_rss_bytes(mem);
  CHECK(rss >= 4096);
  CHECK(rss <= hw + 2 * 4096);
  // An overwritten bottom word is a smashed stack.
  *static_cast<uint32_t*>(mem) = 0x12345678;
  CHECK(f.stack_smashed());
  // Re-armed, the stack is clean again: a shallow run reports a shallow high water.
  g_depth = 16;
  f.arm(mem, size, touch_and_return, nullptr);
  CHECK_FALSE(f.stack_smashed());
  CHECK(f.stack_high_water() <= 256);  // make_fcontext's frame at the top
  f.resume();
  CHECK(f.stack_high_water() < 1024);
  munmap(whole, size + 2 * guard);
}
