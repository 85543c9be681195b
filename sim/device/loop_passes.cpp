// sim/device/loop_passes.cpp — the core's loop task on the host (shims/platform.h run_loop): a
// sketch's loop() and the system's turn after it, with the passes nothing can change skipped.
//
// A published sketch polls: loop() asks the MQTT client for bytes, compares millis() with the
// time of its last publish, and returns, tens of thousands of times a second. A pass is *idle*
// when it did nothing the device or the world can see: no platform call but the pure queries (the
// millisecond clock, the station's status, a socket's available() and connected(), the heap's
// figures), no byte sent, no connection made, and the sketch's globals as they were when it began.
// The next pass then starts from the same state and asks the same questions; while the answers
// stay the same it does the same, for the same cycles: until something becomes visible on a
// socket or the station changes, and, when it read millis(), while millis() says what it said.
//
// For the milliseconds after that the platform *probes*: it runs loop() once more as if millis()
// said ms+1, ms+2, ... with everything else as it is, and undoes each probe (the globals, the
// clock). A probe ends, abandoned by a longjmp before the call takes effect, at the first call that
// would change something (a write, a publish, an allocation, a delay, a log line); a probe that
// reaches the end of loop() with the globals unchanged was idle. The first millisecond whose probe
// is not idle is where the next real pass must run. The passes up to it are done as arithmetic:
// the clock moves by whole passes and the device sleeps until the first pass that could go
// differently, which runs for real. A pass that reads the fine clock (micros(), the cycle
// counter) or straddles a millisecond it read is never skipped.
//
// What this cannot see: a pass that changes memory it reached through the heap (not the globals)
// without a platform call. docs/sketches.md says so; the scenario key fleet.skip_idle = false turns skipping off.
#include <algorithm>
#include <csetjmp>

#include "alloc_scope.h"
#include "device.h"
#include "device_platform.h"
#include "scheduler.h"

namespace espfleet {

uint32_t DevicePlatform::clock_ms() {
  ++ms_reads_;
  if (probing_) return probe_ms_;
  return uint32_t(d_.clock().cycles() / d_.clock().mhz() / 1000u);
}

bool DevicePlatform::next_change(VTime* at) const {
  bool any = false;
  VTime event{};
  auto take = [&](bool has) {
    if (has && (!any || event < *at)) *at = event;
    any |= has;
  };
  take(d_.next_event(&event));
  take(d_.wifi().next_change(d_.now(), &event));
  for (size_t i = 0; i < d_.config().gpio_inputs.size(); ++i)  // an input pin that changes
    take(input_schedule(i).next_change(d_.now(), &event));
  return any;
}

uint64_t DevicePlatform::quiet_until(uint64_t limit) const {
  const uint32_t mhz = d_.clock().mhz();
  VTime event{};
  if (next_change(&event)) limit = std::min(limit, time_to_cycles(event, mhz));
  if (next_timer(&event)) limit = std::min(limit, time_to_cycles(event, mhz));
  return limit;
}

bool DevicePlatform::probe_pass(void (*loop)(), uint32_t ms) {
  CycleClock& clock = d_.clock();
  NetCounters& net = d_.net().counters();
  const uint64_t cycles = clock.cycles(), reads = ms_reads_, looks = net.looks;
  DeviceHeap* const heap = alloc_heap();
  std::jmp_buf exit;
  probe_exit_ = &exit;
  probe_ms_ = ms;
  probing_ = true;
  d_.net().set_effect_guard(this);
  volatile bool idle = false;
  if (setjmp(exit) == 0) {
    loop();
    idle = d_.program_state_unchanged();
  }
  probing_ = false;
  d_.net().set_effect_guard(nullptr);
  // Undone: what the pass changed before it stopped, and the host sections a longjmp left open.
  set_alloc_heap(heap);
  d_.restore_program_state();
  clock.rewind_to(cycles);
  ms_reads_ = reads;
  net.looks = looks;
  return idle;
}

uint32_t DevicePlatform::first_busy_ms(void (*loop)(), uint32_t ms, uint64_t limit) {
  const CycleClock& clock = d_.clock();
  const uint64_t cpm = uint64_t(clock.mhz()) * 1000u;
  if (clock.alarm_at() != UINT64_MAX && clock.alarm_at() < clock.cycles() + kProbeAlarmRoomMs * cpm)
    return ms + 1;  // a watchdog is due: no probe may run into it
  uint32_t next = ms + 1;
  while (uint64_t(next) * cpm < limit && probe_pass(loop, next)) ++next;
  return next;
}

// Sleeps through the passes, each `pass` cycles from `end` (the clock after an idle pass), that
// end no later than `limit` (cycles); back on a pass boundary, or not at all when none fits.
void DevicePlatform::skip_passes(uint64_t end, uint64_t pass, uint64_t limit) {
  CycleClock& clock = d_.clock();
  if (limit < end + pass) return;  // not one whole pass before something could differ
  const uint64_t target = end + (limit - end) / pass * pass;
  HostSection host;  // the scheduler's own memory while the device sleeps
  d_.sched().park_io(d_.task(), cycles_to_time(target, clock.mhz()), d_.waits_on());
  // Woken at the target (or before it, when something arrived): the passes up to the next
  // boundary were running meanwhile.
  const uint64_t now = clock.cycles();
  const uint64_t at = end + (now - end + pass - 1) / pass * pass;
  if (at > now) clock.charge(at - now);
  skipped_passes_ += (at - end) / pass;
}

void DevicePlatform::run_loop(void (*loop)()) {
  CycleClock& clock = d_.clock();
  for (;;) {
    const uint64_t calls = effects() - ms_reads_, ms_reads = ms_reads_, slices = d_.task().slices();
    const uint64_t before = clock.cycles();
    loop();
    ++run_passes_;
    const bool one_slice = d_.task().slices() == slices;  // no yield inside: its globals compare
    const bool idle =
        d_.env().skip_idle_steps && one_slice && effects() - ms_reads_ == calls && d_.program_state_unchanged();
    const uint64_t after = clock.cycles(), fired = timers_fired_;
    yield();  // the core's turn for the system after each pass (its due timers run here)
    if (!idle || timers_fired_ != fired) continue;
    const uint64_t end = clock.cycles(), pass = end - before;
    const uint64_t cpm = uint64_t(clock.mhz()) * 1000u;  // cycles per millisecond
    if (ms_reads_ == ms_reads) {                         // it read no clock: the same until something arrives
      skip_passes(end, pass, quiet_until(end + kTimelessSkipMs * cpm));
      continue;
    }
    // It read the millisecond clock: the passes that read the same millisecond, and those of the
    // milliseconds after it whose probes are idle, repeat it.
    const uint64_t ms = before / cpm;
    if (after / cpm != ms) continue;  // it may have read two
    const uint64_t quiet = quiet_until(end + kProbeMs * cpm);
    const uint32_t busy = first_busy_ms(loop, uint32_t(ms), quiet);
    skip_passes(end, pass, std::min(quiet, uint64_t(busy) * cpm));
  }
}

}  // namespace espfleet
