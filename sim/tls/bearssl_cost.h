// sim/tls/bearssl_cost.h — compute fast, charge faithfully: before each BearSSL engine call the
// engine's implementations (EC, RSA, ECDSA, handshake hash classes, PRF, GCM record classes, the
// X.509 class and the verifiers inside it) are swapped for wrappers that run BearSSL's fastest
// host code (identical results) and charge the device the chip's cost of the operation from the
// measured table (sim/tls/chip_cost_table.h, sim/tls/chip_costs.json; docs/calibration.md §3).
#pragma once

namespace espfleet {
// Called at the thunk boundary with the firmware's br_ssl_client_context (its first member is
// the engine). Idempotent and cheap once a context's hooks are in. x509_live: the engine's X.509
// context is still allocated (the firmware frees it when the handshake ends, leaving the engine's
// pointer dangling, which is fine for BearSSL but not for a hook that would follow it).
void install_cost_hooks(void* client_context, bool x509_live = true);
}  // namespace espfleet
