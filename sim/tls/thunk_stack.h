// sim/tls/thunk_stack.h — BearSSL's second stack, host side (docs/thunk-stack.md), and the
// estimate of what a call on it would use on the chip.
//
// One shared stack per thread, painted 0xdeadbeef (the core's stack_thunk paint) with a PROT_NONE
// guard page below it. BearSSL never yields inside an engine call, so all the devices of a thread
// can share it: a thunked call runs on it (engine/fiber.h call_on_stack); a scan of the paint then
// gives the call's host high-water mark, and the used part is repainted for the next call.
#pragma once
#include <cstddef>
#include <cstdint>

#include "chip_kind.h"
#include "guarded_stack.h"

namespace espfleet {

class ThunkStack {
 public:
  static constexpr uint32_t kPaint = 0xdeadbeef;
#if defined(__SANITIZE_ADDRESS__)
  static constexpr size_t kDefaultBytes = 256 * 1024;  // ASan frames carry redzones
#else
  static constexpr size_t kDefaultBytes = 48 * 1024;  // BearSSL's deepest host call: ~5 KB
#endif

  explicit ThunkStack(size_t bytes = kDefaultBytes);
  ThunkStack(const ThunkStack&) = delete;
  ThunkStack& operator=(const ThunkStack&) = delete;

  // Run fn(arg) on this stack and return the bytes it used (paint scan). fn must not park the
  // fiber. If fn never comes back (the device crashed inside it), call abandon().
  size_t run(void (*fn)(void*), void* arg);
  void abandon();  // the call under way was left for good: repaint before the next one

  size_t size() const { return stack_.size(); }
  const uint8_t* bottom() const { return stack_.bottom(); }
  const uint8_t* top() const { return stack_.top(); }

  // This thread's stack, created on first use (host memory).
  static ThunkStack& for_this_thread();
  // Whether this thread is running a call on its thunk stack right now.
  static bool in_use();

 private:
  size_t scan_and_repaint();  // bytes used since the last repaint; repaints them

  GuardedStack stack_;
  bool dirty_ = false;  // paint is not known to be intact
};

// Target (lx106) stack bytes of one thunked call, estimated (docs/thunk-stack.md):
//   engine_frames_target() + the deepest chip primitive the call ran, or, when it ran none,
//   host_bytes × target_per_host_byte().
// The first term scales the host measurement by the ratio of one handshake's thunk high-water on
// the chip (chip_costs.json handshake_ecdhe_rsa_client: ECDHE_RSA, pinned key, no client
// certificate) to the same handshake's host high-water here (kHostPinnedHandshakeBytes). The
// second adds the chip-measured stack of the deepest BearSSL primitive the call charged (the cost
// meter's categories: EC, RSA, ECDSA, X.509, PRF, hashing, GCM; chip_costs.json stack_bytes) to
// the engine's own frames above it (that handshake's chip high-water minus its deepest primitive,
// the P-256 multiply in the chip build trimmed to RSA-2048). The host runs BearSSL's fast m31/i62
// code, whose depth does not follow the chip's i15/m15 code: the second term carries what differs
// between primitives (the chip's ECDSA sign and verify are deeper than anything in the pinned
// ECDHE_RSA handshake).
inline constexpr uint32_t kHostPinnedHandshakeBytes = 4296;  // measured: docs/thunk-stack.md
// Each on the chip's own table (the ESP8266's lx106 unless another chip is named).
uint32_t estimate_target_bytes(size_t host_bytes, uint32_t deepest_primitive_target = 0, Chip chip = Chip::esp8266);
double target_per_host_byte(Chip chip = Chip::esp8266);
uint32_t engine_frames_target(Chip chip = Chip::esp8266);
// The chip stack of the deepest primitive among the cost categories `touched` (CostMeter bits).
uint32_t deepest_primitive_stack(uint32_t touched, Chip chip = Chip::esp8266);

}  // namespace espfleet
