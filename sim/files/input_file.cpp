// sim/files/input_file.cpp — one read of a whole file, errno in the failure.
#include "input_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace espfleet {

std::string read_whole_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path.string() + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": cannot read: I/O error");
  return ss.str();
}

}  // namespace espfleet
