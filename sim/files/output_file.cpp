// sim/files/output_file.cpp — temporary file + rename, exclusive creation, errno in every failure.
#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace espfleet {

namespace {

[[noreturn]] void fail(const std::filesystem::path& p, const char* what, int e) {
  throw OutputError(p.string() + ": cannot " + what + ": " + std::strerror(e));
}

// Writes all of `content` to the open `fd`, sets `mode` and closes it; on failure removes
// `written` (the file fd is open on) and throws naming `target`.
void finish(int fd, std::string_view content, mode_t mode, const std::filesystem::path& written,
            const std::filesystem::path& target) {
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(written.c_str());
      fail(target, "write", e);
    }
    p += n;
    left -= size_t(n);
  }
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(written.c_str());
    fail(target, "write", e);
  }
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) fail(path, "write", errno);
  finish(fd, content, mode, tmp, path);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail(path, "write", e);
  }
}

bool write_new_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    fail(path, "create", errno);
  }
  finish(fd, content, mode, path, path);
  return true;
}

void make_directory(const std::filesystem::path& dir, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw OutputError(dir.string() + ": cannot create the directory: " + ec.message());
  if (::chmod(dir.c_str(), mode) != 0) fail(dir, "set the permissions of", errno);
}

}  // namespace espfleet
