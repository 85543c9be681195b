// tests/sim/engine/test_wall_offset.cpp — realtime under load: a task the host wakes late keeps
// its clock and carries the lateness as its wall offset; a wait on its peer then lasts its device
// time in wall time (host lag never becomes a timeout), and a sleep on nothing pays it back.
#include <doctest/doctest.h>

#include <uv.h>

#include <initializer_list>
#include <vector>

#include "scheduler.h"

using namespace espfleet;

namespace {

// A task whose slices run a body on a fiber of its own.
struct BodyTask : Task {
  explicit BodyTask(void (*body)(BodyTask&)) : Task(clock_), body_(body) {
    fiber().arm(
        stack_.data(), stack_.size(), [](void* self) { static_cast<BodyTask*>(self)->enter(); }, this);
  }
  void run_slice() override { fiber().resume(); }
  void enter() {
    body_(*this);
    for (;;) sched->park_until(*this, now() + VTime::from_s(3600), WaitOn::nothing);
  }
  Scheduler* sched = nullptr;
  CycleClock clock_{80};
  std::vector<uint8_t> stack_ = std::vector<uint8_t>(64 * 1024);
  void (*body_)(BodyTask&);
};

double wall_ms() { return double(uv_hrtime()) / 1e6; }

// Runs the tasks, all booting at 0, in realtime for `duration`; returns the scheduler's stats.
SchedulerStats run_realtime(VTime duration, std::initializer_list<BodyTask*> tasks) {
  SchedulerOptions o;
  o.mode = RunMode::realtime;
  o.duration = duration;
  Scheduler s(o);
  for (BodyTask* t : tasks) {
    t->sched = &s;
    s.wake_at(*t, VTime{});
  }
  s.run();
  return s.stats();
}

struct Seen {
  double waited_wall_ms = -1;  // the peer wait, in wall time
  VTime clock_after_wait{}, offset_after_wait{}, offset_after_sleep{};
  VTime clock_at_first_slice{-1};
} g_seen;

void hog(BodyTask&) {
  const double until = wall_ms() + 300;  // the host is busy: everything else waits
  while (wall_ms() < until) {}
}

void waiter(BodyTask& t) {
  g_seen.clock_at_first_slice = t.now();  // woken ~300 ms late: its clock is still 0
  const double w0 = wall_ms();
  t.sched->park_io(t, t.now() + VTime::from_ms(100), WaitOn::peer);  // a reply that never comes
  g_seen.waited_wall_ms = wall_ms() - w0;
  g_seen.clock_after_wait = t.now();
  g_seen.offset_after_wait = t.wall_offset();
  t.sched->park_until(t, VTime::from_ms(1000), WaitOn::nothing);  // idle: the offset is paid back
  g_seen.offset_after_sleep = t.wall_offset();
}

}  // namespace

TEST_CASE("realtime: a late wake-up becomes the task's wall offset, not elapsed device time") {
  BodyTask a(hog), b(waiter);
  const SchedulerStats st = run_realtime(VTime::from_ms(1300), {&a, &b});

  CHECK(g_seen.clock_at_first_slice == VTime{});
  // The 100 ms timeout took 100 ms of wall time, although the wall was already 300 ms past it
  // when the task parked: without the offset it would have fired at once.
  CHECK(g_seen.waited_wall_ms >= 90);
  CHECK(g_seen.clock_after_wait == VTime::from_ms(100));
  CHECK(g_seen.offset_after_wait >= VTime::from_ms(250));
  // The sleep to t = 1 s ended when the wall reached 1 s: the offset is (nearly) gone.
  CHECK(g_seen.offset_after_sleep < VTime::from_ms(200));
  CHECK(st.lag_max_ms >= 250);  // reported: the task fell that far behind
}

namespace {
double g_poll_wall_ms = -1;
void poller(BodyTask& t) {
  const double w0 = wall_ms();
  for (int i = 0; i < 300; ++i) t.sched->park_until(t, t.now() + VTime::from_ms(1), WaitOn::peer);  // delay(1)
  g_poll_wall_ms = wall_ms() - w0;
}
}  // namespace

TEST_CASE("realtime: the timer's own lateness never adds up into a clock that runs slow") {
  BodyTask p(poller);
  run_realtime(VTime::from_ms(600), {&p});
  // 300 polls of 1 ms of device time, each woken a fraction of a millisecond late: 300 ms of wall
  // time, not 300 × (1 ms + the lateness).
  CHECK(g_poll_wall_ms >= 299);
  CHECK(g_poll_wall_ms < 400);
  CHECK(p.wall_offset() < VTime::from_ms(10));
}
