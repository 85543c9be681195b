// shims/WiFiClientSecure.h — the name sketches include for the secure client: as in the ESP8266
// core, BearSSL's (WiFiClientSecureBearSSL.h), with its namespace opened.
#pragma once
#include "WiFiClientSecureBearSSL.h"

using namespace BearSSL;
