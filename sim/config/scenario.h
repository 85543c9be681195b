// sim/config/scenario.h — a fleet scenario: the TOML file plus --set overrides, validated and resolved
// into plain config structs (fleet, broker, and one DeviceConfig per device via its group).
// Every key, its type and default: docs/scenario-reference.md (and scenario_options()).
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chip_kind.h"
#include "enum_names.h"
#include "key_type.h"
#include "run_mode.h"
#include "units.h"

namespace espfleet {

// tls.validation: how the firmware checks the broker (Tasmota's SetOption132).
enum class Validation : uint8_t { ca, fingerprint };
inline constexpr EnumName<Validation> kValidationNames[] = {{Validation::ca, "ca"},
                                                            {Validation::fingerprint, "fingerprint"}};

// tls.key_exchange: ECDHE (the default) or static RSA (TLS_RSA_WITH_AES_128_GCM_SHA256).
enum class KeyExchange : uint8_t { ecdhe, rsa };
inline constexpr EnumName<KeyExchange> kKeyExchangeNames[] = {{KeyExchange::ecdhe, "ecdhe"}, {KeyExchange::rsa, "rsa"}};

// One background heap workload (heap.workload): a block of size_min..size_max bytes (uniform)
// allocated every `every` on average (exponential intervals) and held for `lifetime` on average
// (exponential). Drawn on the device from its seeded random().
struct HeapWorkload {
  std::string name;  // <= 7 characters (the firmware's name[8])
  Duration every = Duration::from_s(10);
  uint32_t size_min = 0, size_max = 0;  // bytes, 1 .. 16384, size_min <= size_max
  Duration lifetime = Duration::from_s(1);
  bool use_new = false;  // alloc=new: new[] (a failure is an OOM abort), else malloc
  bool operator==(const HeapWorkload&) const = default;
};

// When something happens to a device, over and over: from `at` (device time) for `length`
// (0: for good), again every `every` (0: once); each device's windows start later by an offset
// drawn from its seed in [0, spread). The same schedule shape for input pins and Wi-Fi drops.
struct TimeWindows {
  Duration at{}, length{}, every{}, spread{};
  bool operator==(const TimeWindows&) const = default;
};
// sketch.gpio_inputs: a pin held at `level` during the windows (else it reads its pull).
struct GpioInput {
  uint8_t pin = 0;
  uint8_t level = 0;
  TimeWindows when;
  bool operator==(const GpioInput&) const = default;
};

// [[faults]]: what goes wrong in the fleet's world (docs/faults.md). The broker's faults act on
// the embedded Mosquitto; a device's act on the devices it targets.
enum class FaultKind : uint8_t {
  broker_restart,   // a graceful stop, started again after `duration`
  broker_kill,      // kill -9, started again after `duration`
  broker_stall,     // SIGSTOP for `duration`, then SIGCONT
  partition,        // the device's link black-holes every packet for `duration` (TCP retransmits after)
  power_cycle,      // the device loses power and boots again (not a crash)
  cert_rotate,      // the broker's listener certificate renewed (same key, or new_key), reloaded (SIGHUP)
  observer_outage,  // the delivery observer (the backend) disconnects for `duration`; its session stays
  link_delay,       // every exchange of the device's link takes `delay` longer for `duration`
  tcp_reset,        // the device's TCP connections are reset (a moment)
  wifi_loss,        // the device's access point goes away for `duration`; it joins again after
  dns_failure,      // the device's host-name lookups fail for `duration`
  clock_jump,       // the device's wall clock (SNTP's time) jumps by `by` (a moment)
  packet_loss,      // a share `loss` of the link's segments is lost each way for `duration` (TCP resends)
  bandwidth,        // the link carries at most `rate` bits per second each way for `duration`
};
inline constexpr EnumName<FaultKind> kFaultKindNames[] = {{FaultKind::broker_restart, "broker_restart"},
                                                          {FaultKind::broker_kill, "broker_kill"},
                                                          {FaultKind::broker_stall, "broker_stall"},
                                                          {FaultKind::partition, "partition"},
                                                          {FaultKind::power_cycle, "power_cycle"},
                                                          {FaultKind::cert_rotate, "cert_rotate"},
                                                          {FaultKind::observer_outage, "observer_outage"},
                                                          {FaultKind::link_delay, "link_delay"},
                                                          {FaultKind::tcp_reset, "tcp_reset"},
                                                          {FaultKind::wifi_loss, "wifi_loss"},
                                                          {FaultKind::dns_failure, "dns_failure"},
                                                          {FaultKind::clock_jump, "clock_jump"},
                                                          {FaultKind::packet_loss, "packet_loss"},
                                                          {FaultKind::bandwidth, "bandwidth"}};
inline constexpr bool is_broker_fault(FaultKind k) {
  return k == FaultKind::broker_restart || k == FaultKind::broker_kill || k == FaultKind::broker_stall ||
         k == FaultKind::cert_rotate;
}
// A fault of devices (a target: group, fraction), not of the broker or the backend.
inline constexpr bool is_device_fault(FaultKind k) {
  return k == FaultKind::partition || k == FaultKind::power_cycle || k == FaultKind::link_delay ||
         k == FaultKind::tcp_reset || k == FaultKind::wifi_loss || k == FaultKind::dns_failure ||
         k == FaultKind::clock_jump || k == FaultKind::packet_loss || k == FaultKind::bandwidth;
}
// A fault that is a moment, not a window (no `duration`).
inline constexpr bool is_instant_fault(FaultKind k) {
  return k == FaultKind::power_cycle || k == FaultKind::cert_rotate || k == FaultKind::tcp_reset ||
         k == FaultKind::clock_jump;
}

// One [[faults]] entry: at `at` (device time), again every `every` (0: once), for `duration`; a
// device fault targets the devices of `group` ("" = all), `fraction` of them drawn per device from
// the fleet's seed and the entry's place in the file (the same devices at every occurrence).
struct FaultSpec {
  FaultKind kind = FaultKind::broker_restart;
  Duration at{}, every{}, duration{};
  std::string group;
  double fraction = 1;
  bool new_key = false;   // cert_rotate: a new key (else the same key, renewed)
  bool new_ca = false;    // cert_rotate: issued by a new CA (else the run's)
  Duration delay{};       // link_delay: added to each exchange
  Duration by{};          // clock_jump: how far the wall clock jumps (negative: back)
  double loss = 0;        // packet_loss: the share of segments lost, each way (0 < loss < 1)
  uint64_t rate_bps = 0;  // bandwidth: bits per second, each way
  uint32_t index = 0;     // [[faults]] entry number, from 0
  bool operator==(const FaultSpec&) const = default;
};
// A device fault as the device it targets holds it: when its windows are open.
struct DeviceFault {
  FaultKind kind = FaultKind::partition;
  TimeWindows when;
  Duration delay{};       // link_delay
  Duration by{};          // clock_jump
  double loss = 0;        // packet_loss
  uint64_t rate_bps = 0;  // bandwidth
  uint32_t index = 0;     // the [[faults]] entry
  bool operator==(const DeviceFault&) const = default;
};

// sketch.hosts: a host name a sketch uses, and where it leads.
struct HostMapping {
  enum class To : uint8_t { broker, nowhere };  // the run's broker; a name that does not resolve
  std::string name;                             // lower case
  To to = To::broker;
  bool operator==(const HostMapping&) const = default;
};

// Everything one device needs; resolved per device (defaults, then its group's overrides).
struct DeviceConfig {
  Chip chip = Chip::esp8266;                      // device.chip
  std::string firmware;                           // device.firmware: "" = the built-in one, else a NodeMCU project
  uint32_t cpu_mhz = 80;                          // device.cpu_mhz: 80 | 160 (default: the chip's)
  uint32_t heap_bytes = 49152;                    // device.heap_bytes (multiple of 8, 4096..the chip's most)
  uint32_t loop_stack_bytes = 0;                  // device.loop_stack_bytes (esp32c3), 0 = the chip's 8192
  uint32_t heap_boot_used = 0;                    // heap.boot_used: bytes the firmware's boot keeps
  std::vector<HeapWorkload> heap_workload;        // heap.workload (at most 6 entries)
  std::vector<GpioInput> gpio_inputs;             // sketch.gpio_inputs (at most 8)
  std::vector<TimeWindows> wifi_drops;            // sketch.wifi_drops (at most 8)
  std::vector<HostMapping> hosts;                 // sketch.hosts (names not listed lead to the broker)
  std::vector<DeviceFault> faults;                // the [[faults]] that target this device (for_device)
  bool tls_enabled = true;                        // tls.enabled
  Validation validation = Validation::ca;         // tls.validation
  bool client_cert = true;                        // tls.client_cert
  bool ecdsa = false;                             // tls.ecdsa (SetOption165)
  KeyExchange key_exchange = KeyExchange::ecdhe;  // tls.key_exchange
  std::string fingerprint1 = "learn";             // tls.fingerprint1 (see parse_fingerprint_slot)
  std::string fingerprint2;                       // tls.fingerprint2 ("" = matches no key)
  uint32_t thunk_size = 0;                        // tls.thunk_size bytes, 0 = firmware default
  uint8_t builtin_anchors = 0;                    // tls.builtin_anchors: BuiltinAnchor bits (core/builtin_anchors.h)
  Duration tele_period = Duration::from_s(300);   // app.tele_period
  Duration keepalive = Duration::from_s(30);      // mqtt.keepalive
  uint8_t mqtt_qos = 0;                           // mqtt.qos: of the firmware's publishes (0 or 1)
  Duration rtt = Duration::from_ms(2);            // net.rtt (link model, virtual time)
  Duration jitter = Duration::from_us(0);         // net.jitter
  std::string group;                              // the device's group ("" = defaults)
};

// [thresholds]: a figure of the run's summary and the condition it must meet at the end
// (docs/thresholds.md). `figure` is the summary's path ("crashes", "handshake_ms.p99",
// "host.lag_max_ms"); a bare number means "equals".
struct Threshold {
  enum class Op : uint8_t { lt, le, gt, ge, eq, ne };
  std::string figure;
  Op op = Op::eq;
  double value = 0;
  std::string text;             // "handshake_ms.p99 < 2000", as the summary shows it
  uint64_t order = UINT64_MAX;  // where the file has it (line, column); --set ones come after
  bool operator==(const Threshold&) const = default;
};

struct FleetConfig {
  uint32_t devices = 10;                           // fleet.devices
  Duration duration = Duration::from_s(60);        // fleet.duration
  uint64_t seed = 1;                               // fleet.seed
  RunMode mode = RunMode::realtime;                // fleet.mode
  Duration connect_spread = Duration::from_us(0);  // fleet.connect_spread: boots spread over it
  bool skip_idle = true;                           // fleet.skip_idle: idle waits and loop passes skipped
  bool observe = false;                            // fleet.observe: account delivery with an observer client
  std::vector<Threshold> thresholds;               // [thresholds], in file order
  std::vector<FaultSpec> faults;                   // [[faults]], in file order
};

struct BrokerConfig {
  KeyType server_key = KeyType::rsa2048;        // broker.server_key
  bool require_certificate = true;              // broker.require_certificate
  std::string url;                              // broker.url: "" = embedded Mosquitto
  Duration restart_every{};                     // broker.restart_every: embedded broker stops this often (0 = never)
  Duration restart_down = Duration::from_s(5);  // broker.restart_down: and stays down this long
  bool persistence = false;                     // broker.persistence: Mosquitto saves its state to disk
};

// Invalid scenario. what() holds the problems found (the first 20, then how many more), one per
// line, each starting with "FILE:LINE:COLUMN: KEY = VALUE: " or "--set KEY=VALUE: "; values and
// lines too long to read are cut and their length given. messages() has every problem.
struct ScenarioError : std::runtime_error {
  explicit ScenarioError(std::vector<std::string> messages);
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
};

struct Scenario {
  struct Group {
    std::string name;
    uint32_t first_id = 0;               // devices [first_id, first_id + count)
    uint32_t count = 0;                  // resolved (from count, or fraction of fleet.devices)
    std::optional<double> fraction;      // as written, when sized by fraction
    std::vector<std::string> overrides;  // device-level keys the group sets ("device.cpu_mhz")
    DeviceConfig config;                 // defaults + overrides; config.group == name
  };

