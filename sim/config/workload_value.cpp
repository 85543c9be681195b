// sim/config/workload_value.cpp — heap.workload entries (workload_value.h).
#include "workload_value.h"

#include <algorithm>

#include "toml_values.h"

namespace espfleet::scenario_detail {

namespace {

// heap.workload: a list of entries, each a string "NAME: every=DUR size=MIN..MAX life=DUR"
// (size=N for a fixed size; fields in any order, all required) or an inline table
// {name = "web", every = "30s", size_min = 600, size_max = 1400, lifetime = "2s"}.
constexpr size_t kMaxHeapWorkloads = 6;  // core/settings.h kMaxWorkloads
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
      bad("unknown field '" + k + "'" +
          (s.empty() ? " (fields: every, size, life, alloc)" : " (did you mean '" + s + "'?)"));
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
        bad("unknown field" + (s.empty() ? std::string(" (fields: name, every, size_min, size_max, lifetime, alloc)")
                                         : " (did you mean '" + s + "'?)"));
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

}  // namespace

std::vector<HeapWorkload> read_heap_workload(const toml::node& n) {
  std::vector<const toml::node*> items;
  if (auto* a = n.as_array())
    for (const toml::node& e : *a) items.push_back(&e);
  else if (n.is_string() || n.is_table())
    items.push_back(&n);
  else
    bad(std::string("expected a list of entries such as [") + kWorkloadForm + "]");
  if (items.size() > kMaxHeapWorkloads)
    bad("at most 6 entries (the firmware's table), got " + std::to_string(items.size()));
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
      if (auto* s = e.as_string())
        out.push_back(parse_workload_string(s->get()));
      else if (auto* t = e.as_table())
        out.push_back(parse_workload_table(*t));
      else
        bad(std::string("expected a string ") + kWorkloadForm + " or a table");
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
  return w.name + ": every=" + w.every.str() + " size=" + size + " life=" + w.lifetime.str() +
         (w.use_new ? " alloc=new" : "");
}

}  // namespace espfleet::scenario_detail
