// sim/bearssl_cost.h — compute fast, charge faithfully: before each BearSSL engine call the
// engine's implementations (EC, RSA, ECDSA, handshake hash classes, PRF, GCM record classes, the
// X.509 class and the verifiers inside it) are swapped for wrappers that run BearSSL's fastest
// host code (identical results) and charge the device the chip's cost of the operation from the
// measured table (sim/cost_model.h, sim/chip_costs.json; docs/calibration.md §3).
#pragma once

namespace espfleet {
// Called at the thunk boundary with the firmware's br_ssl_client_context (its first member is
// the engine). Idempotent and cheap once a context's hooks are in.
void install_cost_hooks(void* client_context);
}  // namespace espfleet
