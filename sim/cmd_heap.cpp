// sim/cmd_heap.cpp — the trace replayer: IDs act like a C caller's pointer variables.
#include "cmd_heap.h"

#include <charconv>
#include <istream>
#include <memory>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "heap_umm.h"

namespace espfleet {

namespace {

bool parse_u64(const std::string& s, uint64_t& v) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

int run_heap_trace(std::istream& in, const std::string& name, size_t heap_bytes, std::ostream& out,
                   std::ostream& err) {
  if (heap_bytes % 8 != 0 || heap_bytes < 64 || heap_bytes / 8 > 32768) {
    err << "espfleet heap: --heap-bytes " << heap_bytes
        << ": must be a multiple of 8 between 64 and 262144 (umm_malloc's 8-byte blocks, 15-bit block numbers)\n";
    return 2;
  }
  std::unique_ptr<uint64_t[]> mem(new uint64_t[heap_bytes / 8]);
  UmmHeap heap(mem.get(), heap_bytes);
  std::unordered_map<std::string, void*> ids;
  std::string line;
  for (size_t lineno = 1; std::getline(in, line); ++lineno) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream ls(line);
    std::vector<std::string> f;
    for (std::string w; ls >> w;) f.push_back(w);
    if (f.empty()) continue;
    auto bad = [&](const std::string& why) {
      err << name << ":" << lineno << ": " << why << " (expected 'malloc ID SIZE', 'free ID', 'realloc ID SIZE' or "
          << "'calloc ID COUNT SIZE')\n";
      return 2;
    };
    const std::string& op = f[0];
    size_t want = op == "malloc" || op == "realloc" ? 3 : op == "free" ? 2 : op == "calloc" ? 4 : 0;
    if (!want) return bad("unknown operation '" + op + "'");
    if (f.size() != want) return bad("'" + op + "' takes " + std::to_string(want - 1) + " argument(s), got " +
                                     std::to_string(f.size() - 1));
    uint64_t a = 0, b = 0;
    if (want >= 3 && !parse_u64(f[2], a)) return bad("'" + f[2] + "' is not a non-negative integer");
    if (want == 4 && !parse_u64(f[3], b)) return bad("'" + f[3] + "' is not a non-negative integer");
    auto it = ids.find(f[1]);
    void* cur = it == ids.end() ? nullptr : it->second;
    void* res = nullptr;
    bool ok = true;
    if (op == "malloc" || op == "calloc") {
      res = op == "malloc" ? heap.malloc(size_t(a)) : heap.calloc(size_t(a), size_t(b));
      ok = res != nullptr;
      if (res) ids[f[1]] = res;
      else ids.erase(f[1]);
    } else if (op == "free") {
      heap.free(cur);
      ids.erase(f[1]);
    } else {  // realloc
      res = heap.realloc(cur, size_t(a));
      ok = res != nullptr;
      if (res) ids[f[1]] = res;
      else if (a == 0) ids.erase(f[1]);
    }
    out << "{\"op\": " << lineno << ", \"ok\": " << (ok ? "true" : "false") << ", \"offset\": ";
    if (res) out << (static_cast<uint8_t*>(res) - heap.base());
    else out << "null";
    out << ", \"free\": " << heap.free_bytes() << ", \"max_block\": " << heap.max_free_block()
        << ", \"frag\": " << unsigned(heap.fragmentation()) << "}\n";
  }
  return 0;
}

}  // namespace espfleet
