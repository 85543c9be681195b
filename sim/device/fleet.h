// sim/device/fleet.h — a fleet of devices in one process: the scheduler that runs them, the
// arena their stacks and heaps live in, the transport their sockets stand on (live libuv sockets
// unless told otherwise: replay gives its tape), and what they share (device.h DeviceEnv).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arena.h"
#include "device.h"
#include "fleet_activity.h"
#include "scheduler.h"

namespace spdlog {
class logger;
}

namespace espfleet {

class UvTransport;

struct FleetOptions {
  Program program{};  // what the devices run, unless their spec says
  RunMode mode = RunMode::realtime;
  VTime duration = VTime::from_s(60);
  size_t stack_bytes = 64 * 1024;                                 // host stack per device fiber
  std::shared_ptr<spdlog::logger> device_log;                     // shared by every device
  std::function<void(Device&, std::string_view)> on_serial_line;  // an observer of console lines
  std::function<void()> on_tick;                                  // about every 250 ms of wall time (progress)
  std::vector<std::string> source_addresses;                      // bind devices round-robin (loopback only)
  // Watchdogs, in the device's virtual time since its last yield (VTime{} = off; watchdog.h).
  VTime soft_wdt = Watchdog::kSoftDefault;
  VTime hardware_wdt = Watchdog::kHardwareDefault;
  VTime task_wdt = Watchdog::kTaskDefault;            // ESP-IDF chips: the loop task's
  VTime interrupt_wdt = Watchdog::kInterruptDefault;  // ESP-IDF chips: interrupts off this long
  // Called when a device resets for any reason but a requested restart, before it reboots.
  std::function<void(Device&, ResetReason, const std::string& summary, const std::string& record)> on_crash;
  std::vector<HostEvent> host_events;        // in time order
  Transport* transport = nullptr;            // nullptr: live sockets on the fleet's loop
  std::function<void(Device&)> after_slice;  // after each slice of a device (replay)
  bool skip_idle_steps = true;               // false: esp_delay runs every step (delay_while.cpp)
  std::optional<SketchNetwork> sketch_net;   // sketch devices: where their names and ports lead
  bool record_publishes = false;             // devices keep their publishes (delivery accounting)
};

class Fleet {
 public:
  // Room for max_devices devices with heaps of at most max_heap_bytes.
  Fleet(FleetOptions opts, size_t max_devices, size_t max_heap_bytes);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // A device, booted at spec.boot_at (running the fleet's program unless spec names one).
  Device& add_device(DeviceSpec spec);
  Device& add_device(uint32_t id, const DeviceConfig& cfg, uint64_t master_seed, std::vector<uint8_t> flash,
                     VTime boot_at) {
    return add_device(DeviceSpec{id, cfg, master_seed, std::move(flash), boot_at, opts_.program});
  }
  void run();  // until the duration, or request_stop()
  void request_stop() { sched_.request_stop(); }
  void set_on_tick(std::function<void()> f) { sched_.set_on_tick(std::move(f)); }

  std::vector<std::unique_ptr<Device>>& devices() { return devices_; }
  const std::vector<std::unique_ptr<Device>>& devices() const { return devices_; }
  Scheduler& scheduler() { return sched_; }
  const Scheduler& scheduler() const { return sched_; }
  const SchedulerStats& stats() const { return sched_.stats(); }
  bool realtime() const { return sched_.realtime(); }
  VTime duration() const { return sched_.duration(); }
  VTime now() const { return sched_.now(); }
  const FleetActivity& activity() const { return activity_; }

 private:
  FleetOptions opts_;
  Scheduler sched_;
  std::unique_ptr<UvTransport> live_;
  ArenaPool arenas_;
  FleetActivity activity_;
  DeviceEnv env_;
  std::vector<std::unique_ptr<Device>> devices_;
};

}  // namespace espfleet
