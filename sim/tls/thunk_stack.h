// sim/thunk_stack.h — BearSSL's second stack (DESIGN §3 "Thunk stack"), host side and device side.
//
// Host side: one shared stack per thread, painted 0xdeadbeef (the core's stack_thunk paint) with
// a PROT_NONE guard page below it. BearSSL never yields inside an engine call, so all the devices
// of a thread can share it: a thunked call switches to it (a fresh Boost.Context fcontext per
// call), runs and switches back; a scan of the paint then gives the call's host high-water mark
// and the used part is repainted for the next call.
//
// Device side: the firmware's thunk block stays a real allocation from the device heap (at
// handshake start, the firmware's size; freed after) because that allocation is what fragments
// and fails on the chip. It is painted like the chip's, and its lowest word is the canary. After
// each call the call's *estimated target* use is written into the block from its top down, so a
// call that needs more than the block overwrites the canary, and the chip's own check after each
// call (lowest word still 0xdeadbeef?) kills the device with "BSSL stack smashing" (reason 253).
//
// Target estimate: host bytes × kTargetPerHostByte (see estimate_target_bytes and
// docs/thunk-stack.md for where the factor comes from).
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

class Device;
class Engine;

class ThunkStack {
public:
  static constexpr uint32_t kPaint = 0xdeadbeef;
#if defined(__SANITIZE_ADDRESS__)
  static constexpr size_t kDefaultBytes = 256 * 1024;  // ASan frames carry redzones
#else
  static constexpr size_t kDefaultBytes = 48 * 1024;   // BearSSL's deepest host call: ~5 KB
#endif

  explicit ThunkStack(size_t bytes = kDefaultBytes);
  ~ThunkStack();
  ThunkStack(const ThunkStack&) = delete;
  ThunkStack& operator=(const ThunkStack&) = delete;

  // Run fn(arg) on this stack and return the bytes it used (paint scan). fn must not park the
  // fiber. If fn never comes back (the device crashed inside it), call abandon().
  size_t run(void (*fn)(void*), void* arg);
  bool active() const { return active_; }
  void abandon();  // the call under way was left for good: repaint before the next one

  size_t size() const { return bytes_; }
  const uint8_t* bottom() const { return lo_; }
  const uint8_t* top() const { return lo_ + bytes_; }

  // This thread's stack, created on first use (host memory).
  static ThunkStack& for_this_thread();
  // Whether this thread is running on its thunk stack right now.
  static bool in_use();

private:
  size_t scan_and_repaint();  // bytes used since the last repaint; repaints them

  uint8_t* map_ = nullptr;  // guard page + stack
  size_t map_bytes_ = 0;
  uint8_t* lo_ = nullptr;   // lowest usable byte (just above the guard page)
  size_t bytes_ = 0;
  bool active_ = false;
  bool dirty_ = false;      // paint is not known to be intact
};

// Target (lx106) stack bytes of one thunked call, estimated (docs/thunk-stack.md):
//   engine_frames_target() + the deepest chip primitive the call ran, or, when it ran none,
//   host_bytes × target_per_host_byte().
// The first term scales the host measurement by the ratio of one handshake's thunk high-water on
// the chip (sim/chip_costs.json handshake_ecdhe_rsa_client: ECDHE_RSA, pinned key, no client
// certificate) to the same handshake's host high-water here (kHostPinnedHandshakeBytes). The
// second adds the chip-measured stack of the deepest BearSSL primitive the call charged (learned
// from the cost account: EC, RSA, ECDSA, X.509, PRF, hashing, GCM; chip_costs.json stack_bytes)
// to the engine's own frames above it (that handshake's chip high-water minus its deepest
// primitive, the P-256 multiply in the chip build trimmed to RSA-2048). The host runs BearSSL's fast m31/i62 code, whose depth does
// not follow the chip's i15/m15 code: the second term carries what differs between primitives
// (the chip's ECDSA sign and verify are deeper than anything in the pinned ECDHE_RSA handshake).
inline constexpr uint32_t kHostPinnedHandshakeBytes = 4296;  // measured: docs/thunk-stack.md
uint32_t estimate_target_bytes(size_t host_bytes, uint32_t deepest_primitive_target = 0);
double target_per_host_byte();
uint32_t engine_frames_target();

// --- the device's thunk block (called by the platform on the device's fiber) ---

// The platform allocated the block (size_bytes from the device heap): paint it (its lowest word
// is the canary) and start this handshake's figures. Before the platform frees it: forget it.
void thunk_block_adopt(Device& d, void* block, uint32_t size_bytes);
void thunk_block_forget(Device& d);
// One BearSSL engine call: on the thunk stack while the device holds a block (measured, mirrored
// into the block, canary checked — may crash the device), else in place on the fiber's stack
// (Tasmota's light thunk does the same when its refcount is 0).
void thunk_block_call(Engine& eng, Device& d, void (*fn)(void*), void* arg);
// Estimated target bytes of the last (or current) handshake, clamped to its block: what the
// chip's stack_thunk_get_max_usage() would return.
uint32_t thunk_block_max_usage(const Device& d);

// The device address the chip would give byte p of the device heap (heap ends at 0x3FFFC000).
uint32_t device_heap_address(Device& d, const void* p);

}  // namespace espfleet
