// sim/report/group_figures.cpp — a fleet's and its groups' figures (group_figures.h).
#include "group_figures.h"

#include <algorithm>
#include <stdexcept>

#include "crash_record.h"
#include "device.h"
#include "tls_errors.h"

namespace espfleet {

using json = nlohmann::ordered_json;

void GroupFigures::add(const Device& d) {
  const ConsoleFigures& s = d.console();
  const HeapFigures& h = d.heap().figures();
  devices++;
  connected += d.online();
  ever_connected += d.program().console_session ? s.mqtt_connects > 0 : d.ever_online();
  connect_failures += s.connect_failures;
  crashes += d.life().crashes().size();
  for (const CrashEntry& c : d.life().crashes()) crashes_by_reason[crash_kind(c.reason, c.summary)]++;
  published += s.published;
  received += s.received;
  heap_free_min = std::min<uint64_t>(heap_free_min, h.free_min);
  heap_max_block_min = std::min<uint64_t>(heap_max_block_min, h.max_block_min);
  heap_frag_max = std::max<uint64_t>(heap_frag_max, h.frag_max);
  if (s.tls_error) tls_errors[std::to_string(s.tls_error) + " " + tls_error_name(s.tls_error)]++;
  for (uint32_t ms : s.handshake_ms) handshake_ms.add(ms);
  if (s.first_connected.ns >= 0) first_connect_ms.add(uint64_t(s.first_connected.ms()));
}

void GroupFigures::merge(const GroupFigures& o) {
  devices += o.devices;
  connected += o.connected;
  ever_connected += o.ever_connected;
  connect_failures += o.connect_failures;
  crashes += o.crashes;
  published += o.published;
  received += o.received;
  heap_free_min = std::min(heap_free_min, o.heap_free_min);
  heap_max_block_min = std::min(heap_max_block_min, o.heap_max_block_min);
  heap_frag_max = std::max(heap_frag_max, o.heap_frag_max);
  for (auto& [k, n] : o.crashes_by_reason) crashes_by_reason[k] += n;
  for (auto& [k, n] : o.tls_errors) tls_errors[k] += n;
  handshake_ms.merge(o.handshake_ms);
  first_connect_ms.merge(o.first_connect_ms);
}

void GroupFigures::write_counts(json& j) const {
  j["devices"] = devices;
  j["connected"] = connected;
  j["ever_connected"] = ever_connected;
  j["connect_failures"] = connect_failures;
  j["crashes"] = crashes;
  j["crashes_by_reason"] = crashes_by_reason;
  j["published"] = published;
  j["received"] = received;
  j["heap_free_min"] = devices ? heap_free_min : 0;
  j["heap_max_block_min"] = devices ? heap_max_block_min : 0;
  j["heap_frag_max"] = heap_frag_max;
  j["tls_errors"] = tls_errors;
}

json GroupFigures::group_record() const {
  json j;
  write_counts(j);
  j["handshakes"] = handshake_ms.count();
  j["handshake_ms"] = handshake_ms.spread();
  j["first_connect_ms"] = first_connect_ms.spread();
  j["histograms"] = {{"handshake_ms", handshake_ms.to_json()}, {"first_connect_ms", first_connect_ms.to_json()}};
  return j;
}

namespace {
uint64_t count_of(const json& j, const char* k) {
  if (!j.contains(k)) return 0;
  if (!j[k].is_number_unsigned()) throw std::invalid_argument(std::string("\"") + k + "\" is not a count");
  return j[k].get<uint64_t>();
}
std::map<std::string, uint64_t> counts_of(const json& j, const char* k) {
  std::map<std::string, uint64_t> out;
  if (!j.contains(k)) return out;
  if (!j[k].is_object()) throw std::invalid_argument(std::string("\"") + k + "\" is not a map of counts");
  for (auto& [name, v] : j[k].items()) {
    if (!v.is_number_unsigned()) throw std::invalid_argument(std::string("\"") + k + "." + name + "\" is not a count");
    out[name] = v.get<uint64_t>();
  }
  return out;
}
}  // namespace

GroupFigures GroupFigures::from_json(const json& j) {
  GroupFigures g;
  g.devices = count_of(j, "devices");
  g.connected = count_of(j, "connected");
  g.ever_connected = count_of(j, "ever_connected");
  g.connect_failures = count_of(j, "connect_failures");
  g.crashes = count_of(j, "crashes");
  g.published = count_of(j, "published");
  g.received = count_of(j, "received");
  if (g.devices) {
    g.heap_free_min = count_of(j, "heap_free_min");
    g.heap_max_block_min = count_of(j, "heap_max_block_min");
  }
  g.heap_frag_max = count_of(j, "heap_frag_max");
  g.crashes_by_reason = counts_of(j, "crashes_by_reason");
  g.tls_errors = counts_of(j, "tls_errors");
  if (j.contains("histograms")) {
    const json& h = j["histograms"];
    if (h.contains("handshake_ms")) g.handshake_ms = Histogram::from_json(h["handshake_ms"]);
    if (h.contains("first_connect_ms")) g.first_connect_ms = Histogram::from_json(h["first_connect_ms"]);
  }
  return g;
}

std::string group_key(const Device& d) {
  const std::string& g = d.config().group;
  return g.empty() ? kDefaultGroupKey : g;
}

json groups_record(const std::map<std::string, GroupFigures>& groups) {
  json j = json::object();
  for (auto& [name, g] : groups) j[name] = g.group_record();
  return j;
}

}  // namespace espfleet
