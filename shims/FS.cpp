// shims/FS.cpp — fs::FS and fs::File (FS.h): reading the device's file region through the
// platform's flash_read (the same bytes for every shim object, each device's own flash), and
// changing it through the platform's fs_store/fs_remove/fs_rename.
#include "FS.h"

#include <string.h>

#include "Arduino.h"
#include "platform.h"

fs::FS LittleFS;
fs::FS SPIFFS;

namespace fs {

namespace {

bool flash(uint32_t addr, void* out, size_t n) {
  EspPlatform* p = esp_platform();
  return p && p->flash_read(addr, out, n);
}

// Walks the region's entries: fn(name, addr, size) until it says true; false at the end.
template <class F>
bool each_file(F fn) {
  uint32_t head[2];
  if (!flash(kFsFlashAddr, head, sizeof head) || head[0] != kFsMagic) return false;
  uint32_t at = kFsFlashAddr + sizeof head;
  for (uint32_t i = 0; i < head[1]; ++i) {
    uint16_t name_len;
    uint32_t size;
    char name[kFsMaxName + 2];
    if (!flash(at, &name_len, 2) || name_len > kFsMaxName + 1 || !flash(at + 2, name, name_len) ||
        !flash(at + 2 + name_len, &size, 4))
      return false;
    name[name_len] = 0;
    const uint32_t data = at + 2 + name_len + 4;
    if (fn(name, data, size)) return true;
    at = data + size;
  }
  return false;
}

// "/a.pem" and "a.pem" name the same file.
const char* rooted(const char* path) { return path && path[0] == '/' ? path + 1 : path; }

}  // namespace

// What a File opened for writing holds: the bytes written since it was opened (or last stored).
struct File::Writer {
  int refs = 1;
  bool append;  // "a", or stored once already: what follows is added
  bool stored = false;
  uint8_t* data = nullptr;
  size_t len = 0, cap = 0;
};

File::File(const File& o) : Stream(o) { share(o); }

File& File::operator=(const File& o) {
  if (this == &o) return *this;
  release();
  share(o);
  return *this;
}

void File::share(const File& o) {
  _open = o._open;
  _addr = o._addr;
  _size = o._size;
  _pos = o._pos;
  memcpy(_path, o._path, sizeof _path);
  _w = o._w;
  if (_w) ++_w->refs;
}

File::~File() { release(); }

// The last copy of a file being written stores what is left, as the core's File does when it goes.
void File::release() {
  if (!_w) return;
  if (--_w->refs == 0) {
    if (!_w->stored || _w->len) flush();
    free(_w->data);
    free(_w);
  }
  _w = nullptr;
}

size_t File::write(const uint8_t* buf, size_t size) {
  if (!_open || !_w || !size) return 0;
  if (_w->len + size > _w->cap) {
    size_t cap = _w->cap ? _w->cap * 2 : 256;
    while (cap < _w->len + size) cap *= 2;
    auto* d = static_cast<uint8_t*>(realloc(_w->data, cap));
    if (!d) return 0;  // the heap is full: nothing of this write is kept
    _w->data = d;
    _w->cap = cap;
  }
  memcpy(_w->data + _w->len, buf, size);
  _w->len += size;
  _pos += uint32_t(size);
  return size;
}

void File::flush() {
  EspPlatform* p = esp_platform();
  if (!_open || !_w || !p) return;
  if (p->fs_store(_path, _w->data, _w->len, _w->append)) {
    _w->stored = true;
    _w->append = true;
    _w->len = 0;
  }
}

size_t File::size() const {
  if (!_open) return 0;
  return _w ? _pos : _size;
}

void File::close() {
  if (_w && _w->refs == 1) flush();
  release();
  _open = false;
}

int File::read() {
  uint8_t b;
  return read(&b, 1) == 1 ? b : -1;
}

int File::peek() {
  if (!_open || _w || _pos >= _size) return -1;
  uint8_t b;
  return flash(_addr + _pos, &b, 1) ? b : -1;
}

int File::read(uint8_t* buf, size_t size) {
  if (!_open || _w) return -1;
  const size_t n = size < _size - _pos ? size : _size - _pos;
  if (n && !flash(_addr + _pos, buf, n)) return -1;
  _pos += uint32_t(n);
  return int(n);
}

bool File::seek(uint32_t pos, SeekMode mode) {
  if (!_open || _w) return false;
  int64_t to = mode == SeekSet ? int64_t(pos) : mode == SeekCur ? int64_t(_pos) + pos : int64_t(_size) - pos;
  if (to < 0 || to > int64_t(_size)) return false;
  _pos = uint32_t(to);
  return true;
}

const char* File::name() const {
  const char* slash = strrchr(_path, '/');
  return slash ? slash + 1 : _path;
}

const char* File::fullName() const { return _path; }

String File::readString() {
  String s;
  char chunk[64];
  int n;
  while ((n = read(reinterpret_cast<uint8_t*>(chunk), sizeof chunk - 1)) > 0) {
    chunk[n] = 0;
    s += chunk;
  }
  return s;
}

File FS::open(const char* path, const char* mode) {
  File f;
  if (!path || !mode || !*rooted(path) || strlen(rooted(path)) > kFsMaxName) return f;
  const char* want = rooted(path);
  if (mode[0] == 'w' || mode[0] == 'a') {
    f._w = static_cast<File::Writer*>(malloc(sizeof(File::Writer)));
    if (!f._w) return f;
    *f._w = File::Writer{};
    f._w->append = mode[0] == 'a';
    f._open = true;
    f._path[0] = '/';
    strncpy(f._path + 1, want, sizeof f._path - 2);
    if (f._w->append) {  // where it goes on: the end of what is there
      File old = open(path, "r");
      f._pos = uint32_t(old.size());
    } else {
      f.flush();  // "w" truncates at once, as the core's
    }
    return f;
  }
  if (mode[0] != 'r') return f;
  each_file([&](const char* name, uint32_t addr, uint32_t size) {
    if (strcmp(rooted(name), want) != 0) return false;
    f._open = true;
    f._addr = addr;
    f._size = size;
    f._pos = 0;
    f._path[0] = '/';
    strncpy(f._path + 1, want, sizeof f._path - 2);
    return true;
  });
  return f;
}

bool Dir::next() {
  uint32_t i = 0;
  const bool found = each_file([&](const char* name, uint32_t, uint32_t size) {
    if (i++ < _index) return false;
    strncpy(_name, rooted(name), sizeof _name - 1);
    _size = size;
    return true;
  });
  if (found) ++_index;
  return found;
}

bool FS::exists(const char* path) {
  const char* want = rooted(path);
  return each_file([&](const char* name, uint32_t, uint32_t) { return strcmp(rooted(name), want) == 0; });
}

bool FS::remove(const char* path) {
  EspPlatform* p = esp_platform();
  return p && path && p->fs_remove(path);
}

bool FS::rename(const char* from, const char* to) {
  EspPlatform* p = esp_platform();
  return p && from && to && p->fs_rename(from, to);
}

bool FS::format() {
  EspPlatform* p = esp_platform();
  return p && p->fs_remove(nullptr);
}

bool FS::info(FSInfo& info) {
  size_t used = 0;
  each_file([&](const char*, uint32_t, uint32_t size) {
    used += size;
    return false;
  });
  info = FSInfo{used, used, 4096, 256, 5, kFsMaxName + 1};
  return true;
}

}  // namespace fs
