// sim/scenario.cpp — loads a scenario: TOML (toml++) + --set overrides -> validated config structs.
// The option table below is the one place each key is declared with its type, doc and checks;
// resolved(), scenario_options() and docs/scenario-reference.md all follow it.
#include "scenario.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "builtin_anchors.h"
#include "fingerprint.h"
#include "input_file.h"

namespace espfleet {
namespace {

using json = nlohmann::ordered_json;

struct Settings {  // what one scope of the file configures
  FleetConfig fleet;
  BrokerConfig broker;
  DeviceConfig device;
};

struct FieldError {  // a bad value; the caller adds where it came from and the key
  std::string msg;
};
[[noreturn]] void bad(std::string msg) { throw FieldError{std::move(msg)}; }

// ---- value readers ---------------------------------------------------------------------------

bool read_bool(const toml::node& n) {
  if (auto* b = n.as_boolean()) return b->get();
  bad("expected true or false");
}

int64_t read_int(const toml::node& n, int64_t lo, int64_t hi) {
  auto* i = n.as_integer();
  if (!i) bad("expected an integer");
  if (i->get() < 0 && lo == 0) bad("must not be negative");
  if (i->get() < lo || i->get() > hi)
    bad("must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return i->get();
}

std::string read_string(const toml::node& n) {
  if (auto* s = n.as_string()) return s->get();
  bad("expected a string");
}

std::string read_fingerprint(const toml::node& n) {
  std::string text = read_string(n);
  try {
    parse_fingerprint_slot(text);
  } catch (const FingerprintError& e) {
    bad(e.what());
  }
  return text;
}

template <typename Parse>
auto read_unit(const toml::node& n, Parse parse, const char* what) {
  if (n.is_integer() && n.as_integer()->get() < 0) bad("must not be negative");
  try {
    if (auto* i = n.as_integer()) return parse(std::to_string(i->get()));
    if (auto* s = n.as_string()) return parse(s->get());
  } catch (const UnitError& e) {
    std::string msg = e.what();  // drop the quoted input: the caller shows KEY = VALUE
    size_t end = msg.size() > 1 && msg[0] == '"' ? msg.find("\": ") : std::string::npos;
    bad(end == std::string::npos ? msg : msg.substr(end + 3));
  }
  bad(std::string("expected ") + what);
}

Duration read_duration(const toml::node& n, Duration lo, Duration hi, bool whole_seconds = false) {
  if (n.is_floating_point()) bad("a bare number is whole seconds; write a string such as \"1.5s\"");
  Duration d = read_unit(n, parse_duration, "a duration such as \"500ms\", \"60s\" or 60 (seconds)");
  if (d < lo || d > hi) bad("must be between " + lo.str() + " and " + hi.str());
  if (whole_seconds && d.us % 1000000 != 0) bad("must be a whole number of seconds");
  return d;
}

uint64_t read_bytes(const toml::node& n) {
  return read_unit(n, parse_bytes, "a byte size such as 49152 or \"48K\"");
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view last_segment(std::string_view key) {
  size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// The closest candidate by edit distance, else one with the same last segment, else "".
std::string suggest(std::string_view key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, key.size() / 4) + 1;
  for (const std::string& c : candidates)
    if (size_t d = edit_distance(key, c); d < best_d) best_d = d, best = c;
  if (best.empty())
    for (const std::string& c : candidates)
      if (last_segment(c) == last_segment(key)) return c;
  return best;
}

template <class E, size_t N>
E read_enum(const toml::node& n, const EnumName<E> (&table)[N]) {
  std::string v = read_string(n);
  if (std::optional<E> e = enum_parse(table, v)) return *e;
  std::vector<std::string> names;
  for (const EnumName<E>& c : table) names.emplace_back(c.name);
  std::string msg = "must be " + enum_choices(table, true);
  if (std::string s = suggest(v, names); !s.empty()) msg += " (did you mean " + json(s).dump() + "?)";
  bad(msg);
}

template <class E, size_t N>
json enum_json(const EnumName<E> (&table)[N], E v) {
  return std::string(enum_name(table, v));
}

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

// heap.workload: a list of entries, each a string "NAME: every=DUR size=MIN..MAX life=DUR"
// (size=N for a fixed size; fields in any order, all required) or an inline table
// {name = "web", every = "30s", size_min = 600, size_max = 1400, lifetime = "2s"}.
constexpr size_t kMaxHeapWorkloads = 6;     // core/settings.h kMaxWorkloads
constexpr uint64_t kMaxWorkloadBlock = 16384;

bool valid_workload_name(const std::string& n) {
  return !n.empty() && n.size() <= 7 &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
}

Duration workload_duration(const std::string& field, const std::string& text, Duration lo) {
  Duration d;
  try {
    d = parse_duration(text);
  } catch (const UnitError& e) {
    bad(field + ": " + e.what());
  }
  if (d < lo || d > Duration::from_s(86400)) bad(field + ": must be between " + lo.str() + " and 1d");
  return d;
}

uint32_t workload_bytes(const std::string& field, const std::string& text) {
  uint64_t v;
  try {
    v = parse_bytes(text);
  } catch (const UnitError& e) {
    bad(field + ": " + e.what());
  }
  if (v < 1 || v > kMaxWorkloadBlock) bad(field + ": must be between 1 and 16384 bytes");
  return uint32_t(v);
}

std::string trim_ws(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}

const char* const kWorkloadForm = "\"NAME: every=DURATION size=MIN..MAX life=DURATION [alloc=new|malloc]\"";

HeapWorkload parse_workload_string(const std::string& text) {
  HeapWorkload w;
  size_t colon = text.find(':');
  if (colon == std::string::npos) bad(std::string("expected ") + kWorkloadForm);
  w.name = trim_ws(text.substr(0, colon));
  if (!valid_workload_name(w.name)) bad("name " + json(w.name).dump() + ": must be 1 to 7 letters, digits, '_' or '-'");
  bool every = false, size = false, life = false;
  std::istringstream fields(text.substr(colon + 1));
  for (std::string f; fields >> f;) {
    size_t eq = f.find('=');
    std::string k = f.substr(0, eq), v = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (eq == std::string::npos || v.empty()) bad("'" + f + "': expected FIELD=VALUE (every=, size=, life=)");
    if (k == "every") {
      w.every = workload_duration("every", v, Duration::from_ms(1)), every = true;
    } else if (k == "size") {
      size_t dots = v.find("..");
      w.size_min = workload_bytes("size", v.substr(0, dots));
      w.size_max = dots == std::string::npos ? w.size_min : workload_bytes("size", v.substr(dots + 2));
      if (w.size_min > w.size_max) bad("size: " + v + ": the minimum is larger than the maximum");
      size = true;
    } else if (k == "life" || k == "lifetime") {
      w.lifetime = workload_duration("life", v, Duration{}), life = true;
    } else if (k == "alloc") {
      if (v != "new" && v != "malloc") bad("alloc: '" + v + "': expected new or malloc");
      w.use_new = v == "new";
    } else {
      std::string s = suggest(k, {"every", "size", "life", "alloc"});
      bad("unknown field '" + k + "'" + (s.empty() ? " (fields: every, size, life, alloc)" : " (did you mean '" + s + "'?)"));
    }
  }
  if (!every || !size || !life)
    bad(std::string("missing ") + (!every ? "every=" : !size ? "size=" : "life=") + " (form: " + kWorkloadForm + ")");
  return w;
}

HeapWorkload parse_workload_table(const toml::table& t) {
  HeapWorkload w;
  auto text = [](const toml::node& n) -> std::string {
    if (auto* s = n.as_string()) return s->get();
    if (auto* i = n.as_integer()) return std::to_string(i->get());
    bad("expected a string or an integer");
  };
  bool has[5] = {};
  for (auto&& [k, n] : t) {
    std::string key(k.str());
    try {
      if (key == "name") {
        w.name = read_string(n), has[0] = true;
        if (!valid_workload_name(w.name)) bad("must be 1 to 7 letters, digits, '_' or '-'");
      } else if (key == "every") {
        w.every = workload_duration("every", text(n), Duration::from_ms(1)), has[1] = true;
      } else if (key == "size_min") {
        w.size_min = workload_bytes("size_min", text(n)), has[2] = true;
      } else if (key == "size_max") {
        w.size_max = workload_bytes("size_max", text(n)), has[3] = true;
      } else if (key == "lifetime") {
        w.lifetime = workload_duration("lifetime", text(n), Duration{}), has[4] = true;
      } else if (key == "alloc") {
        std::string v = read_string(n);
        if (v != "new" && v != "malloc") bad("expected \"new\" or \"malloc\"");
        w.use_new = v == "new";
      } else {
        std::string s = suggest(key, {"name", "every", "size_min", "size_max", "lifetime", "alloc"});
        bad("unknown field" + (s.empty() ? std::string(" (fields: name, every, size_min, size_max, lifetime, alloc)") : " (did you mean '" + s + "'?)"));
      }
    } catch (const FieldError& e) {
      bad(key + ": " + e.msg);
    }
  }
  const char* names[5] = {"name", "every", "size_min", "size_max", "lifetime"};
  for (int i = 0; i < 5; ++i)
    if (!has[i]) bad(std::string("missing ") + names[i]);
  if (w.size_min > w.size_max) bad("size_min is larger than size_max");
  return w;
}

std::vector<HeapWorkload> read_heap_workload(const toml::node& n) {
  std::vector<const toml::node*> items;
  if (auto* a = n.as_array())
    for (const toml::node& e : *a) items.push_back(&e);
  else if (n.is_string() || n.is_table())
    items.push_back(&n);
  else
    bad(std::string("expected a list of entries such as [") + kWorkloadForm + "]");
  if (items.size() > kMaxHeapWorkloads) bad("at most 6 entries (the firmware's table), got " + std::to_string(items.size()));
  std::vector<HeapWorkload> out;
  for (size_t i = 0; i < items.size(); ++i) {
    const toml::node& e = *items[i];
    std::string label = "entry " + std::to_string(i + 1);
    if (auto* s = e.as_string()) {
      size_t colon = s->get().find(':');
      if (colon != std::string::npos) label += " (\"" + trim_ws(s->get().substr(0, colon)) + "\")";
    } else if (auto* t = e.as_table()) {
      if (auto* nm = t->get_as<std::string>("name")) label += " (\"" + nm->get() + "\")";
    }
    try {
      if (auto* s = e.as_string()) out.push_back(parse_workload_string(s->get()));
      else if (auto* t = e.as_table()) out.push_back(parse_workload_table(*t));
      else bad(std::string("expected a string ") + kWorkloadForm + " or a table");
    } catch (const FieldError& err) {
      bad(label + ": " + err.msg);
    }
    for (size_t j = 0; j + 1 < out.size(); ++j)
      if (out[j].name == out.back().name) bad(label + ": another entry has this name");
  }
  return out;
}

std::string format_workload(const HeapWorkload& w) {
  std::string size = std::to_string(w.size_min);
  if (w.size_max != w.size_min) size += ".." + std::to_string(w.size_max);
  return w.name + ": every=" + w.every.str() + " size=" + size + " life=" + w.lifetime.str() + (w.use_new ? " alloc=new" : "");
}

// ---- the options -----------------------------------------------------------------------------

struct Option {
  const char* key;
  const char* type;
  const char* unit;
  const char* doc;
  bool per_device;
  void (*apply)(Settings&, const toml::node&);
  json (*get)(const Settings&);
};

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
      {"fleet.mode", "enum", "", "\"realtime\": never ahead of the wall clock; \"fast\": jump to the next wake-up", false,
       [](Settings& s, const toml::node& n) { s.fleet.mode = read_enum(n, kRunModeNames); },
       [](const Settings& s) { return enum_json(kRunModeNames, s.fleet.mode); }},
      {"fleet.connect_spread", "duration", "", "boot times spread uniformly (seeded) over this window; 0 = all at once", false,
       [](Settings& s, const toml::node& n) {
         s.fleet.connect_spread = read_duration(n, Duration{}, Duration::from_s(86400));
       },
       [](const Settings& s) { return json(s.fleet.connect_spread.str()); }},
      {"broker.server_key", "enum", "", "key type of the embedded broker's generated certificate", false,
       [](Settings& s, const toml::node& n) { s.broker.server_key = read_enum(n, kKeyTypeNames); },
       [](const Settings& s) { return enum_json(kKeyTypeNames, s.broker.server_key); }},
      {"broker.require_certificate", "bool", "", "embedded broker demands a client certificate", false,
       [](Settings& s, const toml::node& n) { s.broker.require_certificate = read_bool(n); },
       [](const Settings& s) { return json(s.broker.require_certificate); }},
      {"broker.url", "string", "", "external broker \"mqtt://host:port\" or \"mqtts://host:port\"; \"\" = embedded", false,
       [](Settings& s, const toml::node& n) {
         std::string u = read_string(n);
         if (!u.empty() && u.rfind("mqtt://", 0) != 0 && u.rfind("mqtts://", 0) != 0)
           bad("must be empty (embedded broker) or start with mqtt:// or mqtts://");
         s.broker.url = u;
       },
       [](const Settings& s) { return json(s.broker.url); }},
      {"broker.restart_every", "duration", "", "the embedded broker stops this often (device time) and restarts after broker.restart_down; 0 = never", false,
       [](Settings& s, const toml::node& n) { s.broker.restart_every = read_duration(n, Duration{}, Duration::from_s(365 * 86400)); },
       [](const Settings& s) { return json(s.broker.restart_every.str()); }},
      {"broker.restart_down", "duration", "", "how long the embedded broker stays down at each restart", false,
       [](Settings& s, const toml::node& n) { s.broker.restart_down = read_duration(n, Duration::from_ms(1), Duration::from_s(86400)); },
       [](const Settings& s) { return json(s.broker.restart_down.str()); }},
      {"device.cpu_mhz", "frequency", "MHz", "CPU clock, 80 or 160 (\"160MHz\" also accepted)", true,
       [](Settings& s, const toml::node& n) {
         uint32_t v = read_unit(n, parse_mhz, "a frequency such as 80 or \"160MHz\"");
         if (v != 80 && v != 160) bad("must be 80 or 160");
         s.device.cpu_mhz = v;
       },
       [](const Settings& s) { return json(s.device.cpu_mhz); }},
      {"device.heap_bytes", "bytes", "bytes", "heap size (multiple of 8, 4096 .. 81920; \"48K\" accepted)", true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         if (v < 4096 || v > 81920) bad("must be between 4096 and 81920 (the chip's user DRAM)");
         if (v % 8 != 0) bad("must be a multiple of 8 (the heap's block size)");
         s.device.heap_bytes = uint32_t(v);
       },
       [](const Settings& s) { return json(s.device.heap_bytes); }},
      {"heap.boot_used", "bytes", "bytes", "heap the firmware's boot allocates and keeps (in 512..2048-byte chunks), 0 .. 65536", true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         if (v > 65536) bad("must be between 0 and 65536 (\"64K\")");
         s.device.heap_boot_used = uint32_t(v);
       },
       [](const Settings& s) { return json(s.device.heap_boot_used); }},
      {"heap.workload", "list", "", "background heap workload: up to 6 entries \"NAME: every=DUR size=MIN..MAX life=DUR\"", true,
       [](Settings& s, const toml::node& n) { s.device.heap_workload = read_heap_workload(n); },
       [](const Settings& s) {
         json out = json::array();
         for (const HeapWorkload& w : s.device.heap_workload) out.push_back(format_workload(w));
         return out;
       }},
      {"tls.enabled", "bool", "", "MQTT over TLS (false = plain MQTT)", true,
       [](Settings& s, const toml::node& n) { s.device.tls_enabled = read_bool(n); },
       [](const Settings& s) { return json(s.device.tls_enabled); }},
      {"tls.validation", "enum", "", "\"ca\": chain to a trust anchor (SetOption132 0); \"fingerprint\": public-key fingerprint (SetOption132 1)", true,
       [](Settings& s, const toml::node& n) { s.device.validation = read_enum(n, kValidationNames); },
       [](const Settings& s) { return enum_json(kValidationNames, s.device.validation); }},
      {"tls.client_cert", "bool", "", "present an EC client certificate (TLSKey1/TLSKey2)", true,
       [](Settings& s, const toml::node& n) { s.device.client_cert = read_bool(n); },
       [](const Settings& s) { return json(s.device.client_cert); }},
      {"tls.key_exchange", "enum", "", "\"ecdhe\": ECDHE_RSA (ECDHE_ECDSA with tls.ecdsa); \"rsa\": TLS_RSA_WITH_AES_128_GCM_SHA256, as older Tasmota builds used with Let's Encrypt brokers (no client certificate, RSA-only profile)", true,
       [](Settings& s, const toml::node& n) { s.device.key_exchange = read_enum(n, kKeyExchangeNames); },
       [](const Settings& s) { return enum_json(kKeyExchangeNames, s.device.key_exchange); }},
      {"tls.ecdsa", "bool", "", "also offer ECDHE_ECDSA suites (SetOption165)", true,
       [](Settings& s, const toml::node& n) { s.device.ecdsa = read_bool(n); },
       [](const Settings& s) { return json(s.device.ecdsa); }},
      {"tls.fingerprint1", "string", "", "fingerprint slot 1 (MqttFingerprint1): 20 hex bytes, \"learn\" (all 00), \"any\" (all FF) or \"\" (matches no key)", true,
       [](Settings& s, const toml::node& n) { s.device.fingerprint1 = read_fingerprint(n); },
       [](const Settings& s) { return json(s.device.fingerprint1); }},
      {"tls.fingerprint2", "string", "", "fingerprint slot 2 (MqttFingerprint2), same form", true,
       [](Settings& s, const toml::node& n) { s.device.fingerprint2 = read_fingerprint(n); },
       [](const Settings& s) { return json(s.device.fingerprint2); }},
      {"tls.thunk_size", "bytes", "bytes", "BearSSL thunk stack allocated per handshake; 0 = firmware default", true,
       [](Settings& s, const toml::node& n) {
         uint64_t v = read_bytes(n);
         if (v != 0 && (v < 1024 || v > 65532 || v % 4 != 0))
           bad("must be 0 (firmware default) or a multiple of 4 between 1024 and 65532");
         s.device.thunk_size = uint32_t(v);
       },
       [](const Settings& s) { return json(s.device.thunk_size); }},
      {"tls.builtin_anchors", "list", "", "root CAs compiled into the firmware, trusted besides the CA file: any of \"isrg_root_x1\", \"amazon_root_ca1\", \"amazon_root_ca3\"", true,
       [](Settings& s, const toml::node& n) { s.device.builtin_anchors = read_builtin_anchors(n); },
       [](const Settings& s) { return builtin_anchor_names(s.device.builtin_anchors); }},
      {"mqtt.keepalive", "duration", "", "MQTT keepalive, whole seconds, 1s .. 65535s", true,
       [](Settings& s, const toml::node& n) {
         s.device.keepalive = read_duration(n, Duration::from_s(1), Duration::from_s(65535), true);
       },
       [](const Settings& s) { return json(s.device.keepalive.str()); }},
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

bool is_section(std::string_view path) {  // a table that holds options ("tls")
  for (const Option& o : options())
    if (std::string_view(o.key).substr(0, path.size() + 1) == std::string(path) + ".") return true;
  return false;
}

const char* const kGroupKeys[] = {"name", "count", "fraction"};

std::vector<std::string> candidates(bool in_group) {
  std::vector<std::string> c;
  for (const Option& o : options())
    if (!in_group || o.per_device) c.push_back(o.key);
  if (in_group) c.insert(c.end(), std::begin(kGroupKeys), std::end(kGroupKeys));
  else c.push_back("group");
  return c;
}

// The option values as nested JSON ({"tls": {"validation": "ca", ...}}).
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

// At most kShownChars of a value in a message: a multi-megabyte value is named, not echoed.
constexpr size_t kShownChars = 80;
std::string clip(std::string text) {
  if (text.size() <= kShownChars) return text;
  size_t n = text.size();
  text.resize(kShownChars - 20);
  return text + "… (" + std::to_string(n) + " characters)";
}

std::string show_value(const toml::node& n);
std::string show(const toml::node& n) { return clip(show_value(n)); }
std::string show_value(const toml::node& n) {
  if (auto* s = n.as_string()) return json(s->get()).dump();
  if (n.is_table()) return "{...}";
  if (auto* a = n.as_array()) {
    std::string out = "[";
    for (size_t i = 0; i < a->size() && out.size() <= kShownChars; ++i) out += (i ? ", " : "") + show((*a)[i]);
    return out + "]";
  }
  std::ostringstream o;
  n.visit([&](auto&& v) { o << v; });
  return o.str();
}

// ---- the loader --------------------------------------------------------------------------------

struct Diag {
  int order;  // sets first (by index), then file position
  uint32_t line, col;
  std::string text;
};

struct Where {  // a position in the file (1-based)
  uint32_t line = 0, col = 0;
};

class Loader {
 public:
  Loader(std::string file, toml::table root) : file_(std::move(file)), root_(std::move(root)) {}

