// sim/tls/chip_cost_table.h — one chip's cost table as the cost hooks charge it: every measured
// BearSSL operation in the chip's instructions (its calibrated table, compiled in from
// sim/tls/chip_costs.json for the ESP8266's lx106 and sim/tls/chip_costs_esp32c3.json for the
// ESP32-C3's RV32IMC; docs/calibration.md) and its cycles per instruction at each clock. A device
// charges its own chip's table (CostMeter::costs).
#pragma once
#include <cstdint>

#include "chip_kind.h"
#include "generated/chip_costs.h"

namespace espfleet {

struct ChipCostTable {
  Chip chip;
  const char* cpu;  // "lx106", "rv32imc"
  // Per call.
  uint64_t ec_p256_mul, ec_p256_mulgen, ec_muladd, rsa2048_public, rsa_pkcs1_verify, ecdsa_verify, ecdsa_sign;
  uint64_t engine_call;  // per engine call (dispatch, record framing)
  // Per block, byte or call (fractional instructions).
  double sha256_block, sha256_out, sha1_block, sha1_out;
  double aes_init, aes_block, ghash_block;
  double gcm_in_fixed, gcm_in_block, gcm_out_fixed, gcm_out_block;
  double prf_master, prf_keys, prf_finished;
  double x509_minimal_byte, x509_decoder_byte;
  double engine_hs_byte;  // per handshake byte hashed (the T0 handshake code)
  // Cycles per instruction at 80 and 160 MHz.
  double cpi80, cpi160;

  double gcm_init() const { return aes_init + aes_block; }  // record-layer key setup, one direction
  double cpi(uint32_t mhz) const { return mhz >= 160 ? cpi160 : cpi80; }
  uint64_t cycles(uint64_t instructions, uint32_t mhz) const { return uint64_t(double(instructions) * cpi(mhz)); }
  uint64_t cycles_for(double instructions, uint32_t mhz) const { return uint64_t(instructions * cpi(mhz) + 0.5); }
};

// The table of a generated namespace (both have the same constant names).
#define ESPFLEET_CHIP_COST_TABLE(NS, CHIP, CPU, CPI80, CPI160)                                                       \
  ChipCostTable {                                                                                                    \
    CHIP, CPU, uint64_t(NS::kEcP256Mul.instructions + 0.5), uint64_t(NS::kEcP256Mulgen.instructions + 0.5),          \
        uint64_t(NS::kEcP256Muladd.instructions + 0.5), uint64_t(NS::kRsa2048Public.instructions + 0.5),             \
        uint64_t(NS::kRsa2048Pkcs1Vrfy.instructions + 0.5), uint64_t(NS::kEcdsaP256Vrfy.instructions + 0.5),         \
        uint64_t(NS::kEcdsaP256Sign.instructions + 0.5), uint64_t(NS::kEngineCall.instructions + 0.5),               \
        NS::kSha256Block.instructions, NS::kSha256Out.instructions, NS::kSha1Block.instructions,                     \
        NS::kSha1Out.instructions, NS::kAes128SmallInit.instructions, NS::kAes128SmallCtrBlock.instructions,         \
        NS::kGhashCtmul32Block.instructions, NS::kGcmRecordInFixed.instructions, NS::kGcmRecordInBlock.instructions, \
        NS::kGcmRecordOutFixed.instructions, NS::kGcmRecordOutBlock.instructions, NS::kPrfSha256Master.instructions, \
        NS::kPrfSha256Keys.instructions, NS::kPrfSha256Finished.instructions, NS::kX509MinimalByte.instructions,     \
        NS::kX509DecoderByte.instructions, NS::kEngineHsByte.instructions, CPI80, CPI160                             \
  }

// The ESP8266's cycles per instruction are fitted to the published connection times
// (docs/calibration.md §4, tools/bench/fidelity --fit): flash-cache misses and load stalls, which
// cost more cycles at the higher clock.
inline constexpr ChipCostTable kLx106Costs = ESPFLEET_CHIP_COST_TABLE(chip, Chip::esp8266, "lx106", 1.665, 1.75);
// The ESP32-C3's: no published handshake time to fit them to, so an assumption, 1.2 at either
// clock (chip_costs_esp32c3.json assumptions.cpi; docs/calibration.md §5): a single-issue in-order
// RV32IMC core whose BearSSL loops stay in its 16 KB flash cache.
inline constexpr ChipCostTable kRv32imcCosts =
    ESPFLEET_CHIP_COST_TABLE(chip_esp32c3, Chip::esp32c3, "rv32imc", 1.2, 1.2);
#undef ESPFLEET_CHIP_COST_TABLE

inline constexpr const ChipCostTable& chip_cost_table(Chip c) {
  return c == Chip::esp32c3 ? kRv32imcCosts : kLx106Costs;
}

}  // namespace espfleet
