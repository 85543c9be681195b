// tests/sim/config/scenario_test_support.h — what the scenario tests share: the repository root
// (for the shipped scenarios and docs) and the error text of parsing a scenario.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "scenario.h"

namespace scenario_test {

inline std::filesystem::path repo_root() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

// The error text of parsing `text` as "test.toml", or "" when it loads.
inline std::string error_of(std::string_view text, const std::vector<std::string>& sets = {}) {
  try {
    espfleet::parse_scenario(text, "test.toml", sets);
  } catch (const espfleet::ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace scenario_test
