// sim/cli/nodemcu_files.cpp — reading a NodeMCU project folder (nodemcu_files.h).
#include "nodemcu_files.h"

#include <algorithm>
#include <system_error>

#include "FS.h"
#include "cli_error.h"
#include "device_platform.h"
#include "input_file.h"

namespace espfleet {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxName = kFsMaxName - 1;  // the file region's names: "/" + 30 (shims/FS.h)
// What the region may hold in all: the device's flash from the region's start on.
constexpr size_t kMaxTotal = DevicePlatform::kFlashBytes - kFsFlashAddr;
}  // namespace

bool is_nodemcu_project(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(dir / "init.lua", ec);
}

std::vector<FlashFile> nodemcu_project_files(const fs::path& dir) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.path().filename().string()[0] != '.') paths.push_back(e.path());
  if (ec) throw CliError(dir.string() + ": cannot list the NodeMCU project: " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<FlashFile> files;
  size_t total = 0;
  for (const fs::path& p : paths) {
    const std::string name = p.filename().string();
    if (name.size() > kMaxName)
      throw CliError(p.string() + ": a NodeMCU file name may have at most " + std::to_string(kMaxName) +
                     " characters (the device's file system)");
    std::string bytes = read_whole_file(p);
    total += bytes.size();
    if (total > kMaxTotal)
      throw CliError(p.string() + ": the project's files exceed the " + std::to_string(kMaxTotal / 1024) +
                     " KiB of flash the device's file region can have");
    files.push_back({"/" + name, std::vector<uint8_t>(bytes.begin(), bytes.end())});
  }
  return files;
}

}  // namespace espfleet
