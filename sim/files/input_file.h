// sim/files/input_file.h — reading a file the user named (a certificate, a key, a scenario):
// whole, with an error that names the file and the system's reason.
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>

namespace espfleet {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The file's bytes. InputError "PATH: is a directory, not a file" or "PATH: cannot read: REASON".
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace espfleet
