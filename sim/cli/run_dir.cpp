// sim/cli/run_dir.cpp — choosing, refusing and clearing run directories (see run_dir.h).
#include "run_dir.h"

#include <ctime>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;

namespace espfleet {

bool holds_run(const fs::path& dir) {
  std::error_code ec;
  for (const char* f : {"run.json", "summary.json", "devices.jsonl", "tapes"})
    if (fs::exists(dir / f, ec)) return true;
  return false;
}

namespace {

bool empty_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_empty(dir, ec) && !ec;
}

fs::path default_dir() {
  auto t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "runs/%Y%m%d-%H%M%S", std::localtime(&t));
  fs::path p = buf;
  std::error_code ec;
  for (int n = 2; fs::exists(p, ec); ++n) p = std::string(buf) + "-" + std::to_string(n);
  return p;
}

}  // namespace

fs::path prepare_run_dir(const std::string& out, bool force) {
  fs::path dir = out.empty() ? default_dir() : fs::path(out);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      throw std::runtime_error("--out " + dir.string() + ": exists and is not a directory");
    if (holds_run(dir)) {
      if (!force)
        throw std::runtime_error(
            "--out " + dir.string() +
            ": holds an earlier run (its tapes and heap maps would mix with this one's); give a new "
            "directory, or --force to clear this one first");
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        fs::remove_all(e.path(), ec);
        if (ec)
          throw std::runtime_error("--out " + dir.string() + ": cannot clear " + e.path().string() + ": " +
                                   ec.message());
      }
    } else if (!empty_dir(dir)) {
      throw std::runtime_error("--out " + dir.string() +
                               ": is not empty and holds no espfleet run; give a new or empty directory");
    }
  }
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("--out " + dir.string() + ": cannot create the directory: " + ec.message());
  return dir;
}

}  // namespace espfleet
