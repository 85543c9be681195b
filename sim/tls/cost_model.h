// sim/tls/cost_model.h — what work costs the device, in chip instructions and cycles.
//
// Per-operation instruction counts are the chip's own: tools/calibrate/calibrate builds BearSSL
// (Debian's source) for the lx106 and counts each primitive under QEMU (docs/calibration.md). Its
// table, sim/tls/chip_costs.json, is compiled in through the generated chip_costs.h (build step in
// tools/calibrate/chip_costs.cmake): nothing here is measured on, or depends on, the host.
//
// Instructions become cycles through one cycles-per-instruction factor per clock — the only
// fitted numbers (flash-cache misses and load stalls; 160 MHz is not twice as fast because a miss
// costs more cycles at the higher clock). The fit against the connection times of Tasmota's "SSL/TLS" documentation page is docs/calibration.md §4.
#pragma once
#include <cstdint>

#include "generated/chip_costs.h"  // build/generated/, from sim/tls/chip_costs.json

namespace espfleet::cost {

constexpr uint64_t whole(double instructions) { return uint64_t(instructions + 0.5); }

// --- Public-key operations, per call (BearSSL i15/m15 on P-256 and RSA-2048) -----------------
inline constexpr uint64_t kEcP256Mul = whole(chip::kEcP256Mul.instructions);        // ECDHE shared secret
inline constexpr uint64_t kEcP256MulGen = whole(chip::kEcP256Mulgen.instructions);  // ECDHE own point
inline constexpr uint64_t kEcMulAdd = whole(chip::kEcP256Muladd.instructions);      // x*A + y*G
inline constexpr uint64_t kRsa2048Public = whole(chip::kRsa2048Public.instructions);
inline constexpr uint64_t kRsaPkcs1Verify = whole(chip::kRsa2048Pkcs1Vrfy.instructions);  // 2048-bit
inline constexpr uint64_t kEcdsaVerify = whole(chip::kEcdsaP256Vrfy.instructions);
inline constexpr uint64_t kEcdsaSign = whole(chip::kEcdsaP256Sign.instructions);

// --- Hashing, record crypto, PRF, X.509: per block / byte / call (fractional instructions) ----
inline constexpr double kSha256Block = chip::kSha256Block.instructions;  // per 64-byte block
inline constexpr double kSha256Out = chip::kSha256Out.instructions;      // final, one padding block
inline constexpr double kSha1Block = chip::kSha1Block.instructions;
inline constexpr double kSha1Out = chip::kSha1Out.instructions;
inline constexpr double kAesInit = chip::kAes128SmallInit.instructions;       // key schedule
inline constexpr double kAesBlock = chip::kAes128SmallCtrBlock.instructions;  // per 16 bytes
inline constexpr double kGhashBlock = chip::kGhashCtmul32Block.instructions;  // per 16 bytes
// One AES-128-GCM record (br_sslrec_*_gcm): fixed part + per 16-byte block of plaintext.
inline constexpr double kGcmInFixed = chip::kGcmRecordInFixed.instructions;
inline constexpr double kGcmInBlock = chip::kGcmRecordInBlock.instructions;
inline constexpr double kGcmOutFixed = chip::kGcmRecordOutFixed.instructions;
inline constexpr double kGcmOutBlock = chip::kGcmRecordOutBlock.instructions;
// Record-layer key setup: AES key schedule + the GHASH key (one AES block).
inline constexpr double kGcmInit = kAesInit + kAesBlock;
// TLS 1.2 SHA-256 PRF, per call, by what the handshake asks of it.
inline constexpr double kPrfMaster = chip::kPrfSha256Master.instructions;
inline constexpr double kPrfKeys = chip::kPrfSha256Keys.instructions;
inline constexpr double kPrfFinished = chip::kPrfSha256Finished.instructions;
// X.509, per certificate byte: the minimal engine (chain validation, signature checks excluded:
// they are charged as RSA/ECDSA operations) and the bare decoder (pinning engines).
inline constexpr double kX509MinimalByte = chip::kX509MinimalByte.instructions;
inline constexpr double kX509DecoderByte = chip::kX509DecoderByte.instructions;

// --- The TLS engine's own work (T0 code, framing, DRBG), from an on-chip handshake ------------
// Per thunked engine call (dispatch; covers record framing in the application phase), and per
// handshake byte through the handshake hash (the T0 handshake code).
inline constexpr uint64_t kEngineCall = whole(chip::kEngineCall.instructions);
inline constexpr double kEngineHandshakeByte = chip::kEngineHsByte.instructions;

// --- The platform: charged as cycles by the call sites (sim/device/device_platform.cpp,
// sim/net/tcp_socket.cpp) ----------------------------------------------------------------------
// TCP per byte: lwIP's checksum + copy into and out of a pbuf (measured on the chip: picolibc
// memcpy and the Internet checksum, tools/calibrate). Per call: an estimate (lwIP is not in
// the measured set).
inline constexpr uint64_t kTcpByte =
    uint64_t(chip::kInetChksumByte.instructions + 2 * chip::kMemcpyByte.instructions + 0.999);
inline constexpr uint64_t kTcpCall = 2000;
// Estimates, not measured (umm_malloc and the SDK are not in Debian): best-fit over a short free
// list; a yield runs the SDK/WiFi tasks, ~20 µs.
inline constexpr uint64_t kMalloc = 400;
inline constexpr uint64_t kFree = 300;
inline constexpr uint64_t kYieldUs = 20;

// --- Instructions → cycles ----------------------------------------------------------------------
// Cycles per instruction per clock: the only fitted factors (tools/bench/fidelity --fit, against
// the published connection times with AWS IoT at 40 ms RTT and a LAN broker at 20 ms — the
// ESP8266's Wi-Fi modem sleep included; docs/calibration.md §4). More cycles per instruction at 160 MHz: flash-cache misses cost twice
// as many CPU cycles when the core runs twice as fast.
inline constexpr double kCpi80 = 1.665;
inline constexpr double kCpi160 = 1.75;
inline constexpr double cpi(uint32_t mhz) { return mhz >= 160 ? kCpi160 : kCpi80; }
inline constexpr uint64_t cycles(uint64_t instructions, uint32_t mhz) {
  return uint64_t(double(instructions) * cpi(mhz));
}
// Fractional per-unit costs (blocks x per-block instructions): round the total once.
inline constexpr uint64_t cycles_for(double instructions, uint32_t mhz) {
  return uint64_t(instructions * cpi(mhz) + 0.5);
}

}  // namespace espfleet::cost
