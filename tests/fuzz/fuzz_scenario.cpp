// tests/fuzz/fuzz_scenario.cpp — scenario text as users write it (parse_scenario: TOML, the
// option table, groups, thresholds, faults) and one --set override cut from the input: a bad one
// is refused by ScenarioError only, with a message; what loads resolves every device and writes
// its resolved form.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "scenario.h"

using namespace espfleet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // The last line, if it has "=", is a --set KEY=VALUE; the rest is the file.
  std::vector<std::string> sets;
  const size_t nl = all.rfind('\n');
  if (nl != std::string_view::npos && all.substr(nl + 1).find('=') != std::string_view::npos) {
    sets.emplace_back(all.substr(nl + 1));
    all = all.substr(0, nl);
  }
  try {
    const Scenario s = parse_scenario(all, "fuzz.toml", sets);
    const uint32_t n = s.fleet.devices < 64 ? s.fleet.devices : 64;
    for (uint32_t id = 0; id < n; ++id) (void)s.for_device(id);
    (void)s.resolved().dump();
  } catch (const ScenarioError& e) {
    if (e.messages().empty()) std::abort();
  }
  return 0;
}
