// sim/config/scenario.cpp — loads a scenario: TOML (toml++) + --set overrides -> validated
// config structs, by the option table (scenario_options.h); groups resolved into per-device
// configurations.
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

#include "fault_spec.h"
#include "input_file.h"
#include "scenario_options.h"
#include "threshold_value.h"
#include "toml_text.h"
#include "toml_values.h"
#include "utf8_text.h"

namespace espfleet {
namespace {

using namespace scenario_detail;

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
  void walk(const toml::table& t, const std::string& path, const std::string& shown_prefix, bool in_group, Where dotted,
            Settings& target, std::vector<std::pair<Where, std::string>>* overrides);
  toml::table* find_group(std::string_view name);
  void read_thresholds(const toml::table& t, const std::string& figure_prefix, const std::string& shown_prefix,
                       Where dotted, Settings& target);

  std::string file_;
  toml::table root_;
  std::map<std::string, std::string> set_origin_;  // shown key -> "--set KEY=VALUE"
  std::vector<Diag> diags_;
};

Where key_where(const toml::key& k) { return {k.source().begin.line, k.source().begin.column}; }

void Loader::report(const std::string& key, Where at, const std::string& text) {
  if (auto it = set_origin_.find(key); it != set_origin_.end()) {
    diags_.push_back({-1, 0, 0, it->second + ": " + text});
    return;
  }
  diags_.push_back(
      {0, at.line, at.col, file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) + ": " + text});
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
  // Keys are ASCII, as TOML's bare keys; a value is text the resolved JSON can carry.
  for (char c : key)
    if (static_cast<unsigned char>(c) >= 0x80) return fail("a key is ASCII (letters, digits, '_', '-', '.')");
  if (!is_utf8(value)) return fail("the value is not UTF-8 text");

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
      return fail("no [[group]] named '" + name + "'" +
                  (names.empty() ? " (the file has no groups)" : " (groups: " + names + ")"));
    }
    const Option* o = find_option(path);
    bool ok = (o && o->per_device) || path == "count" || path == "fraction";
    if (!ok) {
      std::string s = suggest(path, candidates(true));
      return fail("'" + path + "' cannot be set per group" +
                  (o                          ? " (it applies to the whole fleet)"
                   : s.empty() || s == "name" ? ""
                                              : " (did you mean 'group." + name + "." + s + "'?)"));
    }
    if (path == "count") target->erase("fraction");
    if (path == "fraction") target->erase("count");
  } else if (key.rfind("thresholds.", 0) == 0 && key.size() > 11) {
    // a figure of the summary: read when the tree is walked (read_thresholds)
  } else if (!find_option(key)) {
    std::string s = suggest(key, candidates(false));
    return fail("unknown key '" + key + "'" + (s.empty() || s == "group" ? "" : " (did you mean '" + s + "'?)"));
  }

  // The value is TOML when it parses as one ("1000", "true", "\"x\""), else a bare string ("10s").
  toml::table parsed;
  try {
    const std::string line = "v = " + value;
    parsed = parse_toml(line, "--set");
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

void Loader::read_thresholds(const toml::table& t, const std::string& figure_prefix, const std::string& shown_prefix,
                             Where dotted, Settings& target) {
  for (auto&& [k, node] : t) {
    const std::string figure = figure_prefix + std::string(k.str());
    const std::string shown = shown_prefix + "thresholds." + figure;
    Where at = key_where(k);
    if (dotted.line == at.line) at.col = dotted.col;
    if (node.is_table()) {
      read_thresholds(*node.as_table(), figure + ".", shown_prefix, dotted, target);
      continue;
    }
    try {
      Threshold th = read_threshold(figure, node);
      if (at.line) th.order = uint64_t(at.line) << 32 | at.col;
      target.fleet.thresholds.push_back(std::move(th));
    } catch (const FieldError& e) {
      value_error(shown, node, at, e.msg);
    }
  }
}

void Loader::walk(const toml::table& t, const std::string& path, const std::string& shown_prefix, bool in_group,
                  Where dotted, Settings& target, std::vector<std::pair<Where, std::string>>* overrides) {
  for (auto&& [k, node] : t) {
    std::string key = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
    std::string shown = shown_prefix + key;
    Where at = key_where(k);
    if (dotted.line == at.line) at.col = dotted.col;  // point at the start of "device.cpu_mhz"
    if (path.empty() && in_group &&
        std::find(std::begin(kGroupKeys), std::end(kGroupKeys), key) != std::end(kGroupKeys))
      continue;  // handled by resolve()
    if (path.empty() && !in_group && key == "group") continue;
    if (path.empty() && key == "faults") {  // [[faults]]: read by resolve()
      if (in_group)
        report(shown, at,
               "faults are the fleet's; write [[faults]] entries outside [[group]] (group = NAME targets one)");
      continue;
    }
    Where next_dotted = path.empty() ? key_where(k) : dotted;
    if (path.empty() && key == "thresholds") {  // figures of the summary, not options
      if (in_group)
        report(shown, at, "thresholds apply to the whole run; set them outside [[group]]");
      else if (!node.is_table())
        report(shown, at, "'thresholds' must be a table: write [thresholds] or thresholds.FIGURE = CONDITION");
      else
        read_thresholds(*node.as_table(), "", shown_prefix, next_dotted, target);
      continue;
    }

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
      report(shown, at,
             "unknown key '" + shown + "'" + (s.empty() ? "" : " (did you mean '" + shown_prefix + s + "'?)"));
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
  // TOML tables are read in key order: the thresholds go back to the file's order.
  std::stable_sort(base.fleet.thresholds.begin(), base.fleet.thresholds.end(),
                   [](const Threshold& a, const Threshold& b) { return a.order < b.order; });

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
      Pending p{
          t,   "group[" + std::to_string(i) + "].", {t->source().begin.line, t->source().begin.column}, nullptr, {},
          base};
      auto name_it = t->find("name");
      if (name_it == t->end()) {
        report(p.shown + "name", p.size_at, "[[group]] needs a name = \"...\"");
      } else {
        try {
          g.name = read_string(name_it->second);
          if (g.name.empty() ||
              g.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                  std::string::npos)
            bad("must be letters, digits, '_' or '-' (it is used as group." + g.name + ".KEY in --set)");
          if (g.name == "default")  // summary.json's groups.default: the devices no [[group]] takes
            bad("is the name summary.json gives the devices no [[group]] takes (groups.default); choose another");
          for (const auto& other : groups)
            if (other.name == g.name) bad("another [[group]] has this name");
          p.shown = "group." + g.name + ".";
        } catch (const FieldError& e) {
          value_error(p.shown + "name", name_it->second, key_where(name_it->first), e.msg);
        }
      }
      auto count_it = t->find("count"), frac_it = t->find("fraction");
      if (count_it != t->end() && frac_it != t->end()) {
        report(p.shown + "count", key_where(frac_it->first),
               "[[group]] '" + g.name + "' has both count and fraction; keep one");
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
        const double f = number_value(n);
        if (!(f >= 0 && f <= 1))
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
  if (auto it = root_.find("faults"); it != root_.end()) {
    const toml::array* arr = it->second.as_array();
    if (!arr || !arr->is_array_of_tables())
      report("faults", key_where(it->first), "faults must be an array of tables: write [[faults]] for each fault");
    for (size_t i = 0; arr && i < arr->size(); ++i) {
      const toml::table* t = (*arr)[i].as_table();
      if (!t) continue;
      const std::string shown = "faults[" + std::to_string(i) + "].";
      const Where entry{t->source().begin.line, t->source().begin.column};
      FaultSpec f =
          read_fault(*t, uint32_t(i), [&](const std::string& key, const toml::node* n, const std::string& why) {
            auto k = t->find(key);
            const Where at = k != t->end() ? key_where(k->first) : entry;
            if (n)
              value_error(shown + key, *n, at, why);
            else
              report(shown + key, at, why);
          });
      if (!f.group.empty() &&
          std::none_of(groups.begin(), groups.end(), [&](const Scenario::Group& g) { return g.name == f.group; })) {
        std::string names;
        for (const Scenario::Group& g : groups) names += (names.empty() ? "" : ", ") + g.name;
        value_error(shown + "group", t->find("group")->second, key_where(t->find("group")->first),
                    "no [[group]] has this name" +
                        (names.empty() ? std::string(" (the file has no groups)") : " (groups: " + names + ")"));
      }
      base.fleet.faults.push_back(std::move(f));
    }
  }
  // What the scenario leaves to the chip, and what the chip cannot hold.
  auto chip_settings = [this](Settings& s, const std::string& shown, Where at) {
    const ChipDefaults d = chip_defaults(s.device.chip);
    if (!s.cpu_mhz_set) s.device.cpu_mhz = d.cpu_mhz;
    if (!s.heap_bytes_set) s.device.heap_bytes = d.heap_bytes;
    if (s.device.heap_bytes > d.heap_max)
      report(shown + "device.heap_bytes", at,
             shown + "device.heap_bytes = " + std::to_string(s.device.heap_bytes) + ": must be at most " +
                 std::to_string(d.heap_max) + " on the " + std::string(enum_name(kChipNames, s.device.chip)) +
                 " (its user DRAM)");
    if (s.device.loop_stack_bytes && s.device.chip != Chip::esp32c3)
      report(shown + "device.loop_stack_bytes", at,
             shown + "device.loop_stack_bytes = " + std::to_string(s.device.loop_stack_bytes) +
                 ": only an esp32c3 has a loop task's stack to size (device.chip = \"esp32c3\"); the esp8266's cont "
                 "stack is 4096 bytes");
    if (!s.device.firmware.empty() && s.device.chip != Chip::esp8266)
      report(shown + "device.firmware", at,
             shown + "device.firmware = " + json(s.device.firmware).dump() +
                 ": NodeMCU runs on the esp8266 only (this group's device.chip is \"" +
                 std::string(enum_name(kChipNames, s.device.chip)) + "\")");
  };
  chip_settings(base, "", Where{1, 1});
  for (Pending& p : pending) chip_settings(p.settings, p.shown, p.size_at);
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
          all += (all.empty() ? "" : "\n") + (m.size() <= kMaxChars ? m
                                                                    : m.substr(0, kMaxChars - 40) + "… (" +
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
    throw std::out_of_range("device id " + std::to_string(id) +
                            " is outside the fleet (fleet.devices = " + std::to_string(fleet.devices) + ")");
  const Group* g = group_of(id);
  DeviceConfig c = g ? g->config : defaults;
  for (const FaultSpec& f : fleet.faults)
    if (fault_targets(f, id, c.group, fleet.seed)) c.faults.push_back(device_fault(f));
  return c;
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
  out["faults"] = json::array();
  for (const FaultSpec& f : fleet.faults) out["faults"].push_back(fault_json(f));
  return out;
}

Scenario parse_scenario(std::string_view text, const std::string& name, const std::vector<std::string>& sets,
                        const std::vector<std::string>& shown) {
  toml::table root;
  try {
    root = parse_toml(text, name);
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
  if (!ec && std::filesystem::is_directory(st)) throw ScenarioError({path + ": is a directory, not a scenario file"});
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
    for (const Option& o : options()) v.push_back({o.key, o.type, o.get(defaults).dump(), o.unit, o.doc, o.per_device});
    return v;
  }();
  return list;
}

}  // namespace espfleet
