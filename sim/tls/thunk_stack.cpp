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

// The chip's figures (chip_costs.json via chip_costs.h).
constexpr uint32_t kChipPinnedHandshake = chip::kHandshakeEcdheRsaClient.stack_bytes;
// The engine's own frames: the pinned handshake's high-water minus the deepest primitive it runs
// (with the chip build's RSA-2048 limit, the P-256 multiply is deeper than the RSA verify).
constexpr uint32_t kChipPinnedDeepest =
    std::max({chip::kEcP256Mul.stack_bytes, chip::kEcP256Mulgen.stack_bytes, chip::kRsa2048Pkcs1Vrfy.stack_bytes,
              chip::kPrfSha256Master.stack_bytes, chip::kGcmRecordIn16.stack_bytes});
constexpr uint32_t kChipEngineFrames = kChipPinnedHandshake - kChipPinnedDeepest;
static_assert(kChipPinnedHandshake > kChipPinnedDeepest);

double target_per_host_byte() { return double(kChipPinnedHandshake) / double(kHostPinnedHandshakeBytes); }
uint32_t engine_frames_target() { return kChipEngineFrames; }

uint32_t estimate_target_bytes(size_t host_bytes, uint32_t deepest_primitive_target) {
  // A call that ran a chip-measured primitive: the chip's own figures. The host's depth does not
  // follow the chip's (fast m31/i62 code, x86-64 frames), so it is only the fallback.
  if (deepest_primitive_target) return kChipEngineFrames + deepest_primitive_target;
  return uint32_t(std::ceil(double(host_bytes) * target_per_host_byte() / 4.0) * 4.0);
}

namespace {
// Chip stack of what a cost category charged in a call (bearssl_cost.cpp charges by category).
// Where the engine's paths run one known operation, its figure; where a category holds operations
// of different depth that the meter cannot tell apart (RSA verify vs public op, X.509 minimal
// engine vs bare decoder), the deepest: the estimate errs towards a larger stack.
uint32_t category_stack(CostCat c) {
  switch (c) {
    case CostCat::ecdhe:  // the client's key exchange runs both in one call
      return std::max(chip::kEcP256Mul.stack_bytes, chip::kEcP256Mulgen.stack_bytes);
    case CostCat::rsa:
      return std::max(chip::kRsa2048Pkcs1Vrfy.stack_bytes, chip::kRsa2048Public.stack_bytes);
    case CostCat::ecdsa_verify:
      return chip::kEcdsaP256Vrfy.stack_bytes;  // (muladd runs inside it)
    case CostCat::ecdsa_sign:
      return chip::kEcdsaP256Sign.stack_bytes;
    case CostCat::hashing:
      return std::max(chip::kSha256Out.stack_bytes, chip::kSha1Out.stack_bytes);
    case CostCat::prf:
      return chip::kPrfSha256Master.stack_bytes;
    case CostCat::record_crypto:
      return chip::kGcmRecordIn16.stack_bytes;
    case CostCat::x509:
      return std::max(chip::kX509MinimalByte.stack_bytes, chip::kX509DecoderByte.stack_bytes);
    default:
      return 0;  // engine: the T0 work itself, inside the engine frames
  }
}
}  // namespace

uint32_t deepest_primitive_stack(uint32_t touched) {
  uint32_t deepest = 0;
  for (size_t i = 0; i < size_t(CostCat::count); ++i)
    if (touched & (1u << i)) deepest = std::max(deepest, category_stack(CostCat(i)));
  return deepest;
}

}  // namespace espfleet
