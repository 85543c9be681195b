// sim/tls/cost_meter.h — where a device's cycles go, by kind of work. The BearSSL cost hooks
// (bearssl_cost.cpp) charge the meter of the device whose code runs on this thread — each device
// owns its meter, installed for each of its slices — and `espfleet profile` turns a device's
// account into its handshake breakdown.
#pragma once
#include <array>
#include <cstdint>

#include "chip_cost_table.h"
#include "cycle_clock.h"

namespace espfleet {

enum class CostCat { ecdhe, rsa, ecdsa_verify, ecdsa_sign, hashing, prf, record_crypto, x509, engine, count };

inline constexpr const char* cost_cat_name(CostCat c) {
  constexpr const char* names[] = {"ecdhe", "rsa",           "ecdsa_verify", "ecdsa_sign", "hashing",
                                   "prf",   "record_crypto", "x509",         "engine"};
  return names[int(c)];
}

using CostAccount = std::array<uint64_t, size_t(CostCat::count)>;  // cycles per category

class CostMeter {
 public:
  CostMeter(CycleClock& clock, const ChipCostTable& costs) : clock_(clock), costs_(costs) {}

  // Charges the device's clock (its watchdogs may fire) and the category.
  void charge(uint64_t cycles, CostCat cat) {
    if (!cycles) return;
    account_[size_t(cat)] += cycles;
    touched_ |= 1u << unsigned(cat);
    clock_.charge(cycles);
  }
  uint32_t mhz() const { return clock_.mhz(); }
  // The clock the work being charged runs at: the device's own, or a boost (the NodeMCU glue's 160
  // MHz around its handshake steps) — the one whose CPI a charge takes.
  uint32_t work_mhz() const { return clock_.work_mhz(); }
  const ChipCostTable& costs() const { return costs_; }    // the chip's instructions per operation
  const CostAccount& account() const { return account_; }  // since the device was made
  // The categories charged since the last call, as bits (1 << CostCat): what a thunked call ran.
  uint32_t take_touched() {
    uint32_t t = touched_;
    touched_ = 0;
    return t;
  }

 private:
  CycleClock& clock_;
  const ChipCostTable& costs_;
  CostAccount account_{};
  uint32_t touched_ = 0;
};

// The meter the cost hooks charge on this thread: the running device's (nullptr: none, and the
// hooks charge nothing — plain unit tests).
CostMeter* current_cost_meter();
void set_cost_meter(CostMeter* m);

}  // namespace espfleet
