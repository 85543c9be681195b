// sim/heap/target_sizes.cpp — lookups over the generated table (tools/target-sizes).
#include "target_sizes.h"

#include <bearssl.h>

#include <array>
#include <cstring>
#include <string_view>

#include "generated/target_sizes.h"  // build/generated/, by tools/target-sizes

namespace espfleet {

namespace {

constexpr size_t kRows = std::size(generated::kTargetSizes);

constexpr auto make_table() {
  std::array<TargetSize, kRows> t{};
  for (size_t i = 0; i < kRows; ++i) {
    const auto& r = generated::kTargetSizes[i];
    t[i] = {r.type, r.host, r.target};
  }
  return t;
}
// Constant-initialized: usable from operator new before any dynamic initialization.
constexpr std::array<TargetSize, kRows> kTable = make_table();

constexpr uint32_t host_size_listed(std::string_view type) {
  for (const TargetSize& r : kTable)
    if (type == r.type) return r.host;
  return 0;
}

// The table was measured with the compiler that builds this file (the build regenerates it when
// a listed type's headers change); the types this file can name prove it.
static_assert(host_size_listed("br_ssl_client_context") == sizeof(br_ssl_client_context));
static_assert(host_size_listed("br_x509_minimal_context") == sizeof(br_x509_minimal_context));
static_assert(host_size_listed("br_x509_decoder_context") == sizeof(br_x509_decoder_context));

}  // namespace

std::span<const TargetSize> target_size_table() { return kTable; }

size_t target_size_of(size_t host_bytes) {
  for (const TargetSize& r : kTable)
    if (r.host == host_bytes) return r.target;
  return host_bytes;
}

const TargetSize* find_target_size(const char* type) {
  for (const TargetSize& r : kTable)
    if (std::strcmp(r.type, type) == 0) return &r;
  return nullptr;
}

}  // namespace espfleet
