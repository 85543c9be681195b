// sim/files/output_file.h — how espfleet writes its files: whole or not at all. A file is
// written to a temporary name beside it and renamed into place, so a reader (or a run cut short
// by a signal or a full disk) never sees half a file; a new file (a key, a certificate) can be
// created only where none exists. Failures throw OutputError naming the file and the system's
// reason (errno).
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace espfleet {

struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes `content` to `path` (replacing it), with permissions `mode` whatever the umask.
void write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Creates `path` with `content` and permissions `mode`; false (nothing written) when the path
// exists already. A failed write leaves no file behind.
bool write_new_file(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Creates `dir` (and its parents) if needed and sets its permissions to `mode` (a directory that
// holds keys is 0700). OutputError on failure.
void make_directory(const std::filesystem::path& dir, mode_t mode = 0755);

}  // namespace espfleet
