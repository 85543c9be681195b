// sim/engine/run_mode.h — how a fleet's virtual time relates to the wall: realtime (never ahead
// of the wall clock, against a live broker) or fast (time jumps to the next wake-up).
#pragma once
#include <cstdint>

#include "enum_names.h"

namespace espfleet {

enum class RunMode : uint8_t { realtime, fast };

inline constexpr EnumName<RunMode> kRunModeNames[] = {{RunMode::realtime, "realtime"}, {RunMode::fast, "fast"}};
constexpr std::string_view run_mode_name(RunMode m) { return enum_name(kRunModeNames, m); }

}  // namespace espfleet