  // shown: how messages name this override ("" = "--set KEY=VALUE"; e.g. "--duration -5s").
  void apply_set(size_t index, const std::string& arg, const std::string& shown);
  Scenario resolve();
  void throw_if_errors();

 private:
  void report(const std::string& key, Where at, const std::string& text);
  void value_error(const std::string& key, const toml::node& n, Where at, const std::string& why) {
    // A value from --set is shown by the --set text itself; one from the file as "KEY = VALUE".
    report(key, at, set_origin_.count(key) ? why : key + " = " + show(n) + ": " + why);
  }
  void walk(const toml::table& t, const std::string& path, const std::string& shown_prefix,
            bool in_group, Where dotted, Settings& target, std::vector<std::pair<Where, std::string>>* overrides);
  toml::table* find_group(std::string_view name);

  std::string file_;
  toml::table root_;
  std::map<std::string, std::string> set_origin_;  // shown key -> "--set KEY=VALUE"
  std::vector<Diag> diags_;
};

Where key_where(const toml::key& k) {
  return {k.source().begin.line, k.source().begin.column};
}

void Loader::report(const std::string& key, Where at, const std::string& text) {
  if (auto it = set_origin_.find(key); it != set_origin_.end()) {
    diags_.push_back({-1, 0, 0, it->second + ": " + text});
    return;
  }
  diags_.push_back({0, at.line, at.col,
                    file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) + ": " + text});
}

void Loader::throw_if_errors() {
  if (diags_.empty()) return;
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diag& a, const Diag& b) {
    return std::tie(a.order, a.line, a.col) < std::tie(b.order, b.line, b.col);
  });
  std::vector<std::string> msgs;
  for (const Diag& d : diags_) msgs.push_back(d.text);
  throw ScenarioError(std::move(msgs));
}

