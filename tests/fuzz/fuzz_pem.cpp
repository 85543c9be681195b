// tests/fuzz/fuzz_pem.cpp — PEM text as users give it (--ca, --device-ca-cert, key files):
// pem_certificates finds the certificates in any text or refuses it with an exception carrying
// a reason; pem_to_private_key gives a key or nothing (for text that names a private key).
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "pem.h"

using namespace espfleet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& der : pem_certificates(text))
      if (der.empty()) std::abort();
  } catch (const std::exception& e) {
    if (!*e.what()) std::abort();
  }
  // OpenSSL 3's key decoders take milliseconds per input: only what names a key goes there.
  if (text.find("PRIVATE KEY-----") != std::string_view::npos) (void)pem_to_private_key(text);
  return 0;
}
