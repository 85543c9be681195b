// shims/platform.cpp — holds the running device's EspPlatform, if any (set by the host engine).
#include "platform.h"

namespace {
EspPlatform* g_platform = nullptr;  // the running device's; set by sim/ for each of its slices
}

EspPlatform* esp_platform() { return g_platform; }
void esp_set_platform(EspPlatform* p) { g_platform = p; }
