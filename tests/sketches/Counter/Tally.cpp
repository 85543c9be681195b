// tests/sketches/Counter/Tally.cpp — the constructor allocates, on the device heap of whichever
// device is booting.
#include "Tally.h"

Tally::Tally(int start) : value_(new int(start)) {}
