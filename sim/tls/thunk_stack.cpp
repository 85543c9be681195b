// sim/thunk_stack.cpp — the shared host thunk stack and the device's thunk block (thunk_stack.h).
// Switches stacks with Boost.Context's fcontext, like the fiber backend, and owns the sanitizer
// annotations of that switch.
#include "thunk_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/detail/fcontext.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "chip_costs.h"  // generated from sim/chip_costs.json
#include "cost_account.h"
#include "crash_record.h"
#include "engine.h"

#if defined(__SANITIZE_ADDRESS__)
#define ESPFLEET_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace bctx = boost::context::detail;

namespace espfleet {

namespace {

thread_local ThunkStack* t_stack = nullptr;  // owned by t_owner
thread_local std::unique_ptr<ThunkStack> t_owner;

struct Call {
  void (*fn)(void*);
  void* arg;
  bctx::fcontext_t back = nullptr;
  const void* caller_bottom = nullptr;
  size_t caller_size = 0;
};

void entry(bctx::transfer_t t) {
  auto* c = static_cast<Call*>(t.data);
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

constexpr size_t kScanChunk = 256;
struct PaintedChunk {
  uint32_t w[kScanChunk / 4];
  PaintedChunk() { std::fill(std::begin(w), std::end(w), ThunkStack::kPaint); }
};
const PaintedChunk kPainted;

}  // namespace

ThunkStack::ThunkStack(size_t bytes) {
  size_t pg = size_t(sysconf(_SC_PAGESIZE));
  bytes_ = (bytes + pg - 1) / pg * pg;
  map_bytes_ = bytes_ + pg;
  void* m = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  map_ = static_cast<uint8_t*>(m);
  mprotect(map_, pg, PROT_NONE);  // the guard page: a host overflow faults instead of corrupting
  lo_ = map_ + pg;
  auto* w = reinterpret_cast<uint32_t*>(lo_);
  std::fill(w, w + bytes_ / 4, kPaint);
}

ThunkStack::~ThunkStack() {
  if (map_) munmap(map_, map_bytes_);
}

ThunkStack& ThunkStack::for_this_thread() {
  if (!t_stack) {
    HostSection host;
    t_owner = std::make_unique<ThunkStack>();
    t_stack = t_owner.get();
  }
  return *t_stack;
}

bool ThunkStack::in_use() { return t_stack && t_stack->active_; }

size_t ThunkStack::scan_and_repaint() {
#ifdef ESPFLEET_ASAN
  __asan_unpoison_memory_region(lo_, bytes_);  // the call's frames are gone (or abandoned)
#endif
  // The lowest word that lost its paint, found from the bottom up (as the core's
  // stack_thunk_get_max_usage does), a chunk at a time.
  const uint8_t* p = lo_;
  const uint8_t* end = lo_ + bytes_;
  while (p + kScanChunk <= end && std::memcmp(p, kPainted.w, kScanChunk) == 0) p += kScanChunk;
  auto* w = reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(p));
  auto* wend = reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(end));
  while (w < wend && *w == kPaint) ++w;
  size_t used = size_t(wend - w) * 4;
  std::fill(w, wend, kPaint);
  return used;
}

size_t ThunkStack::run(void (*fn)(void*), void* arg) {
  if (dirty_) scan_and_repaint();
  Call c{fn, arg};
  active_ = dirty_ = true;
#ifdef ESPFLEET_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, lo_, bytes_);
#endif
  bctx::fcontext_t ctx = bctx::make_fcontext(lo_ + bytes_, bytes_, &entry);
  bctx::jump_fcontext(ctx, &c);
#ifdef ESPFLEET_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  active_ = false;
  size_t used = scan_and_repaint();
  dirty_ = false;
  return used;
}

void ThunkStack::abandon() {
  active_ = false;
  dirty_ = true;
}

// --- target estimate ---

// The chip's figures (sim/chip_costs.json via chip_costs.h).
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
// of different depth that the account cannot tell apart (RSA verify vs public op, X.509 minimal
// engine vs bare decoder), the deepest: the estimate errs towards a larger stack.
uint32_t category_stack(CostCat c) {
  switch (c) {
    case CostCat::ecdhe:  // the client's key exchange runs both in one call
      return std::max(chip::kEcP256Mul.stack_bytes, chip::kEcP256Mulgen.stack_bytes);
    case CostCat::rsa: return std::max(chip::kRsa2048Pkcs1Vrfy.stack_bytes, chip::kRsa2048Public.stack_bytes);
    case CostCat::ecdsa_verify: return chip::kEcdsaP256Vrfy.stack_bytes;  // (muladd runs inside it)
    case CostCat::ecdsa_sign: return chip::kEcdsaP256Sign.stack_bytes;
    case CostCat::hashing: return std::max(chip::kSha256Out.stack_bytes, chip::kSha1Out.stack_bytes);
    case CostCat::prf: return chip::kPrfSha256Master.stack_bytes;
    case CostCat::record_crypto: return chip::kGcmRecordIn16.stack_bytes;
    case CostCat::x509: return std::max(chip::kX509MinimalByte.stack_bytes, chip::kX509DecoderByte.stack_bytes);
    default: return 0;  // engine: the T0 work itself, inside the engine frames
  }
}

