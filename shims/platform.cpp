// shims/platform.cpp — holds the installed EspPlatform (the host engine), if any.
#include "platform.h"

namespace {
EspPlatform* g_platform = nullptr;  // set once by sim/ at start-up; not per-device state
}

EspPlatform* esp_platform() { return g_platform; }
void esp_set_platform(EspPlatform* p) { g_platform = p; }
