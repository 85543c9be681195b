// sim/bearssl_cost.h — compute fast, charge faithfully: before each BearSSL engine call the
// engine's public-key implementations are swapped for wrappers that run BearSSL's fastest host
// code (identical results) and charge the device the chip's cost of the operation.
#pragma once

namespace espfleet {
// Called at the thunk boundary with the firmware's br_ssl_client_context (its first member is
// the engine). Idempotent and cheap.
void install_cost_hooks(void* client_context);
}  // namespace espfleet
