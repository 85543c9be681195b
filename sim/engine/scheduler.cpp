// sim/engine/scheduler.cpp — the scheduler loop: timers in virtual time, fibers, libuv I/O,
// host holds and host events.
#include "scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace espfleet {

HostTime host_now() { return HostTime{uv_hrtime()}; }

namespace {
void check_not_in_stack_call() {
  // BearSSL never yields inside an engine call; the shared thunk stack relies on it.
  if (stack_call_active()) {
    spdlog::critical("a task parked inside a call on another stack (a thunked BearSSL call)");
    std::abort();
  }
}
}  // namespace

Scheduler::Scheduler(SchedulerOptions opts) : opts_(std::move(opts)) {
  if (!opts_.log) opts_.log = spdlog::default_logger();
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &guard_);
  wall_origin_ns_ = uv_hrtime();
}

Scheduler::~Scheduler() {
  uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
  for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT); ++i) {}
  uv_loop_close(&loop_);
}

VTime Scheduler::wall_now() const { return VTime::from_ns(int64_t(uv_hrtime() - wall_origin_ns_)); }
VTime Scheduler::now() const { return realtime() ? wall_now() : virt_now_; }

VTime Scheduler::fire_key(const Task& t, VTime at, WaitOn on) const {
  return realtime() && on == WaitOn::peer ? at + t.wall_offset_ : at;
}

void Scheduler::schedule(Task& t, VTime at, WaitOn on) {
  t.wake_seq_++;
  timers_.push(Timer{fire_key(t, at, on), at, seq_++, &t, t.wake_seq_});
}

void Scheduler::wake_at(Task& t, VTime at) { schedule(t, at, WaitOn::nothing); }

// A park whose time the wall clock has already passed (realtime, the task behind) goes on at
// once: whatever the task can see by then is already stamped — bytes not yet read from the host's
// sockets will be stamped later than now — so suspending and being resumed at once would show it
// the same world, at the cost of a round trip through the loop per park. A polling loop that is
// L behind (delay(1), yield()) so catches up without L / 1 ms wake-ups. It still counts as a
// slice, so a tape keeps the same slice numbers, and a slice goes on through a bounded number of
// parks before it gives the loop back.
bool Scheduler::catch_up(Task& t, VTime at, WaitOn on) {
  if (!realtime() || t.catch_up_left_ == 0) return false;
  VTime wall = wall_now();
  if (fire_key(t, at, on) > wall) return false;
  t.catch_up_left_--;
  t.clock().advance_to(at);
  note_behind(t, wall);
  t.slices_++;
  stats_.caught_up++;
  return true;
}

void Scheduler::park(Task& t, VTime at, WaitOn on) {
  check_not_in_stack_call();
  t.waiting_io_ = false;
  if (catch_up(t, at, on)) return;
  schedule(t, at, on);
  t.suspend();
}

void Scheduler::park_until(Task& t, VTime at, WaitOn on) {
  park(t, at, on);
  t.yielded();
}

void Scheduler::park_io(Task& t, VTime deadline, WaitOn on) {
  check_not_in_stack_call();
  t.waiting_io_ = true;
  t.io_signalled_ = false;
  t.io_deadline_ = deadline;
  schedule(t, deadline, on);
  t.suspend();
  t.waiting_io_ = false;
  t.yielded();
}

void Scheduler::signal_io(Task& t, VTime visible_at) {
  if (!t.waiting_io_ || t.io_signalled_) return;
  const VTime at = std::max(visible_at, t.now());
  if (at >= t.io_deadline_) return;  // the deadline comes first: its wake-up stands
  t.io_signalled_ = true;
  schedule(t, at, WaitOn::peer);
}

bool Scheduler::ahead_of_wall(const Task& t) const {
  return realtime() && t.now() + t.wall_offset_ > wall_now() + VTime::from_ms(1);
}

void Scheduler::wait_for_wall(Task& t) { park(t, t.now(), WaitOn::peer); }

void Scheduler::host_park(Task& t, HostTime deadline) {
  check_not_in_stack_call();
  t.held_ = true;
  t.hold_deadline_ = deadline;
  t.wake_seq_++;  // no timer of its own while held
  held_.push_back(&t);
  t.suspend();
}

void Scheduler::release(Task& t) {
  if (!t.held_) return;
  t.held_ = false;
  held_.erase(std::find(held_.begin(), held_.end(), &t));
  ready_.push_back(&t);
}

void Scheduler::expire_holds() {
  if (held_.empty()) return;
  HostTime now = host_now();
  for (size_t i = 0; i < held_.size();) {
    Task* t = held_[i];
    if (now >= t->hold_deadline_)
      release(*t);
    else
      ++i;
  }
}

// Realtime, as a woken task resumes: how late against its key (the host's lateness this time, in
// the stats), and how far its clock — still at its wake-up's device time — is behind the wall:
// its offset from now on.
void Scheduler::resumes_late(Task& t) {
  const VTime wall = wall_now();
  const double late = (wall - t.fired_key_).ms_f();
  if (late > 50) stats_.lagged_wakeups++;
  stats_.wake_lag_ms[std::min<size_t>(size_t(std::max(0.0, late)), SchedulerStats::kWakeLagBuckets - 1)]++;
  note_behind(t, wall);
}

// Behind by more than the offset it had, beyond the host's timer noise: the host was late, and
// the device carries it. Less: paid back (a wait on nothing). Within the noise: unchanged, so the
// wake-ups' usual fraction of a millisecond never adds up into a clock that runs slow.
void Scheduler::note_behind(Task& t, VTime wall) {
  const VTime behind = std::max(VTime{}, wall - t.now());
  if (behind > t.wall_offset_ + kOffsetNoise || behind < t.wall_offset_) t.wall_offset_ = behind;
  stats_.lag_max_ms = std::max(stats_.lag_max_ms, behind.ms_f());
  t.lag_max_ = std::max(t.lag_max_, behind);
}

