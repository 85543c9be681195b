// sim/config/fault_spec.cpp — [[faults]] entries (fault_spec.h).
#include "fault_spec.h"

#include "rng.h"
#include "toml_values.h"

namespace espfleet {

using namespace scenario_detail;

namespace {
constexpr const char* kKeys[] = {"kind",    "at",     "every", "duration", "group", "fraction",
                                 "new_key", "new_ca", "delay", "by",       "loss",  "rate"};
constexpr Duration kLongest = Duration::from_s(int64_t(365) * 24 * 3600);

// Salt of the fraction draw, beside the seed purposes of sim/engine/rng.h.
constexpr uint64_t kFaultTargetSalt = 0x6661756c74730000ull;  // "faults"
}  // namespace

FaultSpec read_fault(const toml::table& t, uint32_t index, const FaultProblem& problem) {
  FaultSpec f;
  f.index = index;
  for (auto&& [k, node] : t) {
    const std::string key(k.str());
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      std::vector<std::string> keys(std::begin(kKeys), std::end(kKeys));
      const std::string s = suggest(key, keys);
      problem(key, nullptr,
              "unknown key '" + key + "' in [[faults]]" + (s.empty() ? "" : " (did you mean '" + s + "'?)"));
    }
  }
  bool read_ok = true;
  auto field = [&](const char* key, auto read) {
    auto it = t.find(key);
    if (it == t.end()) return false;
    try {
      read(it->second);
    } catch (const FieldError& e) {
      problem(key, &it->second, e.msg);
      read_ok = false;
    }
    return true;
  };
  if (!field("kind", [&](const toml::node& n) { f.kind = read_enum(n, kFaultKindNames); })) {
    problem("kind", nullptr, "[[faults]] needs a kind = " + enum_choices(kFaultKindNames, true));
    return f;
  }
  if (!read_ok) return f;  // what the other keys need depends on the kind
  if (!field("at", [&](const toml::node& n) { f.at = read_duration(n, Duration{}, kLongest); }))
    problem("at", nullptr, "[[faults]] needs at = \"TIME\" (device time of its first occurrence, e.g. \"2m\")");
  field("every", [&](const toml::node& n) { f.every = read_duration(n, Duration::from_ms(1), kLongest); });
  const bool has_duration =
      field("duration", [&](const toml::node& n) { f.duration = read_duration(n, Duration::from_ms(1), kLongest); });
  const bool lasts = !is_instant_fault(f.kind);
  if (lasts && !has_duration)
    problem("duration", nullptr,
            "a " + std::string(enum_name(kFaultKindNames, f.kind)) + " fault needs duration = \"TIME\" (" +
                (f.kind == FaultKind::broker_stall      ? "how long the broker is stopped"
                 : f.kind == FaultKind::partition       ? "how long the link drops everything"
                 : f.kind == FaultKind::observer_outage ? "how long the observer is away"
                 : f.kind == FaultKind::link_delay      ? "how long the link is slow"
                 : f.kind == FaultKind::wifi_loss       ? "how long the access point is gone"
                 : f.kind == FaultKind::dns_failure     ? "how long name lookups fail"
                 : f.kind == FaultKind::packet_loss     ? "how long the link loses packets"
                 : f.kind == FaultKind::bandwidth       ? "how long the link is capped"
                                                        : "how long the broker is down") +
                ")");
  if (!lasts && has_duration)
    problem("duration", &t.find("duration")->second,
            "a " + std::string(enum_name(kFaultKindNames, f.kind)) + " has no duration (it is a moment)");
  field("new_key", [&](const toml::node& n) {
    if (f.kind != FaultKind::cert_rotate) bad("only a cert_rotate has new_key");
    f.new_key = read_bool(n);
  });
  field("new_ca", [&](const toml::node& n) {
    if (f.kind != FaultKind::cert_rotate) bad("only a cert_rotate has new_ca");
    f.new_ca = read_bool(n);
  });
  const bool has_delay = field("delay", [&](const toml::node& n) {
    if (f.kind != FaultKind::link_delay) bad("only a link_delay has delay");
    f.delay = read_duration(n, Duration::from_ms(1), Duration::from_s(60));
  });
  const bool has_by = field("by", [&](const toml::node& n) {
    if (f.kind != FaultKind::clock_jump) bad("only a clock_jump has by");
    std::string text = read_string(n);
    const bool back = !text.empty() && text[0] == '-';
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.erase(0, 1);
    Duration d;
    try {
      d = parse_duration(text);
    } catch (const UnitError& e) {
      bad(std::string(e.what()) + " (a clock_jump's by is \"+DUR\" or \"-DUR\", e.g. \"+3650d\")");
    }
    if (d.us == 0 || d > Duration::from_s(int64_t(100) * 365 * 86400)) bad("must be a jump of up to 100 years");
    f.by = Duration{back ? -d.us : d.us};
  });
  if (f.kind == FaultKind::clock_jump && !has_by)
    problem("by", nullptr, "a clock_jump needs by = \"+DUR\" or \"-DUR\" (how far the clock jumps, e.g. \"+3650d\")");
  const bool has_loss = field("loss", [&](const toml::node& n) {
    if (f.kind != FaultKind::packet_loss) bad("only a packet_loss has loss");
    const double v = number_value(n);
    if (!(v > 0 && v < 1)) bad("must be a number above 0 and below 1 (the share of segments lost each way, e.g. 0.1)");
    f.loss = v;
  });
  if (f.kind == FaultKind::packet_loss && !has_loss)
    problem("loss", nullptr, "a packet_loss needs loss = SHARE (of the segments lost each way, e.g. 0.1)");
  const bool has_rate = field("rate", [&](const toml::node& n) {
    if (f.kind != FaultKind::bandwidth) bad("only a bandwidth has rate");
    try {
      f.rate_bps = parse_bit_rate(read_string(n));
    } catch (const UnitError& e) {
      bad(e.what());
    }
    if (f.rate_bps < 1200 || f.rate_bps > 1000000000ull) bad("must be from 1200bit to 1Gbit per second");
  });
  if (f.kind == FaultKind::bandwidth && !has_rate)
    problem("rate", nullptr, "a bandwidth needs rate = \"BITS\" (per second each way, e.g. \"64kbit\")");
  if (f.kind == FaultKind::link_delay && !has_delay)
    problem("delay", nullptr, "a link_delay needs delay = \"TIME\" (added to every exchange, e.g. \"800ms\")");
  if (f.every.us > 0 && lasts && f.duration >= f.every)
    problem("every", &t.find("every")->second,
            "must be longer than duration (the next one would begin before this ends)");
  const bool device_fault = is_device_fault(f.kind);
  const char* no_targets = f.kind == FaultKind::observer_outage ? "the observer's outage has no target devices"
                                                                : "the broker's faults have no target devices";
  field("group", [&](const toml::node& n) {
    if (!device_fault) bad(no_targets);
    f.group = read_string(n);
  });
  field("fraction", [&](const toml::node& n) {
    if (!device_fault) bad(no_targets);
    const double v = number_value(n);
    if (!(v > 0 && v <= 1)) bad("must be a number above 0 and at most 1 (a share of the targeted devices)");
    f.fraction = v;
  });
  return f;
}

