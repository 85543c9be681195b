// shims/FS.h — the ESP8266 core's file system API (fs::FS, fs::File) over the device's flash: the
// files a run gives each device (its certificate and key, docs/sketches.md "Files") in a small
// region of the device's flash image, and what the sketch writes there. A sketch opens, reads,
// seeks, writes ("w", "a"), removes and renames as it would on LittleFS. A file opened for
// writing gathers what is written in a buffer on the device heap and stores it when it is closed
// (or flushed, or the last copy of the File goes).
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
  File(const File& o);
  File& operator=(const File& o);
  ~File() override;
  size_t write(uint8_t b) override { return write(&b, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int available() override { return _open ? int(_size - _pos) : 0; }
  int read() override;
  int peek() override;
  int read(uint8_t* buf, size_t size) override;
  size_t readBytes(char* buffer, size_t length) override {
    return size_t(read(reinterpret_cast<uint8_t*>(buffer), length));
  }
  void flush() override;  // a file being written: what was written so far is stored
  bool seek(uint32_t pos, SeekMode mode = SeekSet);
  size_t position() const { return _pos; }
  size_t size() const;
  void close();
  operator bool() const { return _open; }
  const char* name() const;      // without the directory
  const char* fullName() const;  // as opened
  bool isFile() const { return _open; }
  bool isDirectory() const { return false; }
  // All that is left (the core's File reads it at once, it does not wait for a timeout).
  String readString();

 private:
  friend class FS;
  struct Writer;              // a file being written, shared by the copies of its File (FS.cpp)
  void share(const File& o);  // a copy: the same file, one more holder of its writer
  void release();
  bool _open = false;
  uint32_t _addr = 0, _size = 0, _pos = 0;  // the data's flash address, its size, the read position
  char _path[kFsMaxName + 2] = {0};
  Writer* _w = nullptr;
};

// The core's directory walk: `Dir d = LittleFS.openDir("/"); while (d.next()) d.fileName() …`.
// The region has no directories: every file is in "/".
class Dir {
 public:
  bool next();                                    // to the next file; false after the last
  const char* fileName() const { return _name; }  // without the directory
  size_t fileSize() const { return _size; }
  bool isFile() const { return _index > 0; }
  bool isDirectory() const { return false; }

 private:
  friend class FS;
  uint32_t _index = 0;  // files passed so far
  uint32_t _size = 0;
  char _name[kFsMaxName + 2] = {0};
};

struct FSInfo {
  size_t totalBytes, usedBytes, blockSize, pageSize, maxOpenFiles, maxPathLength;
};

class FS {
 public:
  bool begin() { return true; }  // the region is always there (empty when the run gave no files)
  void end() {}
  bool format();
  bool info(FSInfo& info);
  // mode "r": the file, or a false File when there is none; "w": a new (empty) file, "a": append.
  File open(const char* path, const char* mode = "r");
  File open(const String& path, const char* mode = "r") { return open(path.c_str(), mode); }
  bool exists(const char* path);
  bool exists(const String& path) { return exists(path.c_str()); }
  bool remove(const char* path);
  bool remove(const String& path) { return remove(path.c_str()); }
  bool rename(const char* from, const char* to);
  bool rename(const String& from, const String& to) { return rename(from.c_str(), to.c_str()); }
  Dir openDir(const char*) { return Dir(); }
  bool mkdir(const char*) { return true; }
  bool rmdir(const char*) { return false; }
};

}  // namespace fs

using fs::Dir;
using fs::File;
using fs::FS;
using fs::FSInfo;
using fs::SeekCur;
using fs::SeekEnd;
using fs::SeekMode;
using fs::SeekSet;
