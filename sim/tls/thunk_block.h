// sim/tls/thunk_block.h — the device's thunk block: BearSSL's second stack as the chip has it.
//
// The firmware's block stays a real allocation from the device heap (at handshake start, the
// firmware's size; freed after) because that allocation is what fragments and fails on the chip.
// It is painted like the chip's, and its lowest word is the canary. Each engine call runs on the
// host's shared thunk stack (thunk_stack.h); its *estimated target* use is then written into the
// block from its top down, so a call that needs more than the block overwrites the canary, and the
// chip's own check after each call (lowest word still 0xdeadbeef?) finds it: "BSSL stack smashing"
// (reason 253), which the device then reports.
#pragma once
#include <cstddef>
#include <cstdint>

namespace espfleet {

class CostMeter;

class ThunkBlock {
 public:
  struct Figures {
    uint32_t size = 0;         // bytes of the last block allocated (0 = never)
    uint32_t peak_host = 0;    // host bytes: the deepest thunked call (thunk stack paint)
    uint32_t peak_target = 0;  // … estimated on the chip
  };
  struct Call {
    size_t host = 0;       // host bytes it used
    uint32_t target = 0;   // estimated chip bytes
    bool smashed = false;  // it overwrote the block's canary
  };

  // The platform allocated the block (size bytes from the device heap): paint it (its lowest word
  // is the canary) and start this handshake's figures.
  void adopt(void* block, uint32_t size);
  // Before the platform frees it: the block it should free (nullptr when none is held).
  void* forget();
  // The core's refcount (stack_thunk_add_ref/del_ref): adopt() is the first reference; another
  // holder adds one; release() says whether the last one went (then the platform frees the block).
  void add_ref() { ++refs_; }
  bool release() { return refs_ && --refs_ == 0; }
  uint32_t refs() const { return refs_; }
  // A reboot: the heap that held the block is gone.
  void drop() { forget(); }

  bool held() const { return block_ != nullptr; }
  const uint8_t* block() const { return static_cast<const uint8_t*>(block_); }
  uint32_t size() const { return size_; }
  // The fiber's stack pointer at the thunked call under way (0: none): where the cont stack stops.
  uintptr_t call_sp() const { return sp_; }
  // What the chip's stack_thunk_get_max_usage() would return: the last (or current) handshake's
  // deepest call in estimated target bytes, clamped to its block.
  uint32_t max_usage() const;
  uint32_t last_peak_host() const { return last_peak_; }  // host bytes of this handshake's deepest call
  const Figures& figures() const { return figures_; }

  // One BearSSL engine call: on the thunk stack while a block is held (measured, mirrored into
  // the block, canary checked), else in place on the fiber's stack (Tasmota's light thunk does
  // the same when its refcount is 0) — unless `measure`: a chip without a thunk, whose BearSSL
  // runs on the program's own stack, has the call measured on the host's thunk stack all the
  // same (its estimated target bytes are the program stack's to hold). meter: the device's,
  // whose categories say what ran.
  Call call(void (*fn)(void*), void* arg, CostMeter& meter, bool measure = false);

 private:
  void mirror(uint32_t target);
  bool canary_intact() const;

  void* block_ = nullptr;
  uint32_t size_ = 0;
  uint32_t refs_ = 0;
  uintptr_t sp_ = 0;
  uint32_t last_peak_ = 0;         // host bytes the current handshake's calls used
  uint32_t last_peak_target_ = 0;  // … estimated target bytes
  uint32_t mirrored_ = 0;          // target bytes written into the block so far
  Figures figures_;
};

}  // namespace espfleet
