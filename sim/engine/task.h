// sim/engine/task.h — what the scheduler runs: a fiber with a cycle clock, and the scheduling
// state the scheduler keeps for it (its pending wake-up, I/O wait, host hold and slice count).
// The owner (a device) says what a slice is and what a yield means to it.
#pragma once
#include <cstdint>

#include "cycle_clock.h"
#include "fiber.h"
#include "host_clock.h"

namespace espfleet {

class Scheduler;

// What a park waits on, in realtime: its peer (the wait ends an offset after its device time, so
// host lag is not seen as the peer's slowness) or nothing (a sleep with no reply outstanding: it
// ends when the wall reaches its device time, paying the offset back). See scheduler.h.
enum class WaitOn : uint8_t { peer, nothing };

class Task {
 public:
  explicit Task(CycleClock& clock) : clock_(clock) {}
  virtual ~Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // The scheduler's call when the task is due: resume its fiber, with the owner's bookkeeping.
  virtual void run_slice() = 0;
  // Back on the fiber after park_until / park_io: the task yielded (a device feeds its watchdogs).
  virtual void yielded() {}

  CycleClock& clock() const { return clock_; }
  VTime now() const { return clock_.now(); }
  Fiber& fiber() { return fiber_; }
  const Fiber& fiber() const { return fiber_; }
  // Times the fiber suspended: the clock a device's tape is kept by (sim/replay/tape.h).
  uint64_t slices() const { return slices_; }
  bool held() const { return held_; }  // held by the host (Scheduler::host_park)
  // Realtime: how far behind the wall clock it ever resumed (a wake-up or a caught-up park).
  VTime lag_max() const { return lag_max_; }
  // Realtime: how far its clock runs behind the wall clock now (Scheduler, "wall offset"): what
  // arrives is stamped on the device's side of it, so host lag is not seen as network time.
  VTime wall_offset() const { return wall_offset_; }
  // From inside the fiber: back to the scheduler, counted.
  void suspend() {
    slices_++;
    fiber_.suspend();
  }

 private:
  friend class Scheduler;
  CycleClock& clock_;
  Fiber fiber_;
  uint64_t slices_ = 0;
  uint64_t wake_seq_ = 0;  // the pending wake-up's sequence (older timers are void)
  VTime lag_max_{};
  VTime wall_offset_{};
  VTime fired_key_{};           // the key of the timer that made it ready (Scheduler::resumes_late)
  uint32_t catch_up_left_ = 0;  // parks this slice may still go on through (Scheduler::park)
  HostTime hold_deadline_{};
  bool held_ = false;
  bool waiting_io_ = false;
  bool io_signalled_ = false;
  VTime io_deadline_{};  // park_io's deadline: a signal never wakes the task later than it
};

}  // namespace espfleet
