// sim/heap/heap_tags.h — owner tags for a device's live heap chunks (for the heap map, heap_map.h).
// A tag comes from the allocation's call site (heap_tag_for); HeapTags keeps one 4-byte entry per
// live chunk — (first block << 8) | tag, sorted by block — so 100,000 devices with ~100 live
// chunks each cost a few hundred bytes apiece, not a byte per heap block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace espfleet {

class ChipHeap;

enum class HeapTag : uint8_t {
  other,        // anything not listed below
  tls,          // core/tls_client.cpp (the BearSSL context), core/trust_anchor.cpp; a sketch's
                //   WiFiClientSecure context and BearSSLHelpers (certificates, keys); a NodeMCU
                //   device's mbed TLS and its glue (nodemcu/tls/)
  tls_buffers,  // core/tls_client.cpp's record buffers (TlsClient::kBufIn / kBufOut); WiFiClientSecure's;
                //   mbed TLS's two on a NodeMCU device
  thunk,        // the BearSSL thunk stack block (StackThunk)
  x509,         // core/x509_checks.cpp; WiFiClientSecure's X.509 engine
  lwip,         // lwIP receive pbufs (sim/net/lwip_rx.cpp)
  mqtt,         // core/mqtt_client.cpp, core/mqtt_codec.cpp
  app,          // core/app.cpp, heap_workload.cpp
  new_op,       // operator new (no call site)
  lua,          // a NodeMCU device's Lua state (nodemcu/lua_alloc.cpp)
};
constexpr size_t kHeapTagCount = 10;

const char* heap_tag_name(HeapTag t);  // "tls", "tls_buffers", …, "new"
// The owner of an allocation of `size` bytes (the request, before target sizing) made at `file`
// (__FILE__, any directory prefix; null or "new" for operator new).
HeapTag heap_tag_for(const char* file, size_t size);

class HeapTags {
 public:
  void set(uint32_t block, HeapTag t);
  void erase(uint32_t block);
  HeapTag get(uint32_t block) const;  // HeapTag::other when the block has no entry
  void clear() { v_.clear(); }
  size_t size() const { return v_.size(); }
  // The same keyed by a pointer `heap` handed out (its chunk's key); null or foreign: nothing.
  void set(const ChipHeap& heap, const void* p, HeapTag t);
  void erase(const ChipHeap& heap, const void* p);
  HeapTag get(const ChipHeap& heap, const void* p) const;
  // The key of the live chunk p points to (0: null or not a chunk). Take it before a
  // realloc: a moved chunk's old pointer may no longer map back.
  static uint32_t block_of(const ChipHeap& heap, const void* p);

 private:
  std::vector<uint32_t> v_;  // (block << 8) | tag, ascending
};

}  // namespace espfleet
