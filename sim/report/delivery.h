// sim/report/delivery.h — delivery accounting (docs/faults.md, "Delivery"): the devices' publishes
// (each device keeps a hash and the device time of every message its firmware published) matched
// with what the delivery observer saw arrive: per device and in total, published, seen, lost,
// duplicated; each lost message attributed to the fault it was published in (a partition of its
// device, the broker down or stalled), or to none.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "delivery_observer.h"
#include "histogram.h"

namespace espfleet {

class Device;

struct DeliveryAccount {
  nlohmann::ordered_json summary;                         // summary.json "delivery"
  std::map<uint32_t, nlohmann::ordered_json> per_device;  // devices.jsonl "delivery", by device id
};

// `events`: summary.json "events" (the broker's stops, kills and stalls and their ends);
// `wall_origin_ns`: the host clock at wall time 0 (Scheduler::wall_origin_ns), to put arrivals and
// publishes on one clock for the end-to-end latency.
DeliveryAccount account_delivery(const std::vector<std::unique_ptr<Device>>& devices,
                                 const std::vector<DeliveryObserver::Arrival>& arrivals,
                                 const nlohmann::ordered_json& events, uint64_t wall_origin_ns);

// summary.json delivery "latency_ms" from its histogram (µs): p50, p90, p99, max in milliseconds.
nlohmann::ordered_json latency_spread(const Histogram& us);

}  // namespace espfleet
