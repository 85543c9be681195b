// sim/device.h — one virtual ESP8266: its fiber (cont), heap arena, cycle clock, sockets, flash,
// seeds and the figures it reports. Everything of one device lives here (Shadow's "host").
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fiber.h"
#include "heap_tags.h"
#include "heap_umm.h"
#include "rng.h"
#include "scenario.h"
#include "sim_time.h"
#include "watchdog.h"

namespace espfleet {

struct DeviceSocket;
class Tape;
class HeapTimeline;

// The chip id of device `id` in a fleet seeded with master_seed: unique for ids below 2^24.
uint32_t chip_id_for(uint32_t id, uint64_t master_seed);
std::string client_id_for(uint32_t chip_id);  // DVES_%06X, as Tasmota
std::string topic_for(uint32_t chip_id);      // tasmota_%06X

struct DeviceStats {
  uint32_t boots = 0;
  uint32_t tcp_connects = 0;
  uint32_t mqtt_connects = 0;
  uint32_t connect_failures = 0;
  uint32_t published = 0;
  uint32_t received = 0;
  int tls_error = 0;                 // last TLS error code the firmware reported (0 = none)
  std::map<int, uint32_t> tls_error_counts;  // every failed connect / drop, by its TLS code
  std::vector<uint32_t> handshake_ms;
  uint32_t heap_free_min = UINT32_MAX;
  uint32_t heap_max_block_min = UINT32_MAX;
  uint32_t heap_frag_max = 0;
  uint32_t thunk_size = 0;           // bytes of the last thunk block allocated (0 = never)
  uint32_t thunk_peak = 0;           // host bytes: deepest thunked BearSSL call (thunk stack paint)
  uint32_t thunk_peak_target = 0;    // … estimated on the chip (sim/thunk_stack.h)
  uint32_t oom_count = 0;            // failed device allocations
  std::vector<std::string> crash_reasons;
  std::vector<int> crash_codes;      // the reset reason of each of them (sim/crash_record.h)
  std::vector<uint64_t> crash_digests;  // Device::digest() at each crash, before the reboot
  std::string state = "off";         // off | booting | connecting | connected | disconnected | crashed
  VTime first_connected{-1};
  uint64_t rx_bytes = 0, tx_bytes = 0;
  uint32_t stack_high_water = 0;
  uint64_t host_ns = 0;            // host time spent running this device's fiber
  uint64_t host_handshake_ns = 0;  // … of it while a TLS handshake was under way (thunk held)
};

// The last failed device allocation since boot: the core's umm_last_fail_alloc_addr/_size, which
// every post-mortem prints (sim/crash_record.h last_failed_alloc_line). Plain data: it is written
// on the device's fiber, where a host allocation would come from the device heap.
struct FailedAlloc {
  const char* file = nullptr;    // call site (__FILE__ of the debug heap API; static storage)
  int line = 0;
  const void* caller = nullptr;  // `new`: the host return address into the caller, instead
  uint32_t size = 0;             // the chip's request size
  bool any() const { return file || caller; }
};

class Device {
public:
  Device(uint32_t id, const DeviceConfig& cfg, uint64_t master_seed, void* stack, size_t stack_bytes,
         void* heap_mem);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  uint32_t id() const { return id_; }
  uint32_t chip_id() const { return chip_id_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& topic() const { return topic_; }
  const DeviceConfig& config() const { return cfg_; }
  uint64_t seed() const { return seed_; }

  // Clock.
  uint64_t cycles = 0;
  uint32_t mhz() const { return cfg_.cpu_mhz; }
  VTime now() const { return cycles_to_time(cycles, cfg_.cpu_mhz); }
  // Every charge is a watchdog check point (sim/watchdog.h).
  void charge(uint64_t c) {
    cycles += c;
    if (cycles >= wdt.deadline) watchdog_expired(*this);
  }
  Watchdog wdt;
  void advance_to(VTime t) {
    uint64_t c = time_to_cycles(t, cfg_.cpu_mhz);
    if (c > cycles) cycles = c;
  }

  // Heap (re-created on every boot).
  UmmHeap& heap() { return *heap_; }
  void reset_heap();
  void note_heap();  // update the minimum/maximum figures
  // The device's history in one number: every heap request of every boot, its result and the
  // device time it came at, and the clock now (same seed + same tape ⇒ same digest).
  uint64_t digest() const;
  // An observer every heap of this device gets (UmmHeap::set_trace), from the next reset_heap on.
  void set_heap_trace(UmmHeap::TraceFn fn, void* ctx) {
    heap_trace_ = fn;
    heap_trace_ctx_ = ctx;
    heap_->set_trace(fn, ctx);
  }
  HeapTags heap_tags;
  std::unique_ptr<HeapTimeline> timeline;  // free heap, largest block, fragmentation over time (when asked for)  // owner of each live chunk (sim/heap_tags.h), for the heap map

  Fiber fiber;
  void* stack_mem;
  size_t stack_bytes;

  Rng rng_tls, rng_net, rng_app;
  std::vector<uint8_t> flash;                         // the settings sectors
  std::vector<std::unique_ptr<DeviceSocket>> sockets;  // handle h ↔ sockets[h-1]

  // Scheduling state (owned by the Engine).
  uint64_t slices = 0;             // times the fiber suspended (the tape's clock, sim/tape.h)
  bool held = false;               // held by the host (Engine::host_park)
  uint64_t hold_deadline_ns = 0;
  std::unique_ptr<Tape> tape;      // what came from outside (when the run records tapes)
  uint64_t wake_seq = 0;
  bool waiting_io = false;
  bool io_signalled = false;
  std::optional<int> reboot_reason;  // set by restart/crash; the engine reboots the fiber
  std::string crash_text;    // one line: the reason as devices.jsonl lists it
  std::string crash_record;  // the post-mortem text the chip prints (may be empty)
  std::string crash_note;    // the simulator's own lines about it (host location, call sites)
  FailedAlloc last_failed_alloc;  // cleared with the heap at every boot
  // Thunk block (sim/thunk_stack.h).
  uint32_t thunk_size = 0;            // current thunk block (0 = none)
  uintptr_t thunk_sp = 0;             // fiber stack pointer at the thunked call under way (0 = none)
  uint32_t thunk_last_peak = 0;       // host bytes the last handshake's engine calls used
  uint32_t thunk_last_peak_target = 0;  // … estimated target bytes
  uint32_t thunk_mirrored = 0;        // target bytes written into the block so far
  void* thunk_block = nullptr;
  VTime boot_at{};

  DeviceStats stats;

private:
  uint32_t id_, chip_id_;
  DeviceConfig cfg_;
  uint64_t seed_;
  void* heap_mem_;
  std::string client_id_, topic_;
  std::unique_ptr<UmmHeap> heap_;
  uint64_t past_heaps_digest_ = 0;  // the digests of the heaps of earlier boots
  UmmHeap::TraceFn heap_trace_ = nullptr;
  void* heap_trace_ctx_ = nullptr;
};

}  // namespace espfleet
