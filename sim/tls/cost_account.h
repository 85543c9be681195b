// sim/cost_account.h — where device cycles went, by kind of work: the BearSSL charges (sim/
// bearssl_cost.cpp) add to these process-wide totals, which `espfleet profile` turns into its
// handshake breakdown (one device) and a fleet run could report as a whole.
#pragma once
#include <array>
#include <cstdint>

namespace espfleet {

enum class CostCat { ecdhe, rsa, ecdsa_verify, ecdsa_sign, hashing, prf, record_crypto, x509, engine, count };

inline constexpr const char* cost_cat_name(CostCat c) {
  constexpr const char* names[] = {"ecdhe",  "rsa",           "ecdsa_verify", "ecdsa_sign", "hashing",
                                   "prf",    "record_crypto", "x509",         "engine"};
  return names[int(c)];
}

using CostAccount = std::array<uint64_t, size_t(CostCat::count)>;  // cycles per category

CostAccount& cost_account();  // totals since the last reset, all devices of the process
inline void cost_account_reset() { cost_account().fill(0); }

}  // namespace espfleet
