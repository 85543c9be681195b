// tools/tlsf-check.d/driver.cpp — the model side of tools/tlsf-check: replays the same traces as
// harness.c on espfleet::TlsfHeap (sim/heap/heap_tlsf.cpp) and prints the same lines (the format is
// described in harness.c), so that the two outputs can be compared line for line. Every 64
// operations and at a trace's end it also runs the model's check_integrity(); a failure prints
// a line the reference never prints.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "heap_tlsf.h"

using espfleet::TlsfHeap;

namespace {

void state(std::string& out, const TlsfHeap& h) {
  out += ' ';
  out += std::to_string(h.free_bytes());
  out += ' ';
  out += std::to_string(h.largest_free_block());
  out += ' ';
  out += std::to_string(h.minimum_free_bytes());
  out += '\n';
}

void result(std::string& out, const TlsfHeap& h, const void* p) {
  out += p ? std::to_string(h.offset_of(p)) : std::string("-1");
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::vector<uint8_t> mem;
  std::unique_ptr<TlsfHeap> heap;
  std::vector<void*> slot(4096, nullptr);
  std::string id = "?", line, out;
  uint64_t ops = 0;
  while (std::getline(std::cin, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string op;
    uint64_t a = 0, b = 0, c = 0;
    in >> op >> a >> b >> c;
    if (op == "trace") {
      id = line.substr(6);
      continue;
    }
    if (op == "pool") {
      heap.reset();
      mem.assign(TlsfHeap::arena_bytes(a), 0);
      std::fill(slot.begin(), slot.end(), nullptr);
      if (!TlsfHeap::size_problem(a).empty()) {
        out += "trace " + id + " register-failed\n";
        continue;
      }
      heap = std::make_unique<TlsfHeap>(mem.data(), a);
      out += "trace " + id + " " + std::to_string(heap->control_bytes());
      state(out, *heap);
      continue;
    }
    if (op == "end") {
      std::string e = heap ? heap->check_integrity() : "";
      out += e.empty() ? "end 0\n" : "end model: " + e + "\n";
      heap.reset();
      continue;
    }
    if (!heap || a >= slot.size()) {
      std::fputs("bad command\n", stderr);
      return 2;
    }
    TlsfHeap& h = *heap;
    if (op == "m") {
      slot[a] = h.malloc(b);
      result(out, h, slot[a]);
    } else if (op == "c") {
      slot[a] = h.calloc(b, c);
      result(out, h, slot[a]);
    } else if (op == "r") {
      void* r = h.realloc(slot[a], b);
      if (r || b == 0) slot[a] = r;
      result(out, h, r);
    } else if (op == "f") {
      h.free(slot[a]);
      slot[a] = nullptr;
      out += '-';
    } else {
      std::fputs("bad command\n", stderr);
      return 2;
    }
    state(out, h);
    if (++ops % 64 == 0) {
      if (std::string e = h.check_integrity(); !e.empty()) out += "model integrity: " + e + "\n";
    }
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
