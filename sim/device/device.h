// sim/device/device.h — one virtual device (Shadow's "host"): who it is, which chip it is and
// which program it runs, and the parts it is made of — its clock and cost meter, heap, thunk
// block, watchdogs, network, scheduling state (the engine's), life (boots, resets, state), the
// figures its console reported and what it cost the host. Each part keeps its own invariants; a
// file changes a device only through the part it works on.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chip.h"
#include "cost_meter.h"
#include "crash_record.h"
#include "cycle_clock.h"
#include "device_heap.h"
#include "device_net.h"
#include "device_platform.h"
#include "fault_guard.h"
#include "fleet_activity.h"
#include "gpio_pins.h"
#include "rng.h"
#include "scenario.h"
#include "serial_console.h"
#include "task.h"
#include "thunk_block.h"
#include "watchdog.h"
#include "wifi_station.h"
#include "window_schedule.h"

namespace spdlog {
class logger;
}

namespace espfleet {

class Device;
class Scheduler;
class Transport;

// The chip id of device `id` in a fleet seeded with master_seed: unique for ids below 2^24.
uint32_t chip_id_for(uint32_t id, uint64_t master_seed);
std::string client_id_for(uint32_t chip_id);  // DVES_%06X, as Tasmota
std::string topic_for(uint32_t chip_id);      // tasmota_%06X

struct DeviceIdentity {
  uint32_t id = 0;       // global id in the fleet
  uint32_t chip_id = 0;  // ESP.getChipId()
  uint64_t seed = 0;     // the device's seed: mix(master seed, id)
  std::string client_id, topic;
};

enum class DeviceState : uint8_t { off, booting, connecting, connected, disconnected, crashed };
const char* device_state_name(DeviceState s);  // "off", "booting", …

// A reset that is not a requested restart, as devices.jsonl lists it.
struct CrashEntry {
  ResetReason reason;
  std::string summary;  // one line
  uint64_t digest;      // Device::digest() at the crash, before the reboot
};

// The device's life: boots, its state, its crashes and the reset under way.
class Lifecycle {
 public:
  uint32_t boots() const { return boots_; }
  DeviceState state() const { return state_; }
  void set_state(DeviceState s) { state_ = s; }
  VTime boot_at() const { return boot_at_; }  // its first boot
  const std::vector<CrashEntry>& crashes() const { return crashes_; }
  bool reset_pending() const { return pending_.has_value(); }
  ResetReason last_reset() const { return last_reset_; }  // why the device booted the last time

