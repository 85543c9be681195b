// sim/cli/shard.h — which part of a fleet one process runs (`espfleet run --shard I/N`): devices
// [I·D/N, (I+1)·D/N) of a D-device fleet, each keeping its global id, so its seed, client id,
// certificate and history are what they are in the whole fleet (docs/scale.md).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace espfleet {

struct ShardRange {
  uint32_t index = 0, count = 1;  // shard I of N
  uint32_t first = 0, end = 0;    // global ids [first, end)
  uint32_t fleet_devices = 0;     // D
  uint32_t size() const { return end - first; }
  bool sharded() const { return count > 1; }
  bool holds(uint32_t id) const { return id >= first && id < end; }
  nlohmann::ordered_json to_json() const;  // summary.json "shard"
};

// Shard `index` of `count` of a `devices`-device fleet.
ShardRange shard_of(uint32_t index, uint32_t count, uint32_t devices);
// "I/N" (as --shard takes it; "" = the whole fleet). CliError naming --shard when it is not
// two numbers, when I ≥ N, or when N exceeds the fleet.
ShardRange parse_shard(const std::string& text, uint32_t devices);

}  // namespace espfleet