toml::table* Loader::find_group(std::string_view name) {
  if (auto* arr = root_["group"].as_array())
    for (auto& g : *arr)
      if (auto* t = g.as_table())
        if (auto* n = t->get_as<std::string>("name"); n && n->get() == name) return t;
  return nullptr;
}

void Loader::apply_set(size_t index, const std::string& arg, const std::string& shown) {
  std::string origin = shown.empty() ? "--set " + clip(arg) : shown;
  auto fail = [&](const std::string& why) { diags_.push_back({int(index) - 1000000, 0, 0, origin + ": " + why}); };
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return fail("expected KEY=VALUE, e.g. fleet.devices=1000");
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  };
  std::string key = trim(arg.substr(0, eq)), value = trim(arg.substr(eq + 1));

  // Where the value goes: the root table, or a [[group]] addressed as group.NAME.KEY.
  toml::table* target = &root_;
  std::string path = key;
  if (key.rfind("group.", 0) == 0) {
    size_t dot = key.find('.', 6);
    std::string name = key.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
    path = dot == std::string::npos ? "" : key.substr(dot + 1);
    target = find_group(name);
    if (!target) {
      std::string names;
      if (auto* arr = root_["group"].as_array())
        for (auto& g : *arr)
          if (auto* n = g.as_table() ? g.as_table()->get_as<std::string>("name") : nullptr)
            names += (names.empty() ? "" : ", ") + n->get();
      return fail("no [[group]] named '" + name + "'" + (names.empty() ? " (the file has no groups)" : " (groups: " + names + ")"));
    }
    const Option* o = find_option(path);
    bool ok = (o && o->per_device) || path == "count" || path == "fraction";
    if (!ok) {
      std::string s = suggest(path, candidates(true));
      return fail("'" + path + "' cannot be set per group" +
                  (o ? " (it applies to the whole fleet)" : s.empty() || s == "name" ? "" : " (did you mean 'group." + name + "." + s + "'?)"));
    }
    if (path == "count") target->erase("fraction");
    if (path == "fraction") target->erase("count");
  } else if (!find_option(key)) {
    std::string s = suggest(key, candidates(false));
    return fail("unknown key '" + key + "'" + (s.empty() || s == "group" ? "" : " (did you mean '" + s + "'?)"));
  }

  // The value is TOML when it parses as one ("1000", "true", "\"x\""), else a bare string ("10s").
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value, std::string_view("--set"));
  } catch (const toml::parse_error&) {
    parsed = toml::table{};
  }
  if (parsed.size() != 1 || !parsed.contains("v")) parsed = toml::table{{"v", value}};

  toml::table* t = target;
  for (size_t start = 0;;) {
    size_t dot = path.find('.', start);
    std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      parsed.get("v")->visit([&](auto&& v) { t->insert_or_assign(seg, v); });
      break;
    }
    toml::node* sub = t->get(seg);
    if (!sub) sub = &t->insert(seg, toml::table{}).first->second;
    if (!sub->is_table()) return fail("'" + path.substr(0, dot) + "' in " + file_ + " is not a table");
    t = sub->as_table();
    start = dot + 1;
  }
  set_origin_[key] = origin;
}

