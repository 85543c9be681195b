// sim/cli/session.h — what the commands that run devices (run, replay, profile) share: the
// built-in firmware as a program, and the devices' log.
#pragma once
#include <filesystem>
#include <memory>

#include "chip.h"
#include "firmware_entry.h"

namespace spdlog { class logger; }

namespace espfleet {

// The built-in Tasmota-like firmware (core/).
inline const Program kTasmotaProgram{"tasmota", &tasmota_main};

// The devices' log: every console line with its device id and virtual time, into `file` (an
// empty path: nowhere). Lines are written as they come; warnings flush.
std::shared_ptr<spdlog::logger> device_logger(const std::filesystem::path& file, const char* name);

}  // namespace espfleet
