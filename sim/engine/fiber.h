// sim/fiber.h — a device's execution context (the ESP8266's `cont`): a stack and a switch.
//
// One small interface; the backend (fiber_fcontext.cpp) owns the context switch and the
// sanitizer annotations. A fiber never unwinds: a device that resets is abandoned and its fiber
// re-armed on the same stack (core/ code has no exceptions and owns no host resources).
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

  // Arm the fiber to start entry(arg) on [stack, stack+size) at the next resume().
  void arm(void* stack, size_t size, Entry entry, void* arg);
  // From the scheduler: run the fiber until it suspends or its entry returns.
  void resume();
  // From inside the fiber: return to the scheduler.
  void suspend();
  bool finished() const { return finished_; }
  bool armed() const { return ctx_ != nullptr; }
  // Bytes of the stack ever touched (the painted pattern is gone, measured within the painted
  // top kPaintBytes), and whether the lowest word (the canary) was overwritten.
  size_t stack_high_water() const;
  bool stack_smashed() const;
  // The stack's highest address (where the fiber's frames start).
  const void* stack_top() const { return static_cast<const char*>(stack_) + size_; }

  static constexpr uint32_t kPaint = 0xfeefeffe;  // the ESP8266 cont's stack paint
  // Only the top of the stack is painted (plus the canary word at the bottom): painting all of
  // it would make every page of every device's stack resident.
  static constexpr size_t kPaintBytes = 16 * 1024;

private:
  friend struct FiberBackend;
  void* ctx_ = nullptr;         // fiber's saved context
  void* caller_ = nullptr;      // scheduler's saved context while the fiber runs
  void* stack_ = nullptr;
  size_t size_ = 0;
  Entry entry_ = nullptr;
  void* arg_ = nullptr;
  bool finished_ = false;
  void* fake_stack_ = nullptr;  // ASan bookkeeping
};

}  // namespace espfleet
