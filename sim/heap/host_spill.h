// sim/heap/host_spill.h — where a heap model keeps the host bytes of a chunk that do not fit in the
// chunk itself (a 64-bit host object larger than the chip's; docs/heap.md, "Target vs host
// sizes"). Two areas follow the chip's heap image in the caller's memory, both virtual memory
// touched only where used:
//   pool  2N bytes: objects packed first fit from its start in 16-byte rows, each behind one tag
//         row naming its chunk's key (an address-ordered list): the few such objects (BearSSL
//         contexts, firmware objects) share a page or two.
//   map   the fallback when the pool is full: the chunk of key k owns 2·K·k .. 2·K·k + twice the
//         chunk's bytes (K: chip bytes per key step), so there is always room.
// The heap model says which chunk a key is and how large it is; this keeps the bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

namespace espfleet {

class HostSpill {
 public:
  static constexpr size_t kRowBytes = 16;        // pool unit; each object has one tag row
  static constexpr uint32_t kNone = 0xFFFFFFFF;  // no pool row
  // Bytes the two areas take for a heap image of `chip_bytes` (after 16-byte alignment).
  static size_t bytes_for(size_t chip_bytes) { return 4 * chip_bytes; }

  // mem: 16-aligned, bytes_for(chip_bytes) bytes; key_bytes: chip bytes per key step.
  HostSpill(uint8_t* mem, size_t chip_bytes, uint32_t key_bytes)
      : pool_(mem),
        rows_(uint32_t(2 * chip_bytes / kRowBytes)),
        map_(mem + 2 * chip_bytes),
        map_bytes_(2 * chip_bytes),
        key_bytes_(key_bytes) {}

  bool in_pool(const void* p) const { return at(p, pool_, size_t(rows_) * kRowBytes); }
  bool in_map(const void* p) const { return at(p, map_, map_bytes_); }
  uint8_t* pool_base() { return pool_; }
  const uint8_t* pool_base() const { return pool_; }
  uint8_t* map_base() { return map_; }
  const uint8_t* map_base() const { return map_; }

  // A new pool object of host_bytes for the chunk `key` (first fit); nullptr when the pool is full.
  uint8_t* pool_place(uint32_t key, size_t host_bytes);
  // p's tag row if p is a listed pool object, else kNone.
  uint32_t pool_row_of(const void* p) const;
  uint32_t pool_key(uint32_t row) const { return tag(row).key; }
  void set_pool_key(uint32_t row, uint32_t key) {
    Tag t = tag(row);
    t.key = key;
    set_tag(row, t);
  }
  size_t pool_room(uint32_t row) const { return size_t(tag(row).rows - 1) * kRowBytes; }
  void pool_release(uint32_t row);

  // The map's room of the chunk `key` and the key of a map pointer (kNone: not a chunk's start).
  uint8_t* mapped(uint32_t key) { return map_ + 2 * size_t(key_bytes_) * key; }
  uint32_t map_key(const void* p) const {
    size_t off = size_t(static_cast<const uint8_t*>(p) - map_);
    return off % (2 * key_bytes_) == 0 ? uint32_t(off / (2 * key_bytes_)) : kNone;
  }

  // The chunk key a pointer into either area names: a listed pool object's, or the key whose
  // map room starts at p; kNone for anything else.
  uint32_t key_of(const void* p) const {
    if (in_pool(p)) {
      const uint32_t row = pool_row_of(p);
      return row == kNone ? kNone : pool_key(row);
    }
    return in_map(p) ? map_key(p) : kNone;
  }

  // "" when the pool is an address-ordered list of tagged, disjoint objects, each of a different
  // chunk for which live(key) holds.
  std::string check(const std::function<bool(uint32_t key)>& live) const;

 private:
  struct Tag {
    uint32_t tag, key, rows, next;  // rows include the tag row
  };
  static constexpr uint32_t kTag = 0x4C4F4F50;  // "POOL"
  static bool at(const void* p, const uint8_t* from, size_t n) {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(from);
    return a >= b && a - b < n;
  }
  Tag tag(uint32_t row) const {
    Tag t;
    std::memcpy(&t, pool_ + size_t(row) * kRowBytes, sizeof t);
    return t;
  }
  void set_tag(uint32_t row, const Tag& t) { std::memcpy(pool_ + size_t(row) * kRowBytes, &t, sizeof t); }

  uint8_t* pool_;
  uint32_t rows_;
  uint32_t head_ = kNone;  // the first object's tag row
  uint8_t* map_;
  size_t map_bytes_;
  uint32_t key_bytes_;
};

}  // namespace espfleet
