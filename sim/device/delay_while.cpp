// sim/device/delay_while.cpp — esp_delay() on the host (shims/coredecls.h): the chip's loop of
// millis(), delay(step) and blocked(), with the steps nothing can end skipped.
//
// An idle device waits a long time in short steps: Tasmota's loop sleeps 50 ms, so an idle
// device used to wake 20 times a second. While blocked() is pure — it reads no clock, touches no
// heap, network, flash or log, and costs the same cycles each time — and nothing is on its way to
// the device's sockets, each step's outcome is known: it would say "still blocked" and move the
// clock by a fixed amount. Those steps are done as arithmetic, and the device is woken only at
// the first step that could end differently: the first evaluation at or after the moment
// something becomes visible (bytes, a close, a reply fast mode holds for), or the step where
// the timeout shortens the delay. The clock, the cycles, the heap and every call the firmware
// sees are the chip loop's; only the number of fiber switches differs (docs/scale.md).
#include <algorithm>

#include "alloc_scope.h"
#include "cost_model.h"
#include "device.h"
#include "device_platform.h"
#include "scheduler.h"

namespace espfleet {

namespace {

// One step of the chip's loop from the clock `cyc` (cycles, after the previous blocked()).
struct Step {
  bool ends = false;  // millis() says the timeout passed: esp_delay returns here
  bool full = false;  // the step delays the whole interval (else the timeout shortens it)
  VTime wake{};       // when the step's delay ends (the time delay() parks until)
  uint64_t eval = 0;  // the clock (cycles) when its blocked() is called
};

Step step_from(uint64_t cyc, uint32_t mhz, uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms) {
  Step s;
  const uint64_t read = cyc + kClockReadCycles;  // millis(): charged, then read
  const uint32_t expired = uint32_t(read / mhz / 1000u) - start_ms;
  if (expired >= timeout_ms) {
    s.ends = true;
    return s;
  }
  const uint32_t left = timeout_ms - expired;
  const uint32_t d = intvl_ms && intvl_ms < left ? intvl_ms : left;
  s.full = intvl_ms != 0 && d == intvl_ms;
  const uint64_t yielded = read + cost::kYieldUs * mhz;  // delay(): the yield's cost, then the park
  s.wake = cycles_to_time(yielded, mhz) + VTime::from_ms(d);
  s.eval = std::max(yielded, time_to_cycles(s.wake, mhz));
  return s;
}

constexpr uint64_t kMaxSkippedSteps = 1u << 20;  // a bound on one walk (about 14 h of 50 ms steps)

}  // namespace

uint64_t DevicePlatform::effects() const {
  const NetCounters& n = d_.net().counters();
  return calls_ + ms_reads_ + n.tx_bytes + n.rx_read + n.tcp_connects;
}

enum class Skipped { none, at_step_start, at_evaluation };

// From the clock just after a pure blocked() of cost step_cost: parks until the first step that
// could end differently and leaves the clock where the chip loop would be there.
static Skipped skip_steps(Device& d, uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, uint64_t step_cost) {
  CycleClock& clock = d.clock();
  const uint32_t mhz = clock.mhz();
  const uint64_t base = clock.cycles();
  for (;;) {
    VTime event{}, timer{};
    const bool has_event = d.platform().next_change(&event);  // a socket's, the station's, an input's
    const bool has_timer = d.platform().next_timer(&timer);
    // Walk the steps from `base`: the first whose evaluation could see something, or whose
    // delay is cut short, or the end.
    uint64_t cyc = base;
    Step prev, s;
    uint64_t n = 0;
    bool timer_inside = false;  // step s's delay holds a timer's due time: the system runs in it
    for (;; ++n) {
      s = step_from(cyc, mhz, start_ms, timeout_ms, intvl_ms);
      if (s.ends || !s.full || n >= kMaxSkippedSteps) break;
      if (has_timer && s.wake >= timer) {
        timer_inside = true;
        break;
      }
      // A step whose evaluation is already behind the clock (the device was woken late) is past:
      // it is walked over; the first evaluation at or after both the clock and the event is the target.
      const VTime at = cycles_to_time(s.eval, mhz);
      if (has_event && at >= event && s.eval >= clock.cycles()) break;
      prev = s;
      cyc = s.eval + step_cost;
    }
    if (!s.ends && s.full && n < kMaxSkippedSteps && !timer_inside) {
      // An evaluation that could see something: be there when it happens.
      if (clock.cycles() == s.eval) return Skipped::at_evaluation;
      d.sched().park_io(d.task(), s.wake, d.waits_on());
      if (clock.cycles() == s.eval) return Skipped::at_evaluation;
      continue;  // woken earlier: something arrived; look again
    }
    // The last step is cut short, runs a timer (the chip loop's delay does that), or the wait
    // ends: continue the chip loop after the last full step's blocked(), as the loop would be then.
    if (n == 0) return clock.cycles() == base ? Skipped::none : Skipped::at_step_start;
    if (clock.cycles() < prev.eval) {
      d.sched().park_io(d.task(), prev.wake, d.waits_on());
      if (clock.cycles() != prev.eval) continue;  // woken earlier
      VTime again{};
      if (d.platform().next_change(&again) && again <= cycles_to_time(prev.eval, mhz)) continue;
    }
    clock.charge(step_cost);  // that step's blocked(), which would have said "still blocked"
    return Skipped::at_step_start;
  }
}

void DevicePlatform::delay_while(uint32_t start_ms, uint32_t timeout_ms, uint32_t intvl_ms, bool (*blocked)(void*),
                                 void* ctx) {
  effect();  // a wait is a call that takes effect: a loop-pass probe ends here, and no pass around it is idle
  CycleClock& clock = d_.clock();
  uint64_t cost = 0;
  int same = 0;  // pure evaluations in a row with the same cost
  bool at_evaluation = false;
  for (;;) {
    if (!at_evaluation) {
      clock.charge(kClockReadCycles);  // millis()
      const uint32_t expired = uint32_t(clock.cycles() / clock.mhz() / 1000u) - start_ms;
      if (expired >= timeout_ms) return;
      const uint32_t left = timeout_ms - expired;
      delay_ms(intvl_ms && intvl_ms < left ? intvl_ms : left);
    }
    at_evaluation = false;
    const uint64_t calls = effects(), looks = d_.net().counters().looks, before = clock.cycles();
    const bool still = blocked(ctx);  // the firmware's code: its allocations are the device's
    const uint64_t c = clock.cycles() - before;
    if (!still) return;
    // Skippable: it looked for the network's events (at a socket, or, with none open, through
    // net_looked: what can end the wait arrives there or comes from a timer, which runs inside a
    // step's delay, where the walk stops) and did nothing else. A predicate that looks at nothing
    // is not skipped: it may read what no count here sees.
    const bool pure = d_.env().skip_idle_steps && effects() == calls && d_.net().counters().looks != looks;
    same = pure && c == cost ? same + 1 : pure ? 1 : 0;
    cost = c;
    if (same < 2) continue;
    HostSection host;  // the scheduler's own memory while the steps are skipped
    switch (skip_steps(d_, start_ms, timeout_ms, intvl_ms, cost)) {
      case Skipped::at_evaluation:
        at_evaluation = true;
        break;
      case Skipped::none:
      case Skipped::at_step_start:
        break;
    }
  }
}

}  // namespace espfleet
