// sim/broker/broker_error.h — the error every broker operation throws: its message names the
// broker step and what failed (a port, a path, the child's exit).
#pragma once
#include <stdexcept>

namespace espfleet {

class BrokerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace espfleet
