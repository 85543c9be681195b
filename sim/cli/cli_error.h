// sim/cli/cli_error.h — how a command fails for its user: CliError carries a message that
// already names the option, file or peer; the command prints it as "espfleet COMMAND: message"
// and exits 2 (bad input or environment), the status every command documents.
#pragma once
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string_view>

namespace espfleet {

inline constexpr int kExitBadInput = 2;

struct CliError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Prints "espfleet COMMAND: what" on stderr; returns kExitBadInput.
inline int report_command_error(std::string_view command, const std::exception& e) {
  std::fprintf(stderr, "espfleet %.*s: %s\n", int(command.size()), command.data(), e.what());
  return kExitBadInput;
}

}  // namespace espfleet
