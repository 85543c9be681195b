// sim/tls/thunk_stack.cpp — the shared host thunk stack and the target-stack estimate (see
// thunk_stack.h). The stack switch, paint and scan are the fiber backend's (engine/fiber.h).
#include "thunk_stack.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "alloc_scope.h"
#include "cost_meter.h"
#include "fiber.h"
#include "generated/chip_costs.h"  // build/generated/, from sim/tls/chip_costs.json

namespace espfleet {

namespace {
thread_local std::unique_ptr<ThunkStack> t_stack;
}  // namespace

ThunkStack::ThunkStack(size_t bytes) : stack_(bytes) { stack_paint(stack_.bottom(), stack_.size(), kPaint); }

ThunkStack& ThunkStack::for_this_thread() {
  if (!t_stack) {
    HostSection host;
    t_stack = std::make_unique<ThunkStack>();
  }
  return *t_stack;
}

bool ThunkStack::in_use() { return t_stack && stack_call_active(); }

size_t ThunkStack::scan_and_repaint() {
  stack_frames_gone(stack_.bottom(), stack_.size());  // the call's frames are gone (or abandoned)
  // The lowest word that lost its paint, found from the bottom up (as the core's
  // stack_thunk_get_max_usage does).
  size_t used = stack_unpainted(stack_.bottom(), stack_.size(), kPaint);
  stack_paint(stack_.top() - used, used, kPaint);
  return used;
}

size_t ThunkStack::run(void (*fn)(void*), void* arg) {
  if (dirty_) scan_and_repaint();
  dirty_ = true;
  call_on_stack(stack_.bottom(), stack_.size(), fn, arg);
  size_t used = scan_and_repaint();
  dirty_ = false;
  return used;
}

void ThunkStack::abandon() {
  stack_call_abandoned();
  dirty_ = true;
}

// --- target estimate ---

// Each chip's figures (its calibrated table, via chip_costs.h): the stack of one pinned handshake's
// deepest engine call, the engine's own frames above the deepest primitive that handshake runs
// (with the chip build's RSA-2048 limit, the P-256 multiply is deeper than the RSA verify), and the
// stack each cost category's operations take.
struct ChipStacks {
  uint32_t pinned_handshake, engine_frames;
  uint32_t category[size_t(CostCat::count)];
};
// Where a category holds operations of different depth that the meter cannot tell apart (RSA
// verify vs public op, X.509 minimal engine vs bare decoder), the deepest: the estimate errs
// towards a larger stack. The client's key exchange runs mul and mulgen in one call; ECDSA
// verify's muladd runs inside it; engine: the T0 work itself, inside the engine frames.
#define ESPFLEET_CHIP_STACKS(NS)                                                                                       \
  ChipStacks {                                                                                                         \
    NS::kHandshakeEcdheRsaClient.stack_bytes,                                                                          \
        NS::kHandshakeEcdheRsaClient.stack_bytes -                                                                     \
            std::max({NS::kEcP256Mul.stack_bytes, NS::kEcP256Mulgen.stack_bytes, NS::kRsa2048Pkcs1Vrfy.stack_bytes,    \
                      NS::kPrfSha256Master.stack_bytes, NS::kGcmRecordIn16.stack_bytes}),                              \
    {                                                                                                                  \
      std::max(NS::kEcP256Mul.stack_bytes, NS::kEcP256Mulgen.stack_bytes),                                             \
          std::max(NS::kRsa2048Pkcs1Vrfy.stack_bytes, NS::kRsa2048Public.stack_bytes), NS::kEcdsaP256Vrfy.stack_bytes, \
          NS::kEcdsaP256Sign.stack_bytes, std::max(NS::kSha256Out.stack_bytes, NS::kSha1Out.stack_bytes),              \
          NS::kPrfSha256Master.stack_bytes, NS::kGcmRecordIn16.stack_bytes,                                            \
          std::max(NS::kX509MinimalByte.stack_bytes, NS::kX509DecoderByte.stack_bytes), 0                              \
    }                                                                                                                  \
  }
constexpr ChipStacks kLx106Stacks = ESPFLEET_CHIP_STACKS(chip);
constexpr ChipStacks kRv32imcStacks = ESPFLEET_CHIP_STACKS(chip_esp32c3);
#undef ESPFLEET_CHIP_STACKS
static_assert(int(CostCat::engine) == 8 && size_t(CostCat::count) == 9, "ChipStacks lists the categories in order");
static_assert(kLx106Stacks.engine_frames > 0 && kLx106Stacks.engine_frames < kLx106Stacks.pinned_handshake);
static_assert(kRv32imcStacks.engine_frames > 0 && kRv32imcStacks.engine_frames < kRv32imcStacks.pinned_handshake);
constexpr const ChipStacks& stacks_of(Chip c) { return c == Chip::esp32c3 ? kRv32imcStacks : kLx106Stacks; }

double target_per_host_byte(Chip c) {
  return double(stacks_of(c).pinned_handshake) / double(kHostPinnedHandshakeBytes);
}
uint32_t engine_frames_target(Chip c) { return stacks_of(c).engine_frames; }

uint32_t estimate_target_bytes(size_t host_bytes, uint32_t deepest_primitive_target, Chip c) {
  // A call that ran a chip-measured primitive: the chip's own figures. The host's depth does not
  // follow the chip's (fast m31/i62 code, x86-64 frames), so it is only the fallback.
  if (deepest_primitive_target) return stacks_of(c).engine_frames + deepest_primitive_target;
  return uint32_t(std::ceil(double(host_bytes) * target_per_host_byte(c) / 4.0) * 4.0);
}

uint32_t deepest_primitive_stack(uint32_t touched, Chip c) {
  uint32_t deepest = 0;
  for (size_t i = 0; i < size_t(CostCat::count); ++i)
    if (touched & (1u << i)) deepest = std::max(deepest, stacks_of(c).category[i]);
  return deepest;
}

}  // namespace espfleet
