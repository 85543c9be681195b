// sim/serial_observer.h — reads a device's serial console lines (as a test rig on a real device
// would) and keeps the device's figures: connects, failures, TLS errors, handshake times,
// publishes. The firmware's log format is its interface; nothing else crosses from core/.
#pragma once
#include <string_view>

namespace espfleet {
class Device;
void observe_serial_line(Device& d, std::string_view line);
}  // namespace espfleet
