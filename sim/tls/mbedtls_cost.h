// sim/tls/mbedtls_cost.h — the NodeMCU devices' mbed TLS charged from the lx106's measured table
// (sim/tls/chip_costs_mbedtls.json, tools/calibrate/calibrate --lib mbedtls): the functions that do
// a handshake's and a record's compute are wrapped at link time (-Wl,--wrap, CMakeLists.txt); each
// wrapper runs mbed TLS's own code and charges the running device's meter the chip's instructions
// for it × the chip's CPI at the clock the work runs at (the glue's 160 MHz boost in a handshake).
// docs/nodemcu-tls.md, docs/calibration.md section 6.
#pragma once
#include <cstddef>
#include <cstdint>

#include "generated/chip_costs.h"

namespace espfleet {

// The instructions each wrapped operation is charged, from the compiled table (chip_mbedtls::…).
// Sizes are what the wrapper sees: curve bits, modulus bytes, bytes hashed or sealed.
namespace mbedtls_cost {
double ecp_mul(unsigned curve_bits, bool generator);
double ecdsa_verify(unsigned curve_bits);
double rsa_verify(size_t modulus_bytes, bool pss);
double x509_der(size_t bytes, bool ec_key);
double x509_pem(size_t bytes);
// A record sealed or opened: plaintext bytes, the AEAD (0: AES-128-GCM, 1: AES-256-GCM, 2:
// ChaCha20-Poly1305).
double record(int aead, bool seal, size_t plaintext);
double setkey(int aead);
double drbg(size_t bytes);
double drbg_seed();
}  // namespace mbedtls_cost

}  // namespace espfleet
