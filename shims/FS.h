// shims/FS.h — the ESP8266 core's file system API (fs::FS, fs::File) over the device's flash: the
// files a run gives each device (its certificate and key, docs/sketches.md "Files") in a small
// read-only region of the device's flash image. A sketch opens, reads, seeks and lists as it
// would on LittleFS; opening for writing fails (open() gives a File that is false).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "Stream.h"
#include "WString.h"

// The region's layout (sim/device/flash_image.cpp writes it): at kFsFlashAddr a header
// {magic, count}, then per file {u16 name length, name, u32 size, bytes}, little-endian.
static const uint32_t kFsFlashAddr = 0x3000;  // after the settings (0x0000, 0x1000) and EEPROM (0x2000)
static const uint32_t kFsMagic = 0x31534645;  // "EFS1"
static const size_t kFsMaxName = 31;

namespace fs {

enum SeekMode { SeekSet = 0, SeekCur = 1, SeekEnd = 2 };

class File : public Stream {
 public:
  File() = default;
  size_t write(uint8_t) override { return 0; }
  size_t write(const uint8_t*, size_t) override { return 0; }
  int available() override { return _open ? int(_size - _pos) : 0; }
  int read() override;
  int peek() override;
  int read(uint8_t* buf, size_t size) override;
  size_t readBytes(char* buffer, size_t length) override {
    return size_t(read(reinterpret_cast<uint8_t*>(buffer), length));
  }
  void flush() override {}
  bool seek(uint32_t pos, SeekMode mode = SeekSet);
  size_t position() const { return _pos; }
  size_t size() const { return _open ? _size : 0; }
  void close() { _open = false; }
  operator bool() const { return _open; }
  const char* name() const;      // without the directory
  const char* fullName() const;  // as opened
  bool isFile() const { return _open; }
  bool isDirectory() const { return false; }
  // All that is left (the core's File reads it at once, it does not wait for a timeout).
  String readString();

 private:
  friend class FS;
  bool _open = false;
  uint32_t _addr = 0, _size = 0, _pos = 0;  // the data's flash address, its size, the read position
  char _path[kFsMaxName + 2] = {0};
};

struct FSInfo {
  size_t totalBytes, usedBytes, blockSize, pageSize, maxOpenFiles, maxPathLength;
};

class FS {
 public:
  bool begin() { return true; }  // the region is always there (empty when the run gave no files)
  void end() {}
  bool format() { return false; }
  bool info(FSInfo& info);
  // mode "r" (or "rb"): the file, or a false File when there is none; any writing mode fails.
  File open(const char* path, const char* mode = "r");
  File open(const String& path, const char* mode = "r") { return open(path.c_str(), mode); }
  bool exists(const char* path);
  bool exists(const String& path) { return exists(path.c_str()); }
  bool remove(const char*) { return false; }
  bool remove(const String&) { return false; }
  bool rename(const char*, const char*) { return false; }
  bool mkdir(const char*) { return true; }
  bool rmdir(const char*) { return false; }
};

}  // namespace fs

using fs::File;
using fs::FS;
using fs::FSInfo;
using fs::SeekCur;
using fs::SeekEnd;
using fs::SeekMode;
using fs::SeekSet;
