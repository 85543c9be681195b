// tools/heap5-check.d/driver.cpp — the model side of tools/heap5-check: replays the same traces as
// harness.c on espfleet::SdkHeap (sim/heap/heap_sdk.cpp) and prints the same lines (the format is
// described in harness.c), so that the two outputs can be compared line for line. Every 64
// operations and at a trace's end it also runs the model's check_integrity(); a failure is
// appended to that operation's line (" model integrity: ..."), which the reference never prints,
// so the line differs and the lines stay one per command.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "heap_sdk.h"

using espfleet::SdkHeap;

namespace {

void state(std::string& out, const SdkHeap& h) {
  out += ' ';
  out += std::to_string(h.free_bytes());
  out += ' ';
  out += std::to_string(h.max_free_block());
  out += ' ';
  out += std::to_string(h.minimum_free_bytes());
}

void result(std::string& out, const SdkHeap& h, const void* p) {
  out += p ? std::to_string(h.offset_of(p)) : std::string("-1");
}

// FNV-1a 32 of the chip's image of the region, as harness.c computes it.
std::string image_hash(const SdkHeap& h) {
  uint32_t x = 2166136261u;
  for (size_t i = 0; i < h.size(); ++i) x = (x ^ h.base()[i]) * 16777619u;
  char t[9];
  std::snprintf(t, sizeof t, "%08x", x);
  return t;
}

// A malloc of n bytes, filled with (k + 131 i) mod 256 as harness.c fills them.
void* filled_malloc(SdkHeap& h, size_t n, uint32_t k) {
  auto* p = static_cast<uint8_t*>(h.malloc(n));
  if (p)
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(k + 131 * i);
  return p;
}

// malloc(max(0, base + delta)), filled: the x and y commands.
void* relative_malloc(SdkHeap& h, int64_t base, int64_t delta, uint32_t k) {
  const int64_t n = base + delta;
  return filled_malloc(h, n < 0 ? 0 : size_t(n), k);
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::vector<uint8_t> mem;
  std::unique_ptr<SdkHeap> heap;
  std::vector<void*> slot(4096, nullptr);
  std::string id = "?", line, out;
  uint64_t ops = 0;
  uint32_t k = 0;  // the command's index in the trace
  while (std::getline(std::cin, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string op;
    int64_t a = 0, b = 0, c = 0;
    in >> op >> a >> b >> c;
    if (op == "trace") {
      id = line.substr(6);
      continue;
    }
    if (op == "pool") {
      heap.reset();
      std::fill(slot.begin(), slot.end(), nullptr);
      if (a < 0 || !SdkHeap::size_problem(size_t(a)).empty()) {
        out += "trace " + id + " register-failed\n";
        continue;
      }
      mem.assign(SdkHeap::arena_bytes(size_t(a)), 0);
      heap = std::make_unique<SdkHeap>(mem.data(), size_t(a));
      k = 0;
      out += "trace " + id;
      state(out, *heap);
      out += '\n';
      continue;
    }
    if (op == "end") {
      if (!heap) {
        out += "end model: no heap\n";
        continue;
      }
      std::string e = heap->check_integrity();
      out += "end " + image_hash(*heap) + (e.empty() ? "" : " model integrity: " + e) + "\n";
      heap.reset();
      continue;
    }
    if (!heap || a < 0 || size_t(a) >= slot.size()) {
      std::fputs("bad command\n", stderr);
      return 2;
    }
    SdkHeap& h = *heap;
    if (op == "m") {
      slot[a] = filled_malloc(h, size_t(b), k);
      result(out, h, slot[a]);
    } else if (op == "c") {
      slot[a] = h.calloc(size_t(b), size_t(c));
      result(out, h, slot[a]);
    } else if (op == "r") {
      void* r = h.realloc(slot[a], size_t(b));
      if (r || b == 0) slot[a] = r;
      result(out, h, r);
    } else if (op == "x") {
      slot[a] = relative_malloc(h, h.max_free_block(), b, k);
      result(out, h, slot[a]);
    } else if (op == "y") {
      slot[a] = relative_malloc(h, int64_t(h.free_bytes()) - 8, b, k);
      result(out, h, slot[a]);
    } else if (op == "f") {
      h.free(slot[a]);
      slot[a] = nullptr;
      out += '-';
    } else {
      std::fputs("bad command\n", stderr);
      return 2;
    }
    state(out, h);
    ++k;
    if (++ops % 64 == 0) {
      if (std::string e = h.check_integrity(); !e.empty()) out += " model integrity: " + e;
    }
    if (h.bad_frees()) out += " model bad frees: " + std::to_string(h.bad_frees());
    out += '\n';
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
