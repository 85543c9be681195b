// sim/cli/cmd_heap.cpp — the trace replayer behind `espfleet heap`: parses trace lines, keeps each ID
// bound to a pointer the way a C caller's variable would be, and reports the model's metrics.
#include "cmd_heap.h"

#include <algorithm>
#include <charconv>
#include <istream>
#include <memory>
#include <ostream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fstream>
#include "chip.h"
#include "heap_map.h"
#include "heap_tags.h"
#include "utf8_text.h"

#include <nlohmann/json.hpp>

namespace espfleet {

namespace {

constexpr uint64_t kMaxSize = 0xFFFFFFFFu;

std::vector<std::string_view> split_fields(std::string_view line) {
  if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string_view> fields;
  const char* blanks = " \t\r\v\f";
  for (size_t i = line.find_first_not_of(blanks); i != std::string_view::npos; i = line.find_first_not_of(blanks, i)) {
    size_t end = std::min(line.find_first_of(blanks, i), line.size());
    fields.push_back(line.substr(i, end - i));
    i = end;
  }
  return fields;
}

// A decimal number 0..2^32-1 (no sign), or false.
bool parse_size(std::string_view s, uint64_t& v) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() && v <= kMaxSize;
}

const char* usage_of(std::string_view op) {
  if (op == "malloc") return "malloc ID SIZE";
  if (op == "free") return "free ID";
  if (op == "realloc") return "realloc ID SIZE";
  if (op == "calloc") return "calloc ID COUNT SIZE";
  return nullptr;
}

// The owner a trace ID names: its prefix before '.' or ':' if that is a tag's name.
HeapTag tag_of_id(std::string_view id) {
  std::string_view prefix = id.substr(0, std::min(id.find_first_of(".:"), id.size()));
  for (size_t t = 0; t < kHeapTagCount; ++t)
    if (prefix == heap_tag_name(HeapTag(t))) return HeapTag(t);
  return HeapTag::other;
}

}  // namespace

int run_heap_trace(std::istream& in, const std::string& name, Chip chip, HeapKind kind, size_t heap_bytes,
                   std::ostream& out, std::ostream& err, const HeapMapRequest& map) {
  if (std::string why = chip_heap_size_problem(kind, heap_bytes); !why.empty()) {
    err << "espfleet heap: --heap-bytes " << heap_bytes << " (" << enum_name(kChipNames, chip);
    if (kind != chip_model(chip).heap) err << ", --allocator " << enum_name(kHeapKindNames, kind);
    err << "): " << why << "\n";
    return 2;
  }
  // Trace sizes are the chip's: charged and held as they are, so every chunk stays in place.
  std::unique_ptr<uint64_t[]> arena(new uint64_t[(chip_heap_arena_bytes(kind, heap_bytes) + 7) / 8]());
  std::unique_ptr<ChipHeap> model = make_chip_heap(kind, arena.get(), heap_bytes);
  ChipHeap& heap = *model;
  std::unordered_map<std::string, void*> ids;               // absent = unbound (NULL)
  std::unordered_map<std::string, std::string> unbound_by;  // why an id is NULL: "freed on line 3"
  HeapTags tags;

  std::string line;
  for (size_t lineno = 1; std::getline(in, line); ++lineno) {
    if (!is_utf8(line)) {  // an ID goes into the JSON lines
      err << name << ":" << lineno << ": not UTF-8 text\n";
      return 2;
    }
    std::vector<std::string_view> f = split_fields(line);
    if (f.empty()) continue;
    const char* usage = usage_of(f[0]);
    if (!usage) {
      err << name << ":" << lineno << ": unknown op '" << f[0]
          << "' (expected malloc ID SIZE, free ID, realloc ID SIZE or calloc ID COUNT SIZE)\n";
      return 2;
    }
    size_t want = f[0] == "free" ? 2 : f[0] == "calloc" ? 4 : 3;
    if (f.size() != want) {
      err << name << ":" << lineno << ": expected '" << usage << "' (" << (f.size() < want ? "missing" : "extra")
          << " field)\n";
      return 2;
    }
    uint64_t num[2] = {0, 0};
    for (size_t i = 2; i < want; ++i) {
      if (!parse_size(f[i], num[i - 2])) {
        err << name << ":" << lineno << ": expected '" << usage << "': '" << f[i]
            << "' is not a size (a whole number 0..4294967295)\n";
        return 2;
      }
    }

    std::string id(f[1]);
    auto it = ids.find(id);
    void* bound = it == ids.end() ? nullptr : it->second;
    void* result = nullptr;
    bool ok = true;
    std::string warning;  // a legal call a C program would still want to hear about
    auto bind = [&](void* p) {
      if (p) {
        ids[id] = p;
        unbound_by.erase(id);
      } else {
        ids.erase(id);
        if (f[0] == "realloc" && num[0] == 0)
          unbound_by[id] = "freed by realloc on line " + std::to_string(lineno);
        else if (f[0] != "free")
          unbound_by[id] = "its allocation on line " + std::to_string(lineno) + " failed";
      }
    };
    if (f[0] == "malloc" || f[0] == "calloc") {  // p = malloc(...): NULL also overwrites (leaks)
      result = f[0] == "malloc" ? heap.malloc(size_t(num[0])) : heap.calloc(size_t(num[0]), size_t(num[1]));
      ok = result != nullptr;
      tags.set(heap, result, tag_of_id(id));
      bind(result);
    } else if (f[0] == "free") {  // free(p); p = NULL
      if (!bound) {
        auto was = unbound_by.find(id);
        if (was == unbound_by.end())
          warning = "free of " + id + ", which no line allocated (free(NULL))";
        else if (was->second.rfind("freed", 0) == 0)
          warning = "double free: " + id + " was " + was->second + " (free(NULL) here)";
        else
          warning = "free of " + id + ", which is NULL: " + was->second + " (free(NULL))";
      }
      tags.erase(heap, bound);
      heap.free(bound);
      bind(nullptr);
      if (bound) unbound_by[id] = "freed on line " + std::to_string(lineno);
    } else {  // q = realloc(p, n); if (q || n == 0) p = q
      uint32_t old_block = HeapTags::block_of(heap, bound);
      result = heap.realloc(bound, size_t(num[0]));
      ok = result != nullptr;
      if ((result || num[0] == 0) && old_block) tags.erase(old_block);
      tags.set(heap, result, tag_of_id(id));
      if (result || num[0] == 0) bind(result);
    }
    if (map.ascii) continue;

    out << "{\"op\": " << lineno << ", \"ok\": " << (ok ? "true" : "false") << ", \"offset\": ";
    if (result)
      out << heap.offset_of(result);
    else
      out << "null";
    out << ", \"free\": " << heap.free_bytes() << ", \"max_block\": " << heap.max_free_block()
        << ", \"frag\": " << unsigned(heap.fragmentation());
    if (!warning.empty()) out << ", \"warning\": " << nlohmann::json(warning).dump();
    out << "}\n";
  }
  if (map.ascii || !map.svg_file.empty()) {
    HeapMapData m = heap_map_snapshot(heap, tags);
    if (map.ascii) out << render_heap_ascii(m);
    if (!map.svg_file.empty()) {
      std::ofstream f(map.svg_file);
      f << render_heap_svg(m, "espfleet heap " + name + " (" + std::to_string(heap_bytes) + " B)");
      if (!f) {
        err << "espfleet heap: cannot write '" << map.svg_file << "'\n";
        return 2;
      }
    }
  }
  return 0;
}

}  // namespace espfleet