void Loader::walk(const toml::table& t, const std::string& path, const std::string& shown_prefix,
                  bool in_group, Where dotted, Settings& target,
                  std::vector<std::pair<Where, std::string>>* overrides) {
  for (auto&& [k, node] : t) {
    std::string key = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
    std::string shown = shown_prefix + key;
    Where at = key_where(k);
    if (dotted.line == at.line) at.col = dotted.col;  // point at the start of "device.cpu_mhz"
    if (path.empty() && in_group && std::find(std::begin(kGroupKeys), std::end(kGroupKeys), key) != std::end(kGroupKeys))
      continue;  // handled by resolve()
    if (path.empty() && !in_group && key == "group") continue;
    Where next_dotted = path.empty() ? key_where(k) : dotted;

    if (const Option* o = find_option(key)) {
      if (in_group && !o->per_device) {
        report(shown, at, "'" + key + "' applies to the whole fleet; set it outside [[group]]");
        continue;
      }
      try {
        o->apply(target, node);
        if (overrides) overrides->push_back({at, key});
      } catch (const FieldError& e) {
        value_error(shown, node, at, e.msg);
      }
    } else if (is_section(key) && !node.is_table()) {
      report(shown, at, "'" + shown + "' must be a table: write [" + key + "] or " + key + ".KEY = VALUE");
    } else if (node.is_table() && (is_section(key) || !node.as_table()->empty())) {
      walk(*node.as_table(), key, shown_prefix, in_group, next_dotted, target, overrides);
    } else {
      std::string s = suggest(key, candidates(in_group));
      report(shown, at, "unknown key '" + shown + "'" + (s.empty() ? "" : " (did you mean '" + shown_prefix + s + "'?)"));
    }
  }
}