bool fault_targets(const FaultSpec& f, uint32_t id, const std::string& device_group, uint64_t fleet_seed) {
  if (!is_device_fault(f.kind)) return false;
  if (!f.group.empty() && f.group != device_group) return false;
  if (f.fraction >= 1) return true;
  const uint64_t draw = mix_seed(mix_seed(fleet_seed, kFaultTargetSalt + f.index), id);
  return double(draw >> 11) * 0x1.0p-53 < f.fraction;
}

uint32_t fault_device_count(const Scenario& sc, const FaultSpec& f) {
  uint32_t n = 0;
  for (uint32_t id = 0; id < sc.fleet.devices; ++id) {
    const Scenario::Group* g = sc.group_of(id);
    n += fault_targets(f, id, g ? g->name : std::string(), sc.fleet.seed);
  }
  return n;
}

DeviceFault device_fault(const FaultSpec& f) {
  DeviceFault d;
  d.kind = f.kind;
  d.index = f.index;
  d.delay = f.delay;
  d.by = f.by;
  d.loss = f.loss;
  d.rate_bps = f.rate_bps;
  d.when.at = f.at;
  d.when.every = f.every;
  // A power cycle or a reset is an instant: a window of 1 µs marks it.
  d.when.length = is_instant_fault(f.kind) ? Duration::from_us(1) : f.duration;
  return d;
}

nlohmann::ordered_json fault_json(const FaultSpec& f) {
  nlohmann::ordered_json j;
  j["index"] = f.index;
  j["kind"] = std::string(enum_name(kFaultKindNames, f.kind));
  j["at"] = format_duration(f.at);
  if (f.every.us > 0) j["every"] = format_duration(f.every);
  if (!is_instant_fault(f.kind)) j["duration"] = format_duration(f.duration);
  if (f.kind == FaultKind::cert_rotate) {
    j["new_key"] = f.new_key;
    j["new_ca"] = f.new_ca;
  }
  if (f.kind == FaultKind::link_delay) j["delay"] = format_duration(f.delay);
  if (f.kind == FaultKind::packet_loss) j["loss"] = f.loss;
  if (f.kind == FaultKind::bandwidth) j["rate"] = format_bit_rate(f.rate_bps);
  if (f.kind == FaultKind::clock_jump) j["by"] = (f.by.us > 0 ? "+" : "") + format_duration(f.by);
  if (is_device_fault(f.kind)) {
    j["group"] = f.group;
    j["fraction"] = f.fraction;
  }
  return j;
}

}  // namespace espfleet
