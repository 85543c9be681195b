// sim/engine/scheduler.h — the scheduler: many tasks, one libuv loop, virtual time.
//
// Tasks run one at a time on their fibers. A parked task waits on a timer ordered by (virtual
// time, sequence number) — ties run in a fixed order. Realtime mode fires a timer when the wall
// clock reaches it (no task runs ahead of the wall clock); fast mode jumps virtual time to the
// next timer, past a task the host holds (its peer has not answered yet: it catches up when the
// answer comes); a host event waits until every task has reached its time.
//
// Realtime under load (docs/scale.md, "How to read lag"): a task the host wakes late does not see
// the lateness as time passing. Its clock stays where its wake-up was due and the lateness becomes
// its wall offset — how far its clock runs behind the wall; what arrives for it is stamped on its
// side of the offset, and a wait on its peer ends an offset after its device time. The offset is
// paid back only by a wait on nothing (a sleep with no reply outstanding), which ends when the
// wall reaches its device time. So host lag never turns into a timeout the device would not have
// had, and a fleet the host cannot keep up with is reported (host.lag_max_ms, lagged devices) with
// histories that are still the devices' own.
#pragma once
#include <uv.h>

#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "host_clock.h"
#include "run_mode.h"
#include "sim_time.h"
#include "task.h"
#include "timeline_kind.h"

namespace spdlog {
class logger;
}

namespace espfleet {

// Something the host does at a device time (a broker restart): in fast mode it happens once every
// task has reached `at`, and the fleet waits, up to `settle` of host time, until `settled` says its
// effects (the broker's closes) have reached the tasks.
struct HostEvent {
  VTime at;
  std::string name;
  std::function<void()> run;
  std::function<bool()> settled;  // may be empty
  HostTime settle = HostTime::from_ms(3000);
  TimelineKind kind = TimelineKind::other;  // what it is on the run's timeline
  int32_t fault = -1;                       // the [[faults]] entry it comes from (-1: none)
};

struct SchedulerOptions {
  RunMode mode = RunMode::realtime;
  VTime duration = VTime::from_s(60);
  std::vector<HostEvent> host_events;   // in time order
  std::function<void()> on_tick;        // about every 250 ms of wall time (progress, signals)
  std::shared_ptr<spdlog::logger> log;  // where host events are logged
};

struct SchedulerStats {
  // Realtime: wake-ups by how late they were (against their task's wall offset), in whole ms; the
  // last bucket holds every one this late or later (report/histogram.h makes the distribution).
  static constexpr size_t kWakeLagBuckets = 1024;
  std::array<uint64_t, kWakeLagBuckets> wake_lag_ms{};
  double lag_max_ms = 0;        // realtime: the furthest a task's clock fell behind the wall
  uint64_t wakeups = 0;         // a parked task resumed by the scheduler
  uint64_t caught_up = 0;       // realtime: parks behind the wall clock that went on at once (park)
  uint64_t lagged_wakeups = 0;  // woke more than 50 ms late
  double wall_seconds = 0;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions opts);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void run();  // until the duration, or request_stop()
  void request_stop() { stop_ = true; }
  void set_on_tick(std::function<void()> f) { opts_.on_tick = std::move(f); }

  bool realtime() const { return opts_.mode == RunMode::realtime; }
  VTime duration() const { return opts_.duration; }
  const SchedulerStats& stats() const { return stats_; }
  uv_loop_t* loop() { return &loop_; }
  // The clock every task is held to: wall time since start (realtime) or virtual time (fast).
  VTime now() const;
  VTime wall_now() const;
  // uv_hrtime() at wall time 0: a host clock reading (host_now()) minus this is wall time.
  uint64_t wall_origin_ns() const { return wall_origin_ns_; }
  // Fast mode: the fleet's present for anything a peer sends unasked.
  VTime event_floor() const { return realtime() ? wall_now() : std::max(virt_now_, event_floor_); }

  // A task's first wake-up (its boot), or a wake-up from the scheduler's side.
  void wake_at(Task& t, VTime at);

  // --- on the task's fiber ---
  // A yield: sleep until virtual time t (task.yielded() follows).
  void park_until(Task& t, VTime at, WaitOn on = WaitOn::peer);
  // Wait for signal_io() or the deadline (task.yielded() follows).
  void park_io(Task& t, VTime deadline, WaitOn on = WaitOn::peer);
  // Realtime host pacing (not a yield): is the task's clock ahead of the wall clock (less its
  // offset), and wait until the wall reaches it.
  bool ahead_of_wall(const Task& t) const;
  void wait_for_wall(Task& t);
  // Host pacing (not a yield): hold the task until release() or the host time `deadline`.
  void host_park(Task& t, HostTime deadline);

  // The host events run so far: the first host_events_run() of host_events(), in time order.
  const std::vector<HostEvent>& host_events() const { return opts_.host_events; }
  size_t host_events_run() const { return next_host_event_; }

  // --- from callbacks (between slices) ---
  void signal_io(Task& t, VTime visible_at);  // what it waits for is visible at visible_at
  void release(Task& t);                      // a held task may go on (its peer answered)

 private:
  struct Timer {
    VTime key;  // when it fires: `at` in fast mode, on the wall clock in realtime
    VTime at;   // the task's device time then
    uint64_t seq;
    Task* task;
    uint64_t task_seq;
    bool operator>(const Timer& o) const { return key != o.key ? key > o.key : seq > o.seq; }
  };
  // The wall (realtime) or virtual (fast) time a wait until device time `at` ends.
  VTime fire_key(const Task& t, VTime at, WaitOn on) const;
  void schedule(Task& t, VTime at, WaitOn on);
  void park(Task& t, VTime at, WaitOn on);
  bool catch_up(Task& t, VTime at, WaitOn on);
  // Realtime: reads what has arrived between slices of a long batch, so arrivals are stamped
  // when they come rather than when the batch ends.
  static constexpr uint64_t kPollEveryNs = 2'000'000;
  // Realtime: lateness a wake-up's offset ignores (timer granularity, not host load).
  static constexpr VTime kOffsetNoise = VTime::from_ms(10);
  // Parks behind the wall clock one slice may go on through before it gives the loop back.
  static constexpr uint32_t kCatchUpParks = 1024;
  void expire_holds();
  void poll_held();
  void poll_for(uint64_t timeout_ms);
  bool run_host_event_if_due();
  bool finished() const;
  bool fire_due();
  void resumes_late(Task& t);
  void note_behind(Task& t, VTime wall);  // its wall offset, and the lag figures
  void wait_for_events();

  SchedulerOptions opts_;
  uv_loop_t loop_{};
  uv_timer_t guard_{};
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::vector<Task*> ready_;
  std::vector<Task*> held_;
  uint64_t seq_ = 0;
  VTime virt_now_{};
  uint64_t wall_origin_ns_ = 0;
  size_t next_host_event_ = 0;
  VTime event_floor_{};
  bool stop_ = false;
  SchedulerStats stats_;
};

}  // namespace espfleet
