// sim/engine/fiber.h — execution contexts on their own stacks: a device's fiber (the ESP8266's
// `cont`) and a nested call on another stack (BearSSL's thunk stack), with the stack paint and
// scan both use. One small interface; the backend (fiber_fcontext.cpp) is the only code that
// switches stacks and owns the sanitizer annotations.
//
// A fiber never unwinds: a device that resets is abandoned and its fiber re-armed on the same
// stack (core/ code has no exceptions and owns no host resources).
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

class Fiber {
 public:
  using Entry = void (*)(void* arg);

  Fiber() = default;
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Arm the fiber to start entry(arg) on [stack, stack+size) at the next resume(): the top
  // kPaintBytes are painted, and the lowest word is the canary.
  void arm(void* stack, size_t size, Entry entry, void* arg);
  // From the scheduler: run the fiber until it suspends or its entry returns.
  void resume();
  // From inside the fiber: return to the scheduler.
  void suspend();
  bool finished() const { return finished_; }
  bool armed() const { return ctx_ != nullptr; }
  bool active() const { return active_; }  // the fiber's code is running (between resume and suspend)
  // Bytes of the stack ever touched (the painted pattern is gone, measured within the painted
  // top kPaintBytes), and whether the lowest word (the canary) was overwritten.
  size_t stack_high_water() const;
  bool stack_smashed() const;
  const void* stack_top() const { return static_cast<const char*>(stack_) + size_; }
  size_t stack_size() const { return size_; }

  // Zero: an untouched page of the arena reads as zero, so the paint costs no write and no
  // resident page (the ESP8266 cont's 0xfeefeffe would make 16 KB of every stack resident).
  static constexpr uint32_t kPaint = 0;
  // High water is measured within the top kPaintBytes (plus the canary word at the bottom).
  static constexpr size_t kPaintBytes = 16 * 1024;

 private:
  friend struct FiberBackend;
  void* ctx_ = nullptr;     // fiber's saved context
  void* caller_ = nullptr;  // scheduler's saved context while the fiber runs
  void* stack_ = nullptr;
  size_t size_ = 0;
  Entry entry_ = nullptr;
  void* arg_ = nullptr;
  bool finished_ = false;
  bool active_ = false;
  void* fake_stack_ = nullptr;  // ASan bookkeeping
};

// --- stack paint -------------------------------------------------------------------------------

// Fill [lo, lo+bytes) with `pattern` (bytes a multiple of 4).
void stack_paint(void* lo, size_t bytes, uint32_t pattern);
// Bytes from the lowest word of [lo, lo+bytes) that lost the paint up to the top: how deep a stack
// growing down from lo+bytes has been used. Scanned upward, a chunk at a time.
size_t stack_unpainted(const void* lo, size_t bytes, uint32_t pattern);

// --- a call on another stack ---------------------------------------------------------------------

// Runs fn(arg) on [stack, stack+size) and comes back when it returns: a nested call, not a fiber.
// fn must not suspend the fiber it was called from — except to leave it for good (a device that
// resets inside the call), after which stack_call_abandoned() ends the call's bookkeeping.
void call_on_stack(void* stack, size_t size, void (*fn)(void*), void* arg);
bool stack_call_active();     // a call_on_stack is under way on this thread
void stack_call_abandoned();  // the call under way was left for good
// The frames on [lo, lo+bytes) are gone (a finished or abandoned call): the memory may be read
// and repainted (under AddressSanitizer it is unpoisoned).
void stack_frames_gone(void* lo, size_t bytes);

}  // namespace espfleet
