// sim/cli/shard.cpp — a fleet split by index (shard.h).
#include "shard.h"

#include <cstdio>

#include "cli_error.h"

namespace espfleet {

ShardRange shard_of(uint32_t index, uint32_t count, uint32_t devices) {
  ShardRange r;
  r.index = index;
  r.count = count;
  r.fleet_devices = devices;
  r.first = uint32_t(uint64_t(index) * devices / count);
  r.end = uint32_t(uint64_t(index + 1) * devices / count);
  return r;
}

ShardRange parse_shard(const std::string& text, uint32_t devices) {
  if (text.empty()) return shard_of(0, 1, devices);
  unsigned long i = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%lu/%lu%c", &i, &n, &tail) != 2 || text[0] == '-' ||
      text.find("/-") != std::string::npos)
    throw CliError("--shard " + text + ": expected I/N, e.g. 0/4 (shard I of N, counted from 0)");
  if (n == 0 || i >= n) throw CliError("--shard " + text + ": I must be below N (shards are 0 to N-1)");
  if (n > devices)
    throw CliError("--shard " + text + ": " + std::to_string(n) + " shards of a " + std::to_string(devices) +
                   "-device fleet would leave some empty");
  return shard_of(uint32_t(i), uint32_t(n), devices);
}

nlohmann::ordered_json ShardRange::to_json() const {
  return {{"index", index}, {"count", count}, {"first_id", first}, {"end_id", end}, {"fleet_devices", fleet_devices}};
}

}  // namespace espfleet
