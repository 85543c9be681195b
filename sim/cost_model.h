// sim/cost_model.h — what work costs the device, in chip instructions and cycles.
//
// Per-operation instruction counts are the chip's own (BearSSL i15/m15 code built for lx106 and
// counted under QEMU, DESIGN §5). A cycles-per-instruction factor per clock turns them into
// cycles: 160 MHz is not twice as fast because flash-cache misses cost more cycles at the higher
// clock. This is the first table; tools/calibrate (fidelity issue) refines it.
#pragma once
#include <cstdint>

namespace espfleet::cost {

// Instructions per primitive (lx106, measured; DESIGN §5).
inline constexpr uint64_t kRsa2048Public = 11150000;
inline constexpr uint64_t kRsaPkcs1Verify = 11150000;
inline constexpr uint64_t kEcP256Mul = 14870000;
inline constexpr uint64_t kEcP256MulGen = 9960000;
inline constexpr uint64_t kEcdsaVerify = 27350000;
inline constexpr uint64_t kEcdsaSign = 13280000;
inline constexpr uint64_t kEcMulAdd = 27350000 - 2000000;  // the bulk of an ECDSA verify

// Everything else in a handshake (~2 M in all: SHA-256, PRF, X.509 parsing, T0 interpreter)
// charged per byte through the engine and per engine call.
inline constexpr uint64_t kEngineCall = 3000;          // T0 dispatch per thunked call
inline constexpr uint64_t kHandshakeByte = 220;        // hashing + X.509 decoding per inbound byte
inline constexpr uint64_t kRecordByte = 90;            // AES-128-GCM (small ctr + ctmul32) per byte

// Per-call costs of the platform.
inline constexpr uint64_t kMalloc = 400;
inline constexpr uint64_t kFree = 300;
inline constexpr uint64_t kYieldUs = 20;           // a yield runs the SDK/WiFi tasks: ~20 µs
inline constexpr uint64_t kTcpByte = 12;               // lwIP copy + checksum per byte
inline constexpr uint64_t kTcpCall = 2000;

// Cycles per instruction (first fit: 160 MHz handshakes ~1.5x faster than 80 MHz).
inline constexpr double cpi(uint32_t mhz) { return mhz >= 160 ? 1.8 : 1.2; }
inline constexpr uint64_t cycles(uint64_t instructions, uint32_t mhz) {
  return uint64_t(double(instructions) * cpi(mhz));
}

}  // namespace espfleet::cost
