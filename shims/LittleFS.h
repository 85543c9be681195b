// shims/LittleFS.h — the core's LittleFS (and the older SPIFFS) object: the device's files (FS.h).
#pragma once
#include "FS.h"

extern fs::FS LittleFS;
extern fs::FS SPIFFS;
