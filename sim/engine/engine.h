// sim/engine.h — the scheduler: many devices, one libuv loop, virtual time.
//
// Devices run one at a time on their fibers. A parked device waits on a timer ordered by
// (virtual time, sequence number) — ties run in a fixed order. Realtime mode fires a timer when
// the wall clock reaches it (no device runs ahead of the wall clock); fast mode jumps virtual
// time to the next timer once no exchange with the broker is in flight.
//
// A device that resets (OOM, BSSL stack smashing, a watchdog: sim/crash_record.h; a bad pointer:
// sim/fault_guard.h) leaves its fiber at once; the engine logs its post-mortem, resets its heap
// and boots it again.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "arena.h"
#include "device.h"
#include "sim_time.h"
#include "tape.h"

namespace spdlog { class logger; }

namespace espfleet {

class DevicePlatform;

// Where the engine held a device for the host's sake (a host park, recorded on its tape).
enum class ParkSite : int32_t { sync = 1, connect = 2, reply = 3, flush = 4 };

class Engine;

// Something the host does at a device time (a broker restart): in fast mode it happens once every
// device has reached `at`, and the fleet waits, up to `settle_ns` of host time, until `settled`
// says its effects (the broker's closes) have reached the devices.
struct HostEvent {
  VTime at;
  std::string name;
  std::function<void()> run;
  std::function<bool(Engine&)> settled;  // may be empty
  uint64_t settle_ns = 3000000000ull;
};

struct EngineOptions {
  bool realtime = true;
  VTime duration = VTime::from_s(60);
  size_t stack_bytes = 64 * 1024;   // host stack per device fiber
  void (*program)() = nullptr;      // the firmware entry point (never returns)
  std::shared_ptr<spdlog::logger> device_log;  // shared by every device
  std::function<void(Device&, const char*, size_t)> on_serial_line;  // observer of device logs
  std::function<void()> on_tick;    // called about every 250 ms of wall time (progress)
  std::vector<std::string> source_addresses;  // bind devices round-robin (loopback only)
  // Watchdogs, in the device's virtual time since its last yield (VTime{} = off; sim/watchdog.h).
  VTime soft_wdt = Watchdog::kSoftDefault;
  VTime hardware_wdt = Watchdog::kHardwareDefault;
  // Called when a device resets for any reason but a requested restart, before it reboots:
  // reset reason (ESP8266 rst_info.reason), the one-line summary, the post-mortem text.
  std::function<void(Device&, int, const std::string&, const std::string&)> on_crash;
  bool record_tapes = false;        // every device keeps a tape (sim/tape.h)
  // Replay: the one device's tape; the engine plays it instead of using the network, and stops
  // when the device has suspended replay_end_slices times (0 = at the duration).
  Tape* replay = nullptr;
  uint64_t replay_end_slices = 0;
  std::vector<HostEvent> host_events;  // in time order
};

struct EngineStats {
  double lag_max_ms = 0;       // realtime: worst wall-clock lag of a device wake-up
  uint64_t wakeups = 0;
  uint64_t lagged_wakeups = 0; // woke more than 50 ms late
  double wall_seconds = 0;
};

class Engine {
public:
  Engine(EngineOptions opts, size_t max_devices, size_t max_heap_bytes);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Device& add_device(uint32_t id, const DeviceConfig& cfg, uint64_t master_seed,
                     std::vector<uint8_t> flash, VTime boot_at);
  void run();
  void request_stop() { stop_ = true; }
  void set_on_tick(std::function<void()> f) { opts_.on_tick = std::move(f); }

  std::vector<std::unique_ptr<Device>>& devices() { return devices_; }
  const EngineOptions& options() const { return opts_; }
  const EngineStats& stats() const { return stats_; }
  uv_loop_t* loop() { return &loop_; }
  spdlog::logger& log() { return *opts_.device_log; }

  // The clock every device is held to: wall time since start (realtime) or virtual time (fast).
  VTime now() const;
  VTime wall_now() const;

  // --- for the platform (called on a device fiber) ---
  Device* current() const { return current_; }
  static Engine* running();                     // the engine whose device runs on this thread
  // Parking is the device yielding: park_until and park_io feed its watchdogs when it resumes;
  // sync_to_wall does not (host pacing: the chip would not have yielded there).
  void park_until(Device& d, VTime t);          // sleep; returns at virtual time ≥ t
  void park_io(Device& d, VTime deadline);      // until signal_io() or the deadline
  void signal_io(Device& d, VTime visible_at);  // from libuv callbacks
  void sync_to_wall(Device& d);                 // realtime: wait until the wall reaches d.now()
  // Reset the device now (it reboots): reason as rst_info.reason (sim/crash_record.h); summary:
  // one line for devices.jsonl; record: the post-mortem text for its log.
  [[noreturn]] void crash(Device& d, int reason, const std::string& summary, const std::string& record = {});
  // Host pacing: hold the device (not a yield) until release() or the host time deadline_ns.
  // Recorded on the device's tape; in replay it only parks where the tape says.
  void host_park(Device& d, ParkSite site, uint32_t handle, uint64_t deadline_ns);
  void release(Device& d);  // a held device may go on (its peer answered)
  // Tapes.
  bool replaying() const { return opts_.replay != nullptr; }
  void tape_record(Device& d, TapeEvent e);
  const TapeEvent* tape_peek(Device& d);
  void tape_pop(Device& d);
  bool replay_parks_here(Device& d, ParkSite site, uint32_t handle);
  // Replay of a write: checks it against the tape's checkpoint; false when the device diverged.
  bool replay_write(Device& d, uint32_t handle, uint64_t hash, uint32_t len, int* status);
  void diverge(Device& d, const std::string& why);
  const std::string& divergence() const { return divergence_; }
  // Fast mode: the fleet's present for anything the peer sends unasked.
  VTime event_floor() const { return opts_.realtime ? wall_now() : std::max(virt_now_, event_floor_); }
  const std::string& source_address_for(const Device& d) const;

private:
  struct Timer {
    VTime at;
    uint64_t seq;
    Device* dev;
    uint64_t dev_seq;
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void schedule(Device& d, VTime at);
  void park(Device& d, VTime t);
  void run_device(Device& d);
  void suspend(Device& d);
  void record_host_park(Device& d, ParkSite site, uint32_t handle);
  void apply_tape(Device& d);
  void expire_holds();
  void poll_held();
  bool run_host_event_if_due();
  bool finished() const;
  void reboot(Device& d);
  void boot(Device& d);
  bool fire_due();
  void wait_for_events();
  static void fiber_entry(void* arg);

  EngineOptions opts_;
  uv_loop_t loop_{};
  uv_timer_t guard_{};
  ArenaPool arenas_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::vector<Device*> ready_;
  uint64_t seq_ = 0;
  Device* current_ = nullptr;
  VTime virt_now_{};
  uint64_t wall_origin_ns_ = 0;
  std::vector<Device*> held_;
  size_t next_host_event_ = 0;
  VTime event_floor_{};
  std::string divergence_;
  bool stop_ = false;
  EngineStats stats_;
  std::unique_ptr<DevicePlatform> platform_;
};

// Host allocations vs device allocations: while a device's code runs, `new` takes from its heap.
// Host code running on a device fiber (the platform) holds a HostSection.
Device* alloc_device();
void set_alloc_device(Device* d);
class HostSection {
public:
  HostSection() : saved_(alloc_device()) { set_alloc_device(nullptr); }
  ~HostSection() { set_alloc_device(saved_); }
private:
  Device* saved_;
};

}  // namespace espfleet