// Floor of fraction * devices, forgiving binary rounding (0.29 * 100 is 28.999999999999996).
uint32_t fraction_count(double fraction, uint32_t devices) {
  double x = fraction * double(devices);
  double r = std::round(x);
  return uint32_t(std::fabs(x - r) < 1e-9 * std::max(1.0, x) ? r : std::floor(x));
}

Scenario Loader::resolve() {
  Scenario sc;
  Settings base;
  walk(root_, "", "", false, {}, base, nullptr);

  struct Pending {
    const toml::table* t;
    std::string shown;  // "group.fast." or "group[1]."
    Where size_at;      // the count / fraction key
    const toml::node* size_node = nullptr;
    std::vector<std::pair<Where, std::string>> overrides;
    Settings settings;
  };
  std::vector<Pending> pending;
  std::vector<Scenario::Group> groups;
  if (auto it = root_.find("group"); it != root_.end()) {
    const toml::array* arr = it->second.as_array();
    if (!arr || !arr->is_array_of_tables())
      report("group", key_where(it->first), "group must be an array of tables: write [[group]] for each group");
    for (size_t i = 0; arr && i < arr->size(); ++i) {
      const toml::table* t = (*arr)[i].as_table();
      if (!t) continue;
      Scenario::Group g;
      Pending p{t, "group[" + std::to_string(i) + "].", {t->source().begin.line, t->source().begin.column}, nullptr, {}, base};
      auto name_it = t->find("name");
      if (name_it == t->end()) {
        report(p.shown + "name", p.size_at, "[[group]] needs a name = \"...\"");
      } else {
        try {
          g.name = read_string(name_it->second);
          if (g.name.empty() || g.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
            bad("must be letters, digits, '_' or '-' (it is used as group." + g.name + ".KEY in --set)");
          for (const auto& other : groups)
            if (other.name == g.name) bad("another [[group]] has this name");
          p.shown = "group." + g.name + ".";
        } catch (const FieldError& e) {
          value_error(p.shown + "name", name_it->second, key_where(name_it->first), e.msg);
        }
      }
      auto count_it = t->find("count"), frac_it = t->find("fraction");
      if (count_it != t->end() && frac_it != t->end()) {
        report(p.shown + "count", key_where(frac_it->first), "[[group]] '" + g.name + "' has both count and fraction; keep one");
      } else if (count_it != t->end()) {
        p.size_at = key_where(count_it->first), p.size_node = &count_it->second;
        try {
          g.count = uint32_t(read_int(count_it->second, 0, 10000000));
        } catch (const FieldError& e) {
          value_error(p.shown + "count", count_it->second, p.size_at, e.msg);
        }
      } else if (frac_it != t->end()) {
        p.size_at = key_where(frac_it->first), p.size_node = &frac_it->second;
        const toml::node& n = frac_it->second;
        double f = n.is_integer() ? double(n.as_integer()->get()) : n.is_floating_point() ? n.as_floating_point()->get() : -1;
        if (!n.is_number() || !(f >= 0 && f <= 1))
          value_error(p.shown + "fraction", n, p.size_at, "must be a number from 0 to 1 (a share of fleet.devices)");
        else
          g.fraction = f;
      } else {
        report(p.shown + "count", p.size_at, "[[group]] '" + g.name + "' needs count = N or fraction = 0..1");
      }
      walk(*t, "", p.shown, true, {}, p.settings, &p.overrides);
      groups.push_back(std::move(g));
      pending.push_back(std::move(p));
    }
  }
  throw_if_errors();

  sc.fleet = base.fleet;
  sc.broker = base.broker;
  sc.defaults = base.device;
  uint32_t next = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    Scenario::Group& g = groups[i];
    Pending& p = pending[i];
    if (g.fraction) g.count = fraction_count(*g.fraction, sc.fleet.devices);
    if (uint64_t(next) + g.count > sc.fleet.devices) {
      std::string key = p.shown + (g.fraction ? "fraction" : "count");
      value_error(key, *p.size_node, p.size_at,
                  "the groups take " + std::to_string(uint64_t(next) + g.count) + " devices (" +
                      std::to_string(g.count) + " here) but fleet.devices = " + std::to_string(sc.fleet.devices));
    }
    g.first_id = next;
    next += g.count;
    std::sort(p.overrides.begin(), p.overrides.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first.line, a.first.col) < std::tie(b.first.line, b.first.col);
    });
    for (auto& o : p.overrides) g.overrides.push_back(o.second);
    g.config = p.settings.device;
    g.config.group = g.name;
  }
  throw_if_errors();
  sc.groups = std::move(groups);
  return sc;
}

}  // namespace

