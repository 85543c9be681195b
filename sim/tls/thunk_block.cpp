// sim/tls/thunk_block.cpp — the device's thunk block (see thunk_block.h).
#include "thunk_block.h"

#include <algorithm>
#include <cstring>

#include "cost_meter.h"
#include "thunk_stack.h"

namespace espfleet {

void ThunkBlock::adopt(void* block, uint32_t size) {
  block_ = block;
  size_ = size;
  refs_ = 1;
  figures_.size = size;
  // stack_thunk_repaint(): the whole block, so its lowest word is the canary.
  uint32_t paint = ThunkStack::kPaint;
  for (uint32_t i = 0; i + 4 <= size; i += 4) std::memcpy(static_cast<uint8_t*>(block) + i, &paint, 4);
  mirrored_ = 0;
  last_peak_ = 0;
  last_peak_target_ = 0;
}

void* ThunkBlock::forget() {
  void* b = block_;
  block_ = nullptr;
  size_ = 0;
  refs_ = 0;
  sp_ = 0;
  mirrored_ = 0;
  return b;
}

uint32_t ThunkBlock::max_usage() const {
  uint32_t size = block_ ? size_ : figures_.size;
  return std::min(last_peak_target_, size);
}

bool ThunkBlock::canary_intact() const {
  uint32_t w;
  std::memcpy(&w, block_, 4);
  return w == ThunkStack::kPaint;
}

// The call used `target` bytes of the chip's thunk stack: its frames cover the block from the
// top word down. Write that part (once), the canary included when the call reached it. The
// model never writes below the block: on the chip that is heap corruption, here the device is
// reset before anything could read it.
void ThunkBlock::mirror(uint32_t target) {
  uint32_t top = (size_ / 4 - 1) * 4;  // SP starts at the block's last word
  uint32_t want = std::min(target, top);
  if (want <= mirrored_) return;
  auto* b = static_cast<uint8_t*>(block_);
  std::memset(b + (top - want), 0, want - mirrored_);
  mirrored_ = want;
}

ThunkBlock::Call ThunkBlock::call(void (*fn)(void*), void* arg, CostMeter& meter, bool measure) {
  Call c;
  if ((!block_ && !measure) || ThunkStack::in_use()) {
    fn(arg);
    return c;
  }
  ThunkStack& ts = ThunkStack::for_this_thread();
  sp_ = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  meter.take_touched();
  c.host = ts.run(fn, arg);
  sp_ = 0;
  const Chip chip = meter.costs().chip;  // the running device's chip's stack figures
  c.target = estimate_target_bytes(c.host, deepest_primitive_stack(meter.take_touched(), chip), chip);
  last_peak_ = std::max<uint32_t>(last_peak_, uint32_t(c.host));
  last_peak_target_ = std::max(last_peak_target_, c.target);
  figures_.peak_host = std::max(figures_.peak_host, last_peak_);
  figures_.peak_target = std::max(figures_.peak_target, c.target);
  if (size_ < 8) return c;
  mirror(c.target);
  c.smashed = !canary_intact();
  return c;
}

}  // namespace espfleet