 private:
  friend class Device;
  struct PendingReset {
    ResetReason reason;
    std::string summary;  // one line for devices.jsonl
    std::string record;   // the post-mortem text the chip prints (may be empty)
    std::string note;     // the simulator's own lines about it (host location, call sites)
    VTime sleep{};        // deep sleep: how long the chip is off before it boots again
  };
  uint32_t boots_ = 0;
  ResetReason last_reset_ = ResetReason::power_on;
  DeviceState state_ = DeviceState::off;
  VTime boot_at_{};
  std::vector<CrashEntry> crashes_;
  std::optional<PendingReset> pending_;
};

// What running the device cost the host.
struct HostUse {
  uint64_t ns = 0;                 // host time spent running its fiber
  uint64_t handshake_ns = 0;       // … of it while a TLS handshake was under way
  uint32_t stack_high_water = 0;   // host bytes of its fiber stack ever used
  VTime first_connected_wall{-1};  // wall time since the run began of its first MQTT connect
};

// What makes a device.
struct DeviceSpec {
  uint32_t id = 0;
  DeviceConfig config;
  uint64_t master_seed = 0;
  std::vector<uint8_t> flash;  // the settings sectors it boots with
  VTime boot_at{};
  Program program{};  // the chip is config.chip
};

// Where a sketch's network leads (docs/sketches.md): every host name it uses resolves to the run's
// broker, and the MQTT ports it names (1883, 8883) are the broker's plain and TLS listeners.
struct SketchNetwork {
  std::string host;
  uint16_t mqtt_port = 0, mqtts_port = 0;
  // Where a connect to host:port goes: a loopback IPv4 literal as given, anything else (a name,
  // another address) to `host`; 1883 and 8883 to the broker's listeners when it has them.
  const char* route(const char* to_host, uint16_t* port) const;
};

// A message the firmware published: its hash (message_hash.h), the device time (ms) it was
// handed to the MQTT client and the host's wall time then (µs, the latency's start). Kept when
// the run accounts delivery (fleet.observe).
struct PublishMark {
  uint32_t hash;
  uint32_t t_ms : 31;  // device time, up to 24 days
  uint32_t acked : 1;  // the broker acknowledged it (QoS 1 PUBACK)
  uint64_t wall_us;    // Scheduler::wall_now()
};

// What the devices of a fleet share (device/fleet.h owns it).
struct DeviceEnv {
  Scheduler& sched;
  Transport& transport;
  spdlog::logger& log;                                            // the devices' log
  std::function<void(Device&, std::string_view)> on_serial_line;  // an observer of console lines
  // A reset other than a requested restart, before the reboot (the heap is still the crashed one).
  std::function<void(Device&, ResetReason, const std::string& summary, const std::string& record)> on_crash;
  std::function<void(Device&)> after_slice;  // replay
  VTime soft_wdt = Watchdog::kSoftDefault;
  VTime hardware_wdt = Watchdog::kHardwareDefault;
  VTime task_wdt = Watchdog::kTaskDefault;            // ESP-IDF chips: the loop task's
  VTime interrupt_wdt = Watchdog::kInterruptDefault;  // ESP-IDF chips: interrupts off this long
  bool skip_idle_steps = true;                        // esp_delay skips the steps nothing can end (delay_while.cpp)
  const SketchNetwork* sketch_net = nullptr;          // sketch devices: their names and ports (none: as given)
  FleetActivity* activity = nullptr;                  // where it notes its connects, drops, crashes, failures
  bool record_publishes = false;                      // keep a PublishMark of every publish (fleet.observe)
};

class Device final : private FaultTarget {
 public:
  // stack / heap_mem: its slot of the fleet's arena; source: the address its sockets bind to.
  Device(const DeviceSpec& spec, const DeviceEnv& env, void* stack, size_t stack_bytes, void* heap_mem,
         const std::string* source);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Who it is, which chip, which program.
  const DeviceIdentity& identity() const { return ident_; }
  uint32_t id() const { return ident_.id; }
  const DeviceConfig& config() const { return cfg_; }
  const ChipModel& chip() const { return chip_; }
  // The program's stack on the chip: the ESP8266's cont (4096 bytes), the ESP32-C3's loop task
  // (device.loop_stack_bytes, default 8192).
  uint32_t program_stack_bytes() const {
    return cfg_.loop_stack_bytes ? cfg_.loop_stack_bytes : chip_.cont_stack_bytes;
  }
  const Program& program() const { return program_; }
  // In one of its slices: are the program's live globals what they were when the slice began?
  bool program_state_unchanged() const;
  // ... and back to what they were then (a probe undone).
  void restore_program_state();

  // Its parts.
  CycleClock& clock() { return clock_; }
  const CycleClock& clock() const { return clock_; }
  CostMeter& costs() { return costs_; }
  Rng& hardware_rng() { return hw_rng_; }  // esp_random()
  std::vector<uint8_t>& flash() { return flash_; }
  const std::vector<uint8_t>& flash() const { return flash_; }
  DeviceHeap& heap() { return heap_; }
  const DeviceHeap& heap() const { return heap_; }
  ThunkBlock& thunk() { return thunk_; }
  const ThunkBlock& thunk() const { return thunk_; }
  Watchdog& watchdog() { return watchdog_; }
  DeviceNet& net() { return net_; }
  const DeviceNet& net() const { return net_; }
  WifiStation& wifi() { return wifi_; }
  // How far the scenario's clock_jump faults have moved the device's wall clock by now (µs).
  int64_t clock_shift_us() const {
    int64_t s = 0;
    for (const ClockJump& j : clock_jumps_) s += int64_t(j.when.opened_by(now())) * j.by_us;
    return s;
  }
  // A dns_failure fault of the scenario is under way: host-name lookups fail.
  bool dns_failing() const {
    for (const WindowSchedule& w : dns_failures_)
      if (w.open_at(now()) >= 0) return true;
    return false;
  }
  const WifiStation& wifi() const { return wifi_; }
  GpioPins& gpio() { return gpio_; }
  const GpioPins& gpio() const { return gpio_; }
  // What a sleep of the firmware's waits on: its peer while a socket may await a reply.
  WaitOn waits_on() const { return net_.awaits_peer() ? WaitOn::peer : WaitOn::nothing; }
  Task& task() { return task_; }
  const Task& task() const { return task_; }
  Lifecycle& life() { return life_; }
  const Lifecycle& life() const { return life_; }
  const ConsoleFigures& console() const { return console_; }
  const std::vector<PublishMark>& publishes() const { return publishes_; }
  // Connected to the broker now, and ever: the built-in firmware's MQTT session (its console
  // says); a sketch's or NodeMCU's, an open TCP connection (the engine cannot read its MQTT
  // library).
  bool online() const {
    return program_.console_session ? life_.state() == DeviceState::connected : net_.open_connections() > 0;
  }
  bool ever_online() const {
    return program_.console_session ? console_.first_connected.ns >= 0 : net_.counters().tcp_established > 0;
  }
  // A sketch's secure client reports its handshake (0: connected after ms, else its error): the
  // same figures the built-in firmware's console lines give (handshakes, TLS errors, failures).
  void tls_handshake_end(int error, uint32_t ms);
  const HostUse& host_use() const { return host_use_; }
  void note_stack_high_water();  // the fiber's stack as used so far (between slices)
  DevicePlatform& platform() { return platform_; }
  const DevicePlatform& platform() const { return platform_; }
  Scheduler& sched() const { return env_.sched; }  // the engine that runs it
  const DeviceEnv& env() const { return env_; }