ScenarioError::ScenarioError(std::vector<std::string> messages)
    : std::runtime_error([&] {
        // The first kMaxShown problems, each at most a line or two; the rest counted.
        constexpr size_t kMaxShown = 20, kMaxChars = 400;
        std::string all;
        for (size_t i = 0; i < messages.size() && i < kMaxShown; ++i) {
          const std::string& m = messages[i];
          all += (all.empty() ? "" : "\n") + (m.size() <= kMaxChars ? m : m.substr(0, kMaxChars - 40) + "… (" +
                                                                            std::to_string(m.size()) + " characters)");
        }
        if (messages.size() > kMaxShown)
          all += "\n… and " + std::to_string(messages.size() - kMaxShown) + " more problems";
        return all;
      }()),
      messages_(std::move(messages)) {}

const Scenario::Group* Scenario::group_of(uint32_t id) const {
  for (const Group& g : groups)
    if (id >= g.first_id && id - g.first_id < g.count) return &g;
  return nullptr;
}

DeviceConfig Scenario::for_device(uint32_t id) const {
  if (id >= fleet.devices)
    throw std::out_of_range("device id " + std::to_string(id) + " is outside the fleet (fleet.devices = " +
                            std::to_string(fleet.devices) + ")");
  const Group* g = group_of(id);
  return g ? g->config : defaults;
}