// The deepest primitive charged between two snapshots of the cost account.
uint32_t deepest_primitive(const CostAccount& before, const CostAccount& after) {
  uint32_t deepest = 0;
  for (size_t i = 0; i < before.size(); ++i)
    if (after[i] != before[i]) deepest = std::max(deepest, category_stack(CostCat(i)));
  return deepest;
}
}  // namespace

uint32_t device_heap_address(Device& d, const void* p) {
  constexpr uint32_t kDramEnd = 0x3FFFC000;  // user DRAM ends here; the heap is its top part
  auto off = uint32_t(static_cast<const uint8_t*>(p) - d.heap().base());
  return kDramEnd - uint32_t(d.heap().size()) + off;
}

// --- the device's thunk block ---

void thunk_block_adopt(Device& d, void* block, uint32_t size_bytes) {
  d.thunk_block = block;
  d.thunk_size = size_bytes;
  d.stats.thunk_size = size_bytes;
  // stack_thunk_repaint(): the whole block, so its lowest word is the canary.
  uint32_t paint = ThunkStack::kPaint;
  for (uint32_t i = 0; i + 4 <= size_bytes; i += 4) std::memcpy(static_cast<uint8_t*>(block) + i, &paint, 4);
  d.thunk_mirrored = 0;
  d.thunk_last_peak = 0;
  d.thunk_last_peak_target = 0;
}

void thunk_block_forget(Device& d) {
  d.thunk_block = nullptr;
  d.thunk_size = 0;
  d.thunk_mirrored = 0;
}

uint32_t thunk_block_max_usage(const Device& d) {
  uint32_t size = d.thunk_block ? d.thunk_size : d.stats.thunk_size;
  return std::min(d.thunk_last_peak_target, size);
}

namespace {

bool canary_intact(const Device& d) {
  uint32_t w;
  std::memcpy(&w, d.thunk_block, 4);
  return w == ThunkStack::kPaint;
}

// The call used `target` bytes of the chip's thunk stack: its frames cover the block from the
// top word down. Write that part (once), the canary included when the call reached it. The
// model never writes below the block: on the chip that is heap corruption, here the device is
// reset before anything could read it.
void mirror(Device& d, uint32_t target) {
  uint32_t top = (d.thunk_size / 4 - 1) * 4;  // SP starts at the block's last word
  uint32_t want = std::min(target, top);
  if (want <= d.thunk_mirrored) return;
  auto* b = static_cast<uint8_t*>(d.thunk_block);
  std::memset(b + (top - want), 0, want - d.thunk_mirrored);
  d.thunk_mirrored = want;
}

}  // namespace

void thunk_block_call(Engine& eng, Device& d, void (*fn)(void*), void* arg) {
  if (!d.thunk_block || ThunkStack::in_use()) {
    fn(arg);
    return;
  }
  ThunkStack& ts = ThunkStack::for_this_thread();
  d.thunk_sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  CostAccount before = cost_account();
  size_t host = ts.run(fn, arg);
  d.thunk_sp = 0;
  uint32_t target = estimate_target_bytes(host, deepest_primitive(before, cost_account()));
  d.thunk_last_peak = std::max<uint32_t>(d.thunk_last_peak, uint32_t(host));
  d.thunk_last_peak_target = std::max(d.thunk_last_peak_target, target);
  d.stats.thunk_peak = std::max(d.stats.thunk_peak, d.thunk_last_peak);
  d.stats.thunk_peak_target = std::max(d.stats.thunk_peak_target, target);
  if (d.thunk_size < 8) return;
  mirror(d, target);
  if (canary_intact(d)) return;
  // The chip's check after the call: the lowest word is no longer the paint.
  HostSection h;
  std::string record = postmortem_bssl_smashing(
      device_stacks(d, std::max(target, d.thunk_size), cont_depth_estimate(d, __builtin_frame_address(0)), 0));
  char summary[128];
  snprintf(summary, sizeof summary, "BSSL stack smashing (thunk %u B, call needed ~%u B, est. from %zu host B)",
           d.thunk_size, target, host);
  eng.crash(d, kResetStackSmash, summary, record + rom_boot_banner(kResetStackSmash));
}

}  // namespace espfleet