bool Scheduler::fire_due() {
  VTime now = this->now();
  bool any = false;
  while (!timers_.empty() && timers_.top().key <= now) {
    Timer t = timers_.top();
    timers_.pop();
    if (t.task_seq != t.task->wake_seq_) continue;  // superseded
    t.task->clock().advance_to(t.at);
    t.task->fired_key_ = t.key;
    stats_.wakeups++;
    t.task->waiting_io_ = false;  // due: an arrival read before it runs finds it awake already
    t.task->catch_up_left_ = kCatchUpParks;
    ready_.push_back(t.task);
    any = true;
  }
  return any;
}

// One bounded poll of the loop. The guard bounds it. It repeats: UV_RUN_ONCE runs due timers
// *before* polling, and a one-shot guard that fell due in between would leave the poll with no
// timeout at all.
void Scheduler::poll_for(uint64_t timeout_ms) {
  if (timeout_ms == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    return;
  }
  uv_update_time(&loop_);
  uv_timer_start(
      &guard_, [](uv_timer_t*) {}, timeout_ms, timeout_ms);
  uv_run(&loop_, UV_RUN_ONCE);
  uv_timer_stop(&guard_);
}

void Scheduler::wait_for_events() {
  if (realtime()) {
    uint64_t timeout_ms = 100;
    if (!timers_.empty()) {
      VTime gap = timers_.top().key - wall_now();
      timeout_ms = gap.ns <= 0 ? 0 : std::min<uint64_t>(100, uint64_t(gap.ns + 999999) / 1000000);
    }
    poll_for(timeout_ms);
    return;
  }
  // Fast: time jumps to the next timer — past a held task too (it catches up when its peer
  // answers): tasks meet only through the broker. A host event waits for every task.
  if (run_host_event_if_due()) return;
  VTime next = timers_.empty() ? opts_.duration : std::min(timers_.top().key, opts_.duration);
  bool event_first = next_host_event_ < opts_.host_events.size() && opts_.host_events[next_host_event_].at <= next;
  if (!event_first && (!timers_.empty() && timers_.top().key <= opts_.duration)) {
    virt_now_ = std::max(virt_now_, next);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return;
  }
  if (!held_.empty()) {
    poll_held();
    return;
  }
  if (event_first) return;  // run_host_event_if_due runs it next time round
  virt_now_ = std::max(virt_now_, opts_.duration);
  uv_run(&loop_, UV_RUN_NOWAIT);
}

// Fast mode: poll the network for the held tasks' peers, until the nearest hold deadline.
void Scheduler::poll_held() {
  uint64_t now = uv_hrtime(), first = UINT64_MAX;
  for (Task* t : held_) first = std::min(first, t->hold_deadline_.ns);
  poll_for(first <= now ? 0 : std::min<uint64_t>(100, (first - now + 999999) / 1000000));
  expire_holds();
}

// Fast mode: a host event runs once no task is behind it (none held, none ready, no timer
// before it); then the fleet waits for its effects to arrive.
bool Scheduler::run_host_event_if_due() {
  if (realtime() || next_host_event_ >= opts_.host_events.size()) return false;
  HostEvent& ev = opts_.host_events[next_host_event_];
  if (!held_.empty() || !ready_.empty() || (!timers_.empty() && timers_.top().key < ev.at) || ev.at > opts_.duration)
    return false;
  next_host_event_++;
  virt_now_ = std::max(virt_now_, ev.at);
  event_floor_ = ev.at;
  opts_.log->warn("[{:>11.6f}] host: {}", ev.at.seconds(), ev.name);
  if (ev.run) ev.run();
  uint64_t until = uv_hrtime() + ev.settle.ns;
  while (ev.settled && !ev.settled() && uv_hrtime() < until) poll_for(5);
  uv_run(&loop_, UV_RUN_NOWAIT);
  return true;
}

bool Scheduler::finished() const {
  if (realtime()) return now() >= opts_.duration;
  return virt_now_ >= opts_.duration && held_.empty() && ready_.empty() &&
         (timers_.empty() || timers_.top().key > opts_.duration);
}

void Scheduler::run() {
  wall_origin_ns_ = uv_hrtime();
  uint64_t last_tick = wall_origin_ns_;
  std::vector<Task*> batch;
  while (!stop_) {
    fire_due();
    batch.swap(ready_);
    uint64_t polled = uv_hrtime();
    for (Task* t : batch) {
      if (realtime()) resumes_late(*t);
      t->run_slice();
      if (realtime() && uv_hrtime() - polled > kPollEveryNs) {
        uv_run(&loop_, UV_RUN_NOWAIT);
        polled = uv_hrtime();
      }
    }
    batch.clear();
    if (finished()) break;
    if (realtime() && next_host_event_ < opts_.host_events.size() &&
        opts_.host_events[next_host_event_].at <= wall_now()) {
      HostEvent& ev = opts_.host_events[next_host_event_++];
      opts_.log->warn("[{:>11.6f}] host: {}", ev.at.seconds(), ev.name);
      if (ev.run) ev.run();
    }
    uv_run(&loop_, UV_RUN_NOWAIT);
    expire_holds();
    if (ready_.empty() && (timers_.empty() || timers_.top().key > now())) wait_for_events();
    uint64_t w = uv_hrtime();
    if (opts_.on_tick && w - last_tick > 250000000ull) {
      last_tick = w;
      opts_.on_tick();
    }
  }
  stats_.wall_seconds = double(uv_hrtime() - wall_origin_ns_) / 1e9;
}

}  // namespace espfleet
