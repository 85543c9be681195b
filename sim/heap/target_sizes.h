// sim/heap/target_sizes.h — the chip's sizes for the objects firmware allocates on its own
// (docs/heap.md, "Target sizes"). On x86-64 pointers, size_t and their alignment double, so
// malloc(sizeof(br_ssl_client_context)) asks the host for 3720 bytes where the chip asks for
// 3408. The heap charges the chip's figure: a request whose size is the host sizeof of a listed
// type (sim/heap/target_sizes.probe.cc) is charged that type's target sizeof; any other request is
// charged as it is. The table is generated at build time by tools/target-sizes from a
// cross-compile with xtensa-lx106-elf-g++ (build/generated/target_sizes.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace espfleet {

struct TargetSize {
  const char* type;
  uint32_t host;    // sizeof on this host
  uint32_t target;  // sizeof on the ESP8266
};

// Every listed type, in the probe's order.
std::span<const TargetSize> target_size_table();

// The size the chip would ask for where the host asks for host_bytes.
size_t target_size_of(size_t host_bytes);

// A listed type's sizes by name; nullptr when it is not listed.
const TargetSize* find_target_size(const char* type);

}  // namespace espfleet
