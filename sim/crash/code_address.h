// sim/crash/code_address.h — deterministic stand-ins for the chip's code addresses (epc1, the last
// failed allocation's caller) and a readable host location for developers.
//
// The chip's post-mortem names code by its flash address (0x402xxxxx, irom0). The simulator has
// no such address, so it derives one that is the same across runs and hosts of one binary:
//   host code:  0x40200000 + ((pc − base of the object holding pc) & 0xFFFFF)   (ASLR-free)
//   call site:  0x40200000 + (FNV-1a("<file basename>:<line>") & 0xFFFFC)
// Neither decodes with the ESP Exception Decoder; the espfleet lines next to the record say
// where the code is (host_code_location, call_site_text).
#pragma once
#include <cstdint>
#include <string>

namespace espfleet {

inline constexpr uint32_t kPseudoCodeBase = 0x40200000;

// The pseudo code address of a host instruction address (dladdr's object base). An address in
// no loaded object (a jump to NULL): itself when below 64 KiB, else its page offset above the base.
uint32_t pseudo_code_address(const void* pc);
// Where pc is on the host: "[symbol+0x1a in ]object+0x1234 (addr2line -Cfe object 0x1234)" (the
// symbol when the object exports one: the simulator's own code needs the addr2line command).
std::string host_code_location(const void* pc);

// The pseudo code address of a source call site (file may be a full path; only its basename counts).
uint32_t call_site_address(const char* file, int line);
// "file:line" with the path as the compiler gave it.
std::string call_site_text(const char* file, int line);

}  // namespace espfleet
