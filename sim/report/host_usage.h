// sim/report/host_usage.h — what the simulator and the broker cost the host: resident memory and CPU.
#pragma once
#include <sys/types.h>
#include <cstdint>

namespace espfleet {
uint64_t rss_bytes(pid_t pid = 0);  // VmRSS of pid (0 = this process); 0 when unknown
double cpu_seconds_self();          // user + system CPU of this process
double cpu_seconds_of(pid_t pid);   // from /proc/PID/stat; 0 when unknown
}  // namespace espfleet
