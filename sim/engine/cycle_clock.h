// sim/engine/cycle_clock.h — a device's cycle counter at its CPU clock: its virtual time. Work is
// charged to it in cycles (the cost model says how many); it never reads the host's time. One
// alarm — the device's watchdogs — is checked at every charge, so it fires within one charge of
// its deadline. The clock counts at a single frequency for ever (time = cycles / mhz()); work done while the
// CPU runs faster (a work clock, set_work_mhz) is charged in the cycles of that clock and moves
// this one proportionally less (docs/running.md, "A faster CPU for a while").
#pragma once
#include <cstdint>

#include "sim_time.h"

namespace espfleet {

class CycleClock {
 public:
  using Alarm = void (*)(void* owner);

  explicit CycleClock(uint32_t mhz) : mhz_(mhz) {}
  CycleClock(const CycleClock&) = delete;
  CycleClock& operator=(const CycleClock&) = delete;

  uint64_t cycles() const { return cycles_; }
  const uint64_t* counter() const { return &cycles_; }  // for records that fold the clock in
  uint32_t mhz() const { return mhz_; }
  VTime now() const { return cycles_to_time(cycles_, mhz_); }

  // c cycles of work, at the work clock when one is set.
  void charge(uint64_t c) {
    if (work_mhz_) c = at_work_clock(c);
    cycles_ += c;
    if (cycles_ >= alarm_at_) alarm_(owner_);
  }
  // c cycles of this clock that pass whatever the CPU runs at (a flash erase's wait): never scaled.
  void pass(uint64_t c) {
    cycles_ += c;
    if (cycles_ >= alarm_at_) alarm_(owner_);
  }

  // The CPU's clock for the work that follows (the SDK's system_update_cpu_freq): a charge of c
  // cycles then takes c / mhz µs, i.e. c × mhz() / mhz of this clock's cycles (the fraction
  // carried to the next charge). 0, or mhz(): the clock's own again. Returns the setting it
  // replaces (0: the clock's own).
  uint32_t set_work_mhz(uint32_t mhz) {
    const uint32_t before = work_mhz_;
    work_mhz_ = mhz == mhz_ ? 0 : mhz;
    carry_ = 0;
    return before;
  }
  uint32_t work_mhz() const { return work_mhz_ ? work_mhz_ : mhz_; }
  // Time passes without work (a sleep, a wait): the clock moves to t, never back.
  void advance_to(VTime t) {
    uint64_t c = time_to_cycles(t, mhz_);
    if (c > cycles_) cycles_ = c;
  }

  // A probe undone (sim/device/loop_passes.cpp): the clock back to where it was before it.
  void rewind_to(uint64_t c) { cycles_ = c; }

  // The alarm: fn(owner) once a charge takes the clock to `at_cycles` or past (UINT64_MAX: off).
  void set_alarm(Alarm fn, void* owner) {
    alarm_ = fn;
    owner_ = owner;
  }
  void arm_alarm(uint64_t at_cycles) { alarm_at_ = alarm_ ? at_cycles : UINT64_MAX; }
  uint64_t alarm_at() const { return alarm_at_; }  // UINT64_MAX: off

 private:
  uint64_t at_work_clock(uint64_t c) {
    const uint64_t scaled = c * mhz_ + carry_;
    carry_ = scaled % work_mhz_;
    return scaled / work_mhz_;
  }

  uint64_t cycles_ = 0;
  uint64_t alarm_at_ = UINT64_MAX;
  uint32_t mhz_;
  uint32_t work_mhz_ = 0;  // 0: the clock's own
  uint64_t carry_ = 0;     // the part of a cycle the last scaled charges left
  Alarm alarm_ = nullptr;
  void* owner_ = nullptr;
};

}  // namespace espfleet
