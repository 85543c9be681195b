// sim/engine/fiber_fcontext.cpp — the stack switching backend on Boost.Context's fcontext (a few
// ns a switch): device fibers and nested calls on another stack. The only file that switches
// stacks; it owns the sanitizer annotations.
#include "fiber.h"

#include <boost/context/detail/fcontext.hpp>

#include <algorithm>
#include <cstring>
#include <iterator>

#if defined(__SANITIZE_ADDRESS__)
#define ESPFLEET_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace bctx = boost::context::detail;

namespace espfleet {

struct FiberBackend {
  static void entry(bctx::transfer_t t) {
    auto* f = static_cast<Fiber*>(t.data);
    f->caller_ = t.fctx;
#ifdef ESPFLEET_ASAN
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
    f->entry_(f->arg_);
    f->finished_ = true;
    f->suspend();  // never resumed again unless re-armed
    __builtin_unreachable();
  }
};

void Fiber::arm(void* stack, size_t size, Entry entry, void* arg) {
  stack_ = stack;
  size_ = size;
  entry_ = entry;
  arg_ = arg;
  finished_ = false;
#ifdef ESPFLEET_ASAN
  // A re-armed stack (reboot, or an arena slot reused) still carries the abandoned frames' poison.
  __asan_unpoison_memory_region(stack, size);
#endif
  // The paint is zero, which is what a page the kernel never handed out reads as: nothing is
  // written, so a device's stack costs resident memory only as deep as it is used (reading an
  // untouched page maps the shared zero page). A stack used before is cleared where it was used.
  size_t painted = std::min(size, kPaintBytes) & ~size_t(3);
  char* region = static_cast<char*>(stack) + size - painted;
  if (size_t used = stack_unpainted(region, painted, kPaint)) stack_paint(region + painted - used, used, kPaint);
  auto* canary = static_cast<uint32_t*>(stack);
  if (*canary != kPaint) *canary = kPaint;
  ctx_ = bctx::make_fcontext(static_cast<char*>(stack) + size, size, &FiberBackend::entry);
}

void Fiber::resume() {
#ifdef ESPFLEET_ASAN
  __sanitizer_start_switch_fiber(&fake_stack_, stack_, size_);
#endif
  active_ = true;
  bctx::transfer_t t = bctx::jump_fcontext(ctx_, this);
  active_ = false;
#ifdef ESPFLEET_ASAN
  __sanitizer_finish_switch_fiber(fake_stack_, nullptr, nullptr);
#endif
  ctx_ = t.fctx;
}

void Fiber::suspend() {
#ifdef ESPFLEET_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(finished_ ? nullptr : &fake, nullptr, 0);
#endif
  bctx::transfer_t t = bctx::jump_fcontext(caller_, nullptr);
#ifdef ESPFLEET_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  caller_ = t.fctx;
}

size_t Fiber::stack_high_water() const {
  size_t painted = std::min(size_, kPaintBytes) & ~size_t(3);
  return stack_unpainted(static_cast<const char*>(stack_) + size_ - painted, painted, kPaint);
}

bool Fiber::stack_smashed() const { return stack_ && *static_cast<const uint32_t*>(stack_) != kPaint; }

// --- stack paint ---------------------------------------------------------------------------------

namespace {
constexpr size_t kScanChunk = 256;
}  // namespace

void stack_paint(void* lo, size_t bytes, uint32_t pattern) {
  auto* w = static_cast<uint32_t*>(lo);
  std::fill(w, w + bytes / 4, pattern);
}

size_t stack_unpainted(const void* lo, size_t bytes, uint32_t pattern) {
  uint32_t chunk[kScanChunk / 4];
  std::fill(std::begin(chunk), std::end(chunk), pattern);
  const auto* p = static_cast<const uint8_t*>(lo);
  const uint8_t* end = p + bytes / 4 * 4;
  while (p + kScanChunk <= end && std::memcmp(p, chunk, kScanChunk) == 0) p += kScanChunk;
  const auto* w = reinterpret_cast<const uint32_t*>(p);
  const auto* wend = reinterpret_cast<const uint32_t*>(end);
  while (w < wend && *w == pattern) ++w;
  return size_t(wend - w) * 4;
}

// --- a call on another stack ---------------------------------------------------------------------

namespace {

thread_local bool t_stack_call = false;

struct StackCall {
  void (*fn)(void*);
  void* arg;
  bctx::fcontext_t back = nullptr;
  const void* caller_bottom = nullptr;
  size_t caller_size = 0;
};

void stack_call_entry(bctx::transfer_t t) {
  auto* c = static_cast<StackCall*>(t.data);
  c->back = t.fctx;
#ifdef ESPFLEET_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &c->caller_bottom, &c->caller_size);
#endif
  c->fn(c->arg);
#ifdef ESPFLEET_ASAN
  __sanitizer_start_switch_fiber(nullptr, c->caller_bottom, c->caller_size);
#endif
  bctx::jump_fcontext(c->back, nullptr);  // this context is never resumed: the next call makes a new one
  __builtin_unreachable();
}

}  // namespace

void call_on_stack(void* stack, size_t size, void (*fn)(void*), void* arg) {
  StackCall c{fn, arg};
  t_stack_call = true;
#ifdef ESPFLEET_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, stack, size);
#endif
  bctx::fcontext_t ctx = bctx::make_fcontext(static_cast<char*>(stack) + size, size, &stack_call_entry);
  bctx::jump_fcontext(ctx, &c);
#ifdef ESPFLEET_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  t_stack_call = false;
}

bool stack_call_active() { return t_stack_call; }

void stack_call_abandoned() { t_stack_call = false; }

void stack_frames_gone(void* lo, size_t bytes) {
#ifdef ESPFLEET_ASAN
  __asan_unpoison_memory_region(lo, bytes);
#else
  (void)lo;
  (void)bytes;
#endif
}

}  // namespace espfleet
