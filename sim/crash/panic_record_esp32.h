// sim/crash/panic_record_esp32.h — ESP-IDF's panic handler text on the ESP32-C3, for the resets the
// engine models there: what was logged before it (the task watchdog's lines), "Guru Meditation
// Error: Core  0 panic'ed (REASON). DESCRIPTION" (not for an abort, which the task watchdog's
// panic is), the reason's details (the hardware stack guard's task, stack pointer and bounds), the RISC-V
// register dump, "Stack memory:" rows from the stack pointer up, "ELF file SHA256:", "Rebooting...",
// then the ROM's banner of the restart. The format is components/esp_system/panic.c and
// port/arch/riscv/panic_arch.c of ESP-IDF v5; addresses are the chip's (the device heap below
// 0x3FCDE710, the loop task's stack a block of it, code in flash at 0x42000000).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace espfleet {

struct Esp32Panic {
  std::string preamble;     // lines logged before the panic handler runs (the task watchdog's), may be empty
  std::string reason;       // "Stack protection fault", "Load access fault", "Interrupt wdt timeout on CPU0";
                            // empty for an abort (no "Guru Meditation" line)
  std::string description;  // after the reason line ("Exception was unhandled."), may be empty
  std::string details;      // the reason's own lines (print_assist_debug_details), may be empty
  uint32_t mepc = 0, ra = 0, sp = 0, gp = 0, tp = 0;
  uint32_t mcause = 0, mtval = 0;
  uint32_t stack_from = 0;      // address of the first word in `stack` (the stack pointer)
  std::vector<uint32_t> stack;  // memory from sp up, as the model holds it (printed 8 words a row)
  uint32_t elf_sha = 0;         // the firmware's ELF file SHA256, first 9 hex digits from it
};

// The stack guard's details: "Detected in task \"T\" at 0x…", "Stack pointer:", "Stack bounds:".
std::string esp32_stack_guard_details(const char* task, uint32_t pc, uint32_t sp, uint32_t bottom, uint32_t top);
// The whole post-mortem, ending with the ROM banner of the software CPU reset that follows.
std::string postmortem_esp32(const Esp32Panic& p);
// The task watchdog's log lines before its abort (components/esp_system/task_wdt/task_wdt.c):
// which task did not reset it in time, which one was running, "Aborting." ms: the log's
// timestamp (milliseconds since boot).
std::string esp32_task_wdt_lines(uint32_t ms, const char* starved, const char* running);
// The ESP32-C3 ROM's boot lines after a panic's restart (rst:0xc RTC_SW_CPU_RST).
std::string rom_boot_banner_esp32c3(uint32_t saved_pc);

inline constexpr uint32_t kEsp32c3McauseAssistDebug = 27;  // ETS_ASSIST_DEBUG_INUM: the stack guard
inline constexpr uint32_t kEsp32c3McauseIntWdt = 24;       // PANIC_RSN_INTWDT_CPU0 = ETS_INT_WDT_INUM
inline constexpr uint32_t kEsp32c3Gp = 0x3FC8E000;         // the global pointer of the image (DRAM, .sdata)

}  // namespace espfleet
