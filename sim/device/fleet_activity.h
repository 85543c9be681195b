// sim/device/fleet_activity.h — what the fleet did over time, for the report's "connected over
// time" chart: the devices' connects, drops, crashes and failed connects counted in bins of
// device time. Each device notes its own changes at its own device time (never the host's), so
// the same seed gives the same series at any host speed, and the shards of a fleet sum to the
// whole fleet's series bin by bin (their bins are the same: the width follows the duration).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "sim_time.h"

namespace espfleet {

class FleetActivity {
 public:
  enum class Event : uint8_t { up, down, crash, connect_failure };
  static constexpr size_t kEvents = 4;
  static constexpr int64_t kMaxBins = 2000;

  // Whole seconds, at least 1, so that a run of `duration` has at most about kMaxBins bins.
  static VTime bin_for(VTime duration) {
    const int64_t s = (duration.ns + kMaxBins * 1000000000LL - 1) / (kMaxBins * 1000000000LL);
    return VTime::from_s(s < 1 ? 1 : s);
  }
  explicit FleetActivity(VTime duration) : bin_(bin_for(duration)) {}

  void note(Event e, VTime at) {
    const size_t b = at.ns <= 0 ? 0 : size_t(at.ns / bin_.ns);
    std::vector<uint32_t>& v = counts_[size_t(e)];
    if (b >= v.size()) v.resize(b + 1, 0);
    v[b]++;
  }
  VTime bin() const { return bin_; }
  // Per bin from t = 0; as long as the last bin with an event (the vectors may differ in length).
  const std::vector<uint32_t>& counts(Event e) const { return counts_[size_t(e)]; }

 private:
  VTime bin_;
  std::array<std::vector<uint32_t>, kEvents> counts_;
};

}  // namespace espfleet
