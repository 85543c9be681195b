// tests/fuzz/fuzz_fingerprint.cpp — fingerprints as users write them (parse_fingerprint,
// parse_fingerprint_slot: FingerprintError is the one way to refuse) and the certificate DER
// they are computed from (fingerprint_v2_of_cert_der: no value and a reason, never a crash).
// What parses prints back in Tasmota's form and parses again to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fingerprint.h"

using namespace espfleet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int slot = 0; slot < 2; ++slot) {
    try {
      const Fingerprint fp = slot ? parse_fingerprint_slot(text) : parse_fingerprint(text);
      if (parse_fingerprint(format_fingerprint(fp)) != fp) std::abort();
    } catch (const FingerprintError&) {}
  }
  std::string error;
  const std::vector<uint8_t> der(data, data + size);
  if (!fingerprint_v2_of_cert_der(der, &error).has_value() && error.empty()) std::abort();  // a reason, always
  return 0;
}
