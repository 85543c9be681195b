// sim/config/scenario_options.cpp — the option table (scenario_options.h).
#include "scenario_options.h"

#include "builtin_anchors.h"
#include "windows_value.h"
#include "workload_value.h"

namespace espfleet::scenario_detail {

namespace {

// tls.builtin_anchors: the root CAs compiled into the firmware, by name, in bit order.
constexpr EnumName<uint8_t> kBuiltinAnchorNames[] = {
    {kAnchorIsrgX1, "isrg_root_x1"}, {kAnchorAmazonCa1, "amazon_root_ca1"}, {kAnchorAmazonCa3, "amazon_root_ca3"}};

// A list of built-in anchor names (a single name is a list of one); duplicates are harmless.
uint8_t read_builtin_anchors(const toml::node& n) {
  std::vector<const toml::node*> items;
  if (auto* a = n.as_array())
    for (const toml::node& e : *a) items.push_back(&e);
  else if (n.is_string())
    items.push_back(&n);
  else
    bad("expected a list of names such as [\"isrg_root_x1\", \"amazon_root_ca1\"]");
  uint8_t mask = 0;
  for (const toml::node* e : items) {
    if (!e->is_string()) bad("expected a list of names (strings) such as [\"isrg_root_x1\"]");
    try {
      mask |= read_enum(*e, kBuiltinAnchorNames);
    } catch (const FieldError& err) {
      bad("unknown built-in anchor " + json(e->as_string()->get()).dump() + ": " + err.msg);
    }
  }
  return mask;
}

json builtin_anchor_names(uint8_t mask) {
  json out = json::array();
  for (const EnumName<uint8_t>& a : kBuiltinAnchorNames)
    if (mask & a.value) out.push_back(std::string(a.name));
  return out;
}

}  // namespace

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      {"fleet.devices", "integer", "devices", "number of virtual devices (ids 0 .. devices-1)", false,
       [](Settings& s, const toml::node& n) { s.fleet.devices = uint32_t(read_int(n, 1, 10000000)); },
       [](const Settings& s) { return json(s.fleet.devices); }},
      {"fleet.duration", "duration", "", "how long the run lasts (virtual time)", false,
       [](Settings& s, const toml::node& n) {
         s.fleet.duration = read_duration(n, Duration::from_us(1), Duration::from_s(365 * 86400));
       },
       [](const Settings& s) { return json(s.fleet.duration.str()); }},
      {"fleet.seed", "integer", "", "master seed; every device's randomness derives from it and its id", false,
       [](Settings& s, const toml::node& n) { s.fleet.seed = uint64_t(read_int(n, 0, INT64_MAX)); },
       [](const Settings& s) { return json(s.fleet.seed); }},
      {"fleet.mode", "enum", "", "\"realtime\": never ahead of the wall clock; \"fast\": jump to the next wake-up",
       false, [](Settings& s, const toml::node& n) { s.fleet.mode = read_enum(n, kRunModeNames); },
       [](const Settings& s) { return enum_json(kRunModeNames, s.fleet.mode); }},
      {"fleet.connect_spread", "duration", "", "boot times spread uniformly (seeded) over this window; 0 = all at once",
       false,
       [](Settings& s, const toml::node& n) {
         s.fleet.connect_spread = read_duration(n, Duration{}, Duration::from_s(86400));
       },
       [](const Settings& s) { return json(s.fleet.connect_spread.str()); }},
      {"fleet.skip_idle", "bool", "",
       "skip the esp_delay steps and sketch loop passes nothing can change (docs/sketches.md); false runs each", false,
       [](Settings& s, const toml::node& n) { s.fleet.skip_idle = read_bool(n); },
       [](const Settings& s) { return json(s.fleet.skip_idle); }},
      {"fleet.observe", "bool", "",
       "account delivery: an MQTT client of espfleet's own subscribes to the fleet's topics and the summary says what "
       "arrived of what the devices published (docs/faults.md)",
       false, [](Settings& s, const toml::node& n) { s.fleet.observe = read_bool(n); },
       [](const Settings& s) { return json(s.fleet.observe); }},
      {"broker.server_key", "enum", "", "key type of the embedded broker's generated certificate", false,
       [](Settings& s, const toml::node& n) { s.broker.server_key = read_enum(n, kKeyTypeNames); },
       [](const Settings& s) { return enum_json(kKeyTypeNames, s.broker.server_key); }},
      {"broker.require_certificate", "bool", "", "embedded broker demands a client certificate", false,
       [](Settings& s, const toml::node& n) { s.broker.require_certificate = read_bool(n); },
       [](const Settings& s) { return json(s.broker.require_certificate); }},
      {"broker.persistence", "bool", "",
       "the embedded Mosquitto saves its sessions and queued messages on every change, and a restart (a kill -9 "
       "too) restores them",
       false, [](Settings& s, const toml::node& n) { s.broker.persistence = read_bool(n); },
       [](const Settings& s) { return json(s.broker.persistence); }},
      {"broker.url", "string", "", "external broker \"mqtt://host:port\" or \"mqtts://host:port\"; \"\" = embedded",
       false,
       [](Settings& s, const toml::node& n) {
         std::string u = read_string(n);
         if (!u.empty() && u.rfind("mqtt://", 0) != 0 && u.rfind("mqtts://", 0) != 0)
           bad("must be empty (embedded broker) or start with mqtt:// or mqtts://");
         s.broker.url = u;
       },
       [](const Settings& s) { return json(s.broker.url); }},
      {"broker.restart_every", "duration", "",
       "the embedded broker stops this often (device time) and restarts after broker.restart_down; 0 = never", false,
       [](Settings& s, const toml::node& n) {
         s.broker.restart_every = read_duration(n, Duration{}, Duration::from_s(365 * 86400));
       },
       [](const Settings& s) { return json(s.broker.restart_every.str()); }},
      {"broker.restart_down", "duration", "", "how long the embedded broker stays down at each restart", false,
       [](Settings& s, const toml::node& n) {
         s.broker.restart_down = read_duration(n, Duration::from_ms(1), Duration::from_s(86400));
       },
       [](const Settings& s) { return json(s.broker.restart_down.str()); }},
      {"device.chip", "enum", "",
       "which chip: \"esp8266\" (Xtensa lx106, umm_malloc, thunk stack) or \"esp32c3\" (RISC-V, TLSF heap, BearSSL "
       "on the loop task's stack); groups may mix them (docs/chips.md)",
       true, [](Settings& s, const toml::node& n) { s.device.chip = read_enum(n, kChipNames); },
       [](const Settings& s) { return enum_json(kChipNames, s.device.chip); }},
      {"device.firmware", "string", "",
       "what the device runs: \"tasmota\" (the built-in firmware) or a NodeMCU project folder holding an init.lua "
       "(relative to the scenario file's folder; ESP8266 only); groups may mix them (docs/nodemcu.md). The command "
       "line's --firmware replaces the built-in one",
       true,
       [](Settings& s, const toml::node& n) {
         std::string v = read_string(n);
         if (v.empty()) bad("must be \"tasmota\" or a NodeMCU project folder");
         s.device.firmware = v == "tasmota" ? "" : v;
       },
       [](const Settings& s) { return json(s.device.firmware.empty() ? "tasmota" : s.device.firmware); }},
      {"device.cpu_mhz", "frequency", "MHz",
       "CPU clock, 80 or 160 (\"160MHz\" also accepted); default the chip's: 80 on the esp8266, 160 on the esp32c3",
       true,
       [](Settings& s, const toml::node& n) {
         uint32_t v = read_unit(n, parse_mhz, "a frequency such as 80 or \"160MHz\"");
         if (v != 80 && v != 160) bad("must be 80 or 160");
         s.device.cpu_mhz = v;
         s.cpu_mhz_set = true;
       },
       [](const Settings& s) { return json(s.device.cpu_mhz); }},
      {"device.heap_bytes", "bytes", "bytes",
       "heap size (multiple of 8, 4096 .. 81920 on the esp8266, .. 327680 on the esp32c3; \"48K\" accepted); default "
       "the chip's: 49152 (esp8266), 155648 (esp32c3)",
       true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         const uint32_t most = chip_defaults(Chip::esp32c3).heap_max;
         if (v < 4096 || v > most) bad("must be between 4096 and " + std::to_string(most) + " (the chip's RAM)");
         if (v % 8 != 0) bad("must be a multiple of 8 (the heap's block size)");
         s.device.heap_bytes = uint32_t(v);
         s.heap_bytes_set = true;
       },
       [](const Settings& s) { return json(s.device.heap_bytes); }},
      {"device.loop_stack_bytes", "bytes", "bytes",
       "esp32c3: the loop task's stack, where BearSSL runs (Tasmota's SET_ESP32_STACK_SIZE), 2048 .. 65536, "
       "multiple of 16; 0 = 8192, the default. The esp8266's cont stack is fixed (4096)",
       true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         if (v != 0 && (v < 2048 || v > 65536)) bad("must be 0 (the default) or between 2048 and 65536");
         if (v % 16 != 0) bad("must be a multiple of 16 (the RISC-V stack alignment)");
         s.device.loop_stack_bytes = uint32_t(v);
       },
       [](const Settings& s) { return json(s.device.loop_stack_bytes); }},
      {"heap.boot_used", "bytes", "bytes",
       "heap the firmware's boot allocates and keeps (in 512..2048-byte chunks), 0 .. 65536", true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         if (v > 65536) bad("must be between 0 and 65536 (\"64K\")");
         s.device.heap_boot_used = uint32_t(v);
       },
       [](const Settings& s) { return json(s.device.heap_boot_used); }},
      {"heap.workload", "list", "",
       "background heap workload: up to 6 entries \"NAME: every=DUR size=MIN..MAX life=DUR\"", true,
       [](Settings& s, const toml::node& n) { s.device.heap_workload = read_heap_workload(n); },
       [](const Settings& s) {
         json out = json::array();
         for (const HeapWorkload& w : s.device.heap_workload) out.push_back(format_workload(w));
         return out;
       }},
      {"sketch.gpio_inputs", "list", "",
       "input signals of a sketch's devices: up to 8 \"PIN=LEVEL at=DUR [for=DUR] [every=DUR] [spread=DUR]\"", true,
       [](Settings& s, const toml::node& n) { s.device.gpio_inputs = read_gpio_inputs(n); },
       [](const Settings& s) {
         json out = json::array();
         for (const GpioInput& g : s.device.gpio_inputs) out.push_back(format_gpio_input(g));
         return out;
       }},
      {"sketch.wifi_drops", "list", "",
       "a sketch's devices lose their access point: up to 8 \"at=DUR for=DUR [every=DUR] [spread=DUR]\"", true,
       [](Settings& s, const toml::node& n) { s.device.wifi_drops = read_wifi_drops(n); },
       [](const Settings& s) {
         json out = json::array();
         for (const TimeWindows& w : s.device.wifi_drops) out.push_back(format_windows(w));
         return out;
       }},
      {"sketch.hosts", "list", "",
       "where a sketch's host names lead: up to 8 \"NAME=broker\" or \"NAME=none\" (does not resolve); any other "
       "name leads to the run's broker",
       true, [](Settings& s, const toml::node& n) { s.device.hosts = read_host_map(n); },
       [](const Settings& s) {
         json out = json::array();
         for (const HostMapping& h : s.device.hosts) out.push_back(format_host_mapping(h));
         return out;
       }},
      {"tls.enabled", "bool", "", "MQTT over TLS (false = plain MQTT)", true,
       [](Settings& s, const toml::node& n) { s.device.tls_enabled = read_bool(n); },
       [](const Settings& s) { return json(s.device.tls_enabled); }},
      {"tls.validation", "enum", "",
       "\"ca\": chain to a trust anchor (SetOption132 0); \"fingerprint\": public-key fingerprint (SetOption132 1)",
       true, [](Settings& s, const toml::node& n) { s.device.validation = read_enum(n, kValidationNames); },
       [](const Settings& s) { return enum_json(kValidationNames, s.device.validation); }},
      {"tls.client_cert", "bool", "", "present an EC client certificate (TLSKey1/TLSKey2)", true,
       [](Settings& s, const toml::node& n) { s.device.client_cert = read_bool(n); },
       [](const Settings& s) { return json(s.device.client_cert); }},
      {"tls.key_exchange", "enum", "",
       "\"ecdhe\": ECDHE_RSA (ECDHE_ECDSA with tls.ecdsa); \"rsa\": TLS_RSA_WITH_AES_128_GCM_SHA256, as older Tasmota "
       "builds used with Let's Encrypt brokers (no client certificate, RSA-only profile)",
       true, [](Settings& s, const toml::node& n) { s.device.key_exchange = read_enum(n, kKeyExchangeNames); },
       [](const Settings& s) { return enum_json(kKeyExchangeNames, s.device.key_exchange); }},
      {"tls.ecdsa", "bool", "", "also offer ECDHE_ECDSA suites (SetOption165)", true,
       [](Settings& s, const toml::node& n) { s.device.ecdsa = read_bool(n); },
       [](const Settings& s) { return json(s.device.ecdsa); }},
      {"tls.fingerprint1", "string", "",
       "fingerprint slot 1 (MqttFingerprint1): the SHA-1 of the broker's public key as 20 space-separated hex bytes "
       "(`espfleet fingerprint CERT`), \"learn\" (all 00), \"any\" (all FF) or \"\" (matches no key)",
       true, [](Settings& s, const toml::node& n) { s.device.fingerprint1 = read_fingerprint(n, 0); },
       [](const Settings& s) { return json(s.device.fingerprint1); }},
      {"tls.fingerprint2", "string", "", "fingerprint slot 2 (MqttFingerprint2), same form", true,
       [](Settings& s, const toml::node& n) { s.device.fingerprint2 = read_fingerprint(n, 1); },
       [](const Settings& s) { return json(s.device.fingerprint2); }},
      {"tls.thunk_size", "bytes", "bytes", "BearSSL thunk stack allocated per handshake; 0 = firmware default", true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         if (v != 0 && (v < 1024 || v > 65532 || v % 4 != 0))
           bad("must be 0 (firmware default) or a multiple of 4 between 1024 and 65532");
         s.device.thunk_size = uint32_t(v);
       },
       [](const Settings& s) { return json(s.device.thunk_size); }},
      {"tls.builtin_anchors", "list", "",
       "root CAs compiled into the firmware, trusted besides the CA file: any of \"isrg_root_x1\", "
       "\"amazon_root_ca1\", \"amazon_root_ca3\"",
       true, [](Settings& s, const toml::node& n) { s.device.builtin_anchors = read_builtin_anchors(n); },
       [](const Settings& s) { return builtin_anchor_names(s.device.builtin_anchors); }},
      {"mqtt.keepalive", "duration", "", "MQTT keepalive, whole seconds, 1s .. 65535s", true,
       [](Settings& s, const toml::node& n) {
         s.device.keepalive = read_duration(n, Duration::from_s(1), Duration::from_s(65535), true);
       },
       [](const Settings& s) { return json(s.device.keepalive.str()); }},
      {"mqtt.qos", "integer", "",
       "QoS of the built-in firmware's publishes: 0, or 1 (acknowledged by the broker, not retried, as Tasmota)", true,
       [](Settings& s, const toml::node& n) { s.device.mqtt_qos = uint8_t(read_int(n, 0, 1)); },
       [](const Settings& s) { return json(s.device.mqtt_qos); }},
      {"app.tele_period", "duration", "", "telemetry period (TelePeriod), whole seconds, 10s .. 3600s", true,
       [](Settings& s, const toml::node& n) {
         s.device.tele_period = read_duration(n, Duration::from_s(10), Duration::from_s(3600), true);
       },
       [](const Settings& s) { return json(s.device.tele_period.str()); }},
      {"net.rtt", "duration", "", "round-trip time added by the link model (virtual time), up to 1m", true,
       [](Settings& s, const toml::node& n) { s.device.rtt = read_duration(n, Duration{}, Duration::from_s(60)); },
       [](const Settings& s) { return json(s.device.rtt.str()); }},
      {"net.jitter", "duration", "", "extra delay drawn uniformly from [0, jitter) per packet, seeded; up to 1m", true,
       [](Settings& s, const toml::node& n) { s.device.jitter = read_duration(n, Duration{}, Duration::from_s(60)); },
       [](const Settings& s) { return json(s.device.jitter.str()); }},
  };
  return table;
}

const Option* find_option(std::string_view key) {
  for (const Option& o : options())
    if (key == o.key) return &o;
  return nullptr;
}

bool is_section(std::string_view path) {
  for (const Option& o : options())
    if (std::string_view(o.key).substr(0, path.size() + 1) == std::string(path) + ".") return true;
  return false;
}

std::vector<std::string> candidates(bool in_group) {
  std::vector<std::string> c;
  for (const Option& o : options())
    if (!in_group || o.per_device) c.push_back(o.key);
  if (in_group)
    c.insert(c.end(), std::begin(kGroupKeys), std::end(kGroupKeys));
  else
    c.push_back("group");
  return c;
}

json to_json(const Settings& s, bool per_device) {
  json out = json::object();
  for (const Option& o : options()) {
    if (o.per_device != per_device) continue;
    std::string_view k = o.key;
    size_t dot = k.find('.');
    out[std::string(k.substr(0, dot))][std::string(k.substr(dot + 1))] = o.get(s);
  }
  return out;
}

}  // namespace espfleet::scenario_detail
