// sim/heap/heap_tags.cpp — call site → owner tag, and the per-device sorted chunk → tag list.
#include "heap_tags.h"

#include <algorithm>
#include <cstring>

#include "alloc_scope.h"
#include "chip_heap.h"

namespace espfleet {

const char* heap_tag_name(HeapTag t) {
  switch (t) {
    case HeapTag::other:
      return "other";
    case HeapTag::tls:
      return "tls";
    case HeapTag::tls_buffers:
      return "tls_buffers";
    case HeapTag::thunk:
      return "thunk";
    case HeapTag::x509:
      return "x509";
    case HeapTag::lwip:
      return "lwip";
    case HeapTag::mqtt:
      return "mqtt";
    case HeapTag::app:
      return "app";
    case HeapTag::new_op:
      return "new";
    case HeapTag::lua:
      return "lua";
  }
  return "other";
}

HeapTag heap_tag_for(const char* file, size_t size) {
  if (!file) return HeapTag::new_op;
  const char* base = std::strrchr(file, '/');
  base = base ? base + 1 : file;
  auto is = [base](const char* name) { return std::strcmp(base, name) == 0; };
  if (is("new")) return HeapTag::new_op;
  if (is("tls_client.cpp"))  // TlsClient's record buffers, ESP8266 and ESP32 sizes
    return size == 1024 + 325 || size == 1024 + 85 || size == 2048 + 325 || size == 2048 + 85 ? HeapTag::tls_buffers
                                                                                              : HeapTag::tls;
  if (is("trust_anchor.cpp")) return HeapTag::tls;
  // A sketch's secure client (shims/WiFiClientSecureBearSSL.cpp names its sites) and key holders.
  if (is("WiFiClientSecure.context") || is("BearSSLHelpers.cpp")) return HeapTag::tls;
  if (is("WiFiClientSecure.buffer_in") || is("WiFiClientSecure.buffer_out")) return HeapTag::tls_buffers;
  if (is("WiFiClientSecure.x509")) return HeapTag::x509;
  if (is("StackThunk.cpp") || is("StackThunk")) return HeapTag::thunk;
  if (is("x509_checks.cpp")) return HeapTag::x509;
  if (is("lwip")) return HeapTag::lwip;
  if (is("mqtt_client.cpp") || is("mqtt_codec.cpp")) return HeapTag::mqtt;
  if (is("app.cpp") || is("heap_workload.cpp")) return HeapTag::app;
  if (is("lua")) return HeapTag::lua;
  // A NodeMCU device's TLS (nodemcu/tls/tls_session.h): mbed TLS's own blocks, its two record
  // buffers (13 + 16 + 48 + 256 + 4096 bytes each) among them, and the glue's.
  if (is("mbedtls")) return size == 4429 ? HeapTag::tls_buffers : HeapTag::tls;
  if (is("tls_session.cpp")) return HeapTag::tls;
  return HeapTag::other;
}

namespace {
bool block_less(uint32_t entry, uint32_t block) { return (entry >> 8) < block; }
}  // namespace

void HeapTags::set(uint32_t block, HeapTag t) {
  auto it = std::lower_bound(v_.begin(), v_.end(), block, block_less);
  uint32_t e = (block << 8) | uint32_t(t);
  if (it != v_.end() && (*it >> 8) == block)
    *it = e;
  else {
    HostSection host;  // the list grows in host memory, never in the device's own heap
    v_.insert(it, e);
  }
}

void HeapTags::erase(uint32_t block) {
  auto it = std::lower_bound(v_.begin(), v_.end(), block, block_less);
  if (it != v_.end() && (*it >> 8) == block) v_.erase(it);
}

HeapTag HeapTags::get(uint32_t block) const {
  auto it = std::lower_bound(v_.begin(), v_.end(), block, block_less);
  if (it != v_.end() && (*it >> 8) == block) return HeapTag(*it & 0xFF);
  return HeapTag::other;
}

uint32_t HeapTags::block_of(const ChipHeap& heap, const void* p) { return p ? heap.key_of(p) : 0; }

void HeapTags::set(const ChipHeap& heap, const void* p, HeapTag t) {
  if (uint32_t c = block_of(heap, p)) set(c, t);
}

void HeapTags::erase(const ChipHeap& heap, const void* p) {
  if (uint32_t c = block_of(heap, p)) erase(c);
}

HeapTag HeapTags::get(const ChipHeap& heap, const void* p) const {
  uint32_t c = block_of(heap, p);
  return c ? get(c) : HeapTag::other;
}

}  // namespace espfleet