  VTime now() const { return clock_.now(); }
  // The earliest device time at which something outside the firmware changes what it sees: its
  // sockets (DeviceNet::next_event) or a power cycle the scenario's faults bring. What an idle
  // wait may not sleep through (delay_while.cpp, loop_passes.cpp).
  bool next_event(VTime* at) const;
  // The device's history in one number: every heap request of every boot, its result and the
  // device time it came at, and the clock now (same seed + same tape ⇒ same digest).
  uint64_t digest() const;
  // The chip's address of a byte of the device heap (the heap ends where the chip's DRAM does).
  uint32_t chip_address(const void* heap_byte) const;

  // --- on the device's fiber ---
  // Reset now (it reboots): what the chip prints and the simulator's notes go to its log.
  [[noreturn]] void reset(ResetReason reason, std::string summary, std::string record = {}, std::string note = {});
  // ESP.deepSleep: off for `sleep` (no CPU, no radio, the heap and RAM lost), then a boot.
  [[noreturn]] void deep_sleep(VTime sleep);
  // A line of its serial console: logged, read for the figures, shown to the observer.
  void console_line(std::string_view line);
  // Serial output as the platform hands it over: gathered into this device's own lines.
  void serial_write(const char* bytes, size_t len) {
    serial_.write(bytes, len, [this](std::string_view l) { console_line(l); });
  }
  void serial_flush() {
    serial_.flush([this](std::string_view l) { console_line(l); });
  }

 private:
  struct DeviceTask final : Task {
    DeviceTask(Device& d) : Task(d.clock_), d(d) {}
    void run_slice() override { d.run_slice(); }
    void yielded() override { d.watchdog_.feed(); }  // the device yielded to the SDK
    Device& d;
  };
  void boot();
  void reboot();
  void note_online_change();  // FleetActivity up/down, after a slice or a power cycle
  void run_slice();
  void log_lines(const std::string& lines, const char* prefix);
  static void fiber_entry(void* self);
  static void watchdog_alarm(void* self);
  void record_fault(const FaultInfo& f) override;
  [[noreturn]] void leave_after_fault() override;

  const DeviceEnv& env_;
  DeviceIdentity ident_;
  DeviceConfig cfg_;
  const ChipModel& chip_;
  Program program_;
  std::unique_ptr<uint8_t[]> program_state_;  // its copy of program_.image's state (Program)
  void* stack_;
  size_t stack_bytes_;

  CycleClock clock_;
  CostMeter costs_;
  Rng hw_rng_;
  std::vector<uint8_t> flash_;
  DeviceHeap heap_;
  ThunkBlock thunk_;
  Watchdog watchdog_;
  DeviceTask task_;
  DeviceNet net_;
  Lifecycle life_;
  ConsoleFigures console_;
  SerialLines serial_;
  WifiStation wifi_;
  uint64_t drops_seen_ = 0;                   // the scenario's Wi-Fi drops begun by the last slice
  std::vector<PublishMark> publishes_;        // with env_.record_publishes
  uint32_t ack_next_ = 0;                     // publishes_[ack_next_] is the next a PUBACK acknowledges
  std::vector<WindowSchedule> power_cycles_;  // the scenario's power_cycle faults on this device
  uint64_t power_cycles_seen_ = 0;            // those begun by the last slice
  std::vector<WindowSchedule> resets_;        // its tcp_reset faults
  std::vector<WindowSchedule> dns_failures_;  // its dns_failure faults
  struct ClockJump {
    WindowSchedule when;
    int64_t by_us;
  };
  std::vector<ClockJump> clock_jumps_;  // its clock_jump faults
  uint64_t resets_seen_ = 0;            // those done by the last slice
  bool online_seen_ = false;            // online() after the last slice (FleetActivity up/down)
  GpioPins gpio_;
  HostUse host_use_;
  DevicePlatform platform_;
  DeviceHeap* alloc_saved_;  // where `new` went when the fiber last suspended (alloc_scope.h)
};

}  // namespace espfleet
