// sim/tls/cost_model.h — what the platform's own work costs the device, in the chip's cycles: TCP
// per byte (the ESP8266's measured checksum and copies, from the generated chip_costs.h) and per
// call, malloc and free, a yield. What BearSSL's operations cost each chip is chip_cost_table.h.
#pragma once
#include <cstdint>

#include "generated/chip_costs.h"  // build/generated/, from sim/tls/chip_costs.json

namespace espfleet::cost {

// --- The platform: charged as cycles by the call sites (sim/device/device_platform.cpp,
// sim/net/tcp_socket.cpp) ----------------------------------------------------------------------
// TCP per byte: lwIP's checksum + copy into and out of a pbuf (measured on the chip: picolibc
// memcpy and the Internet checksum, tools/calibrate). Per call: an estimate (lwIP is not in
// the measured set).
inline constexpr uint64_t kTcpByte =
    uint64_t(chip::kInetChksumByte.instructions + 2 * chip::kMemcpyByte.instructions + 0.999);
inline constexpr uint64_t kTcpCall = 2000;
// Estimates, not measured (umm_malloc and the SDK are not in Debian): best-fit over a short free
// list; a yield runs the SDK/WiFi tasks, ~20 µs.
inline constexpr uint64_t kMalloc = 400;
inline constexpr uint64_t kFree = 300;
inline constexpr uint64_t kYieldUs = 20;

}  // namespace espfleet::cost