  std::string source;             // the file path (or name given to parse_scenario)
  std::vector<std::string> sets;  // the --set arguments applied, in order
  FleetConfig fleet;
  BrokerConfig broker;
  DeviceConfig defaults;      // for devices in no group
  std::vector<Group> groups;  // in file order; ids assigned in that order from 0

  // Groups take ids in file order: the first [0, count), the next the following ones; the
  // rest up to fleet.devices use `defaults`. Throws std::out_of_range for id >= fleet.devices.
  DeviceConfig for_device(uint32_t id) const;
  const Group* group_of(uint32_t id) const;  // nullptr: defaults (or out of range)
  uint32_t default_count() const;            // devices in no group

  // The fully resolved scenario (written to the run dir); durations as strings ("10s").
  nlohmann::ordered_json resolved() const;
};

// Reads and validates a scenario file (a regular file: a directory, FIFO or device is refused);
// `sets` are "key=value" overrides (see the reference). `shown[i]`, when given and not empty, is
// how messages name sets[i] instead of "--set KEY=VALUE" (the CLI's own options: "--duration -5s").
Scenario load_scenario(const std::string& path, const std::vector<std::string>& sets = {},
                       const std::vector<std::string>& shown = {});
// Same from text; `name` is used as the file name in error messages and as Scenario::source.
Scenario parse_scenario(std::string_view text, const std::string& name, const std::vector<std::string>& sets = {},
                        const std::vector<std::string>& shown = {});

// One documented option, for --help and the reference page. `default_value` is the resolved
// JSON form of the default (durations as strings).
struct ScenarioOption {
  std::string key;            // "device.cpu_mhz"
  std::string type;           // "frequency", "duration", "bytes", "integer", "bool", "string", "enum", "list"
  std::string default_value;  // e.g. "80", "\"ca\"", "\"5m\""
  std::string unit;           // "MHz", "bytes", "" ...
  std::string doc;            // one line
  bool per_device;            // may be set in a [[group]]
};
const std::vector<ScenarioOption>& scenario_options();

}  // namespace espfleet
