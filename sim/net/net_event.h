// sim/net/net_event.h — what reaches a device from outside, as its network sees it: the results
// of its connects, bytes, closes, write completions, and the checkpoints a recording needs (its
// own writes, the host's holds). A device's tape (sim/replay/tape.h) is a list of these, and a
// recorder is what the network hands them to as they happen.
#pragma once
#include <cstdint>
#include <string>

#include "sim_time.h"

namespace espfleet {

// Where the host held a device for its own sake (a host park), recorded as a checkpoint.
enum class ParkSite : int32_t { sync = 1, connect = 2, reply = 3, flush = 4 };

enum class NetEventKind : uint8_t {
  connect = 1,     // status: 0 connected, else the libuv error; stamp: when the device sees it
  data = 2,        // bytes received; stamp: when they become visible
  close = 3,       // peer closed (status 0) or the connection failed (libuv error)
  write_done = 4,  // a write completed; status: libuv status
  write = 5,       // checkpoint: the device wrote `length` bytes with this hash
  host_park = 6,   // checkpoint: the host held the device here (status: the ParkSite)
};

struct NetEvent {
  NetEventKind kind{};
  uint64_t slice = 0;   // the device's suspension count when it happened (Task::slices)
  uint32_t handle = 0;  // the device's socket handle (1-based); 0 for host_park
  int32_t status = 0;
  VTime stamp{};
  uint64_t hash = 0;    // write: FNV-1a of the bytes
  uint32_t length = 0;  // write: bytes written
  std::string bytes;    // data
};

class NetRecorder {
 public:
  virtual void record(const NetEvent& e) = 0;

 protected:
  ~NetRecorder() = default;
};

// FNV-1a over the bytes a device writes (its write checkpoints).
uint64_t hash_bytes(const uint8_t* p, size_t n);

}  // namespace espfleet
