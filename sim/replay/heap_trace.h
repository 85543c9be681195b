// sim/replay/heap_trace.h — a device's allocation trace in the `espfleet heap` form (`espfleet
// replay --trace-heap`): every request the device's heap takes, each chunk named by its owner tag
// and a counter ("tls.3", "lwip.17") while it lives, with the device time and call site in a
// comment, and "# boot N" where the device rebooted (a fresh heap). `espfleet heap` replays it to
// the same offsets and figures, boot by boot.
#pragma once
#include <fstream>
#include <string>
#include <unordered_map>

#include "chip_kind.h"
#include "device_heap.h"

namespace espfleet {

class HeapTraceWriter final : public HeapObserver {
 public:
  // Throws std::runtime_error when the file cannot be written.
  HeapTraceWriter(const std::string& path, uint32_t device, Chip chip, uint32_t heap_bytes);
  void on_heap_event(const HeapEvent& e) override;

 private:
  std::ofstream out_;
  std::unordered_map<uint32_t, std::string> ids_;  // live chunk → its id
  uint64_t counter_ = 0;
  uint32_t boots_ = 1;
};

}  // namespace espfleet
