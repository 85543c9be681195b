// sim/heap/host_spill.cpp — the pool of host bytes beside a heap image (host_spill.h): an
// address-ordered list of tagged objects, first fit.
#include "host_spill.h"

#include <vector>

namespace espfleet {

uint8_t* HostSpill::pool_place(uint32_t key, size_t host_bytes) {
  size_t rows_sz = 1 + host_bytes / kRowBytes + (host_bytes % kRowBytes != 0);
  if (rows_sz > rows_) return nullptr;
  uint32_t rows = uint32_t(rows_sz), at = 0, before = kNone, after = head_;
  for (; after != kNone; before = after, after = tag(after).next) {
    if (after - at >= rows) break;  // the gap below this object
    at = after + tag(after).rows;
  }
  if (after == kNone && rows_ - at < rows) return nullptr;
  set_tag(at, Tag{kTag, key, rows, after});
  if (before == kNone) {
    head_ = at;
  } else {
    Tag b = tag(before);
    b.next = at;
    set_tag(before, b);
  }
  return pool_ + size_t(at + 1) * kRowBytes;
}

uint32_t HostSpill::pool_row_of(const void* p) const {
  auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(pool_);
  if (a < b + kRowBytes || a >= b + size_t(rows_) * kRowBytes || (a - b) % kRowBytes != 0) return kNone;
  uint32_t want = uint32_t((a - b) / kRowBytes) - 1;
  // Only a listed object counts (a stale or forged pointer is not one); the list is short.
  for (uint32_t r = head_; r != kNone && r <= want; r = tag(r).next)
    if (r == want) return r;
  return kNone;
}

void HostSpill::pool_release(uint32_t row) {
  Tag t = tag(row);
  if (head_ == row) {
    head_ = t.next;
  } else {
    uint32_t r = head_;
    while (tag(r).next != row) r = tag(r).next;
    Tag b = tag(r);
    b.next = t.next;
    set_tag(r, b);
  }
  t.tag = 0;
  set_tag(row, t);
}

std::string HostSpill::check(const std::function<bool(uint32_t key)>& live) const {
  auto row_at = [](const char* what, uint32_t r) {
    return std::string("data pool: ") + what + " at row " + std::to_string(r);
  };
  std::vector<uint32_t> keys;
  uint32_t end = 0, objects = 0;
  for (uint32_t r = head_; r != kNone; r = tag(r).next) {
    Tag t = tag(r);
    if (++objects > rows_ || r < end || r >= rows_) return row_at("list out of order or looping", r);
    if (t.tag != kTag) return row_at("tag damaged", r);
    if (t.rows == 0 || t.rows > rows_ - r) return row_at("object size out of the pool", r);
    if (!live(t.key)) return row_at("object of no used chunk", r);
    for (uint32_t k : keys)
      if (k == t.key) return row_at("second object of one chunk", r);
    keys.push_back(t.key);
    end = r + t.rows;
  }
  return "";
}

}  // namespace espfleet
