// sim/tls/tls_errors.h — names for the device's TLS error codes (Tasmota's table: firmware codes,
// BearSSL engine errors 1–31, X.509 errors 32–62, alerts received 256+ / sent 512+) and mbed TLS's
// (negative, a NodeMCU device's: nodemcu/tls/tls_session.h).
#pragma once
#include <string>

namespace espfleet {
std::string tls_error_name(int code);
}  // namespace espfleet
