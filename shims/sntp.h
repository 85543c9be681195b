// shims/sntp.h — the ESP8266 SDK's SNTP clock as firmware reads it: sntp_get_current_timestamp()
// is the wall time in seconds since 1970 (UTC) once the network's time is known, else 0. On the
// host the device's platform answers it (its clock set by SNTP, and moved by the scenario's
// clock_jump faults, docs/faults.md).
#pragma once
#include <stdint.h>

extern "C" uint32_t sntp_get_current_timestamp();  // C, as the SDK declares it