uint32_t Scenario::default_count() const {
  uint32_t used = 0;
  for (const Group& g : groups) used += g.count;
  return fleet.devices - used;
}

nlohmann::ordered_json Scenario::resolved() const {
  json out;
  out["source"] = source;
  out["sets"] = sets;
  Settings s{fleet, broker, defaults};
  json shared = to_json(s, false);
  out["fleet"] = shared["fleet"];
  out["broker"] = shared["broker"];
  out["defaults"] = json{{"first_id", fleet.devices - default_count()}, {"count", default_count()}};
  out["defaults"].update(to_json(s, true));
  out["groups"] = json::array();
  for (const Group& g : groups) {
    json j{{"name", g.name}, {"first_id", g.first_id}, {"count", g.count}};
    if (g.fraction) j["fraction"] = *g.fraction;
    j["overrides"] = g.overrides;
    j.update(to_json(Settings{fleet, broker, g.config}, true));
    out["groups"].push_back(std::move(j));
  }
  return out;
}

Scenario parse_scenario(std::string_view text, const std::string& name, const std::vector<std::string>& sets,
                        const std::vector<std::string>& shown) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(name));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ScenarioError({name + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                         ": TOML syntax error: " + std::string(e.description())});
  }
  Loader loader(name, std::move(root));
  for (size_t i = 0; i < sets.size(); ++i) loader.apply_set(i, sets[i], i < shown.size() ? shown[i] : std::string());
  loader.throw_if_errors();
  Scenario sc = loader.resolve();
  sc.source = name;
  sc.sets = sets;
  return sc;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& sets,
                       const std::vector<std::string>& shown) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::is_directory(st))
    throw ScenarioError({path + ": is a directory, not a scenario file"});
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw ScenarioError({path + ": is not a regular file (a scenario is a TOML file)"});
  std::string text;
  try {
    text = read_whole_file(path);
  } catch (const InputError& e) {
    throw ScenarioError({e.what()});
  }
  return parse_scenario(text, path, sets, shown);
}

const std::vector<ScenarioOption>& scenario_options() {
  static const std::vector<ScenarioOption> list = [] {
    std::vector<ScenarioOption> v;
    Settings defaults;
    for (const Option& o : options())
      v.push_back({o.key, o.type, o.get(defaults).dump(), o.unit, o.doc, o.per_device});
    return v;
  }();
  return list;
}

}  // namespace espfleet
