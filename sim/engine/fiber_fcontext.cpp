// sim/fiber_fcontext.cpp — the Fiber backend on Boost.Context's fcontext (a few ns a switch).
// The only file that switches stacks; it owns the sanitizer annotations.
#include "fiber.h"

#include <boost/context/detail/fcontext.hpp>

#include <algorithm>

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
  auto* w = static_cast<uint32_t*>(stack);
  size_t words = size / 4, painted = std::min(words, kPaintBytes / 4);
  for (size_t i = words - painted; i < words; ++i) w[i] = kPaint;
  w[0] = kPaint;  // the canary
  ctx_ = bctx::make_fcontext(static_cast<char*>(stack) + size, size, &FiberBackend::entry);
}

void Fiber::resume() {
#ifdef ESPFLEET_ASAN
  __sanitizer_start_switch_fiber(&fake_stack_, stack_, size_);
#endif
  bctx::transfer_t t = bctx::jump_fcontext(ctx_, this);
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
  const auto* w = static_cast<const uint32_t*>(stack_);
  size_t words = size_ / 4, i = words - std::min(words, kPaintBytes / 4);
  while (i < words && w[i] == kPaint) ++i;
  return (words - i) * 4;
}

bool Fiber::stack_smashed() const {
  return stack_ && *static_cast<const uint32_t*>(stack_) != kPaint;
}

}  // namespace espfleet
