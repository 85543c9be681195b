// sim/crash/panic_record_esp32.cpp — ESP-IDF's RISC-V panic text (panic_record_esp32.h).
#include "panic_record_esp32.h"

#include <algorithm>
#include <cstdio>

namespace espfleet {

namespace {
std::string hex8(uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}
}  // namespace

std::string esp32_stack_guard_details(const char* task, uint32_t pc, uint32_t sp, uint32_t bottom, uint32_t top) {
  return "\nDetected in task \"" + std::string(task) + "\" at 0x" + hex8(pc) + "\nStack pointer: 0x" + hex8(sp) +
         "\nStack bounds: 0x" + hex8(bottom) + " - 0x" + hex8(top) + "\n\n";
}

std::string postmortem_esp32(const Esp32Panic& p) {
  // esp_panic_handler: the reason line (none for an abort), the description, the details.
  std::string out = p.preamble;
  if (!p.reason.empty()) out += "Guru Meditation Error: Core  0 panic'ed (" + p.reason + "). ";
  out += p.description + "\n";
  out += p.details + "\n";
  // panic_print_registers: the general registers by ABI name, four a line, then the CSRs.
  static const char* const kNames[] = {
      "MEPC    ", "RA      ", "SP      ", "GP      ", "TP      ", "T0      ", "T1      ", "T2      ",
      "S0/FP   ", "S1      ", "A0      ", "A1      ", "A2      ", "A3      ", "A4      ", "A5      ",
      "A6      ", "A7      ", "S2      ", "S3      ", "S4      ", "S5      ", "S6      ", "S7      ",
      "S8      ", "S9      ", "S10     ", "S11     ", "T3      ", "T4      ", "T5      ", "T6      ",
      "MSTATUS ", "MTVEC   ", "MCAUSE  ", "MTVAL   ", "MHARTID "};
  constexpr size_t kRegs = sizeof kNames / sizeof kNames[0];
  uint32_t v[kRegs] = {};
  v[0] = p.mepc, v[1] = p.ra, v[2] = p.sp, v[3] = p.gp, v[4] = p.tp;
  v[32] = 0x00001881;  // MSTATUS: machine mode, interrupts were on (MPIE), MPP = 3
  v[33] = 0x40380001;  // MTVEC: the vector table in IRAM, vectored mode
  v[34] = p.mcause, v[35] = p.mtval;
  out += "Core  0 register dump:";
  for (size_t i = 0; i < kRegs; ++i) {
    if (i % 4 == 0) out += "\n";
    out += std::string(kNames[i]) + ": 0x" + hex8(v[i]) + "  ";
  }
  out += "\n";
  // panic_print_basic_backtrace: 1 KiB from the stack pointer, 8 words a line.
  out += "\nStack memory:\n";
  const size_t words = p.stack.size() / 8 * 8;
  for (size_t i = 0; i < words; i += 8) {
    out += hex8(p.stack_from + uint32_t(i * 4)) + ":";
    for (size_t k = 0; k < 8; ++k) out += " 0x" + hex8(p.stack[i + k]);
    out += "\n";
  }
  if (words < 256) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "(%zu more lines up to %08x: contents not modelled)\n", (256 - words) / 8,
                  (p.stack.empty() ? p.sp & ~3u : p.stack_from) + 1024);
    out += buf;
  }
  char sha[16];
  std::snprintf(sha, sizeof sha, "%08x%x", p.elf_sha, (p.elf_sha >> 28) ^ (p.elf_sha & 0xF));
  out += "\n\nELF file SHA256: " + std::string(sha, 9) + "\n\nRebooting...\n";
  return out + rom_boot_banner_esp32c3(p.mepc);
}

std::string esp32_task_wdt_lines(uint32_t ms, const char* starved, const char* running) {
  char buf[512];
  const unsigned t = ms;
  std::snprintf(buf, sizeof buf,
                "E (%u) task_wdt: Task watchdog got triggered. The following tasks/users did not reset the watchdog "
                "in time:\nE (%u) task_wdt:  - %s (CPU 0)\nE (%u) task_wdt: Tasks currently running:\nE (%u) "
                "task_wdt: CPU 0: %s\nE (%u) task_wdt: Aborting.\n",
                t, t, starved, t, t, running, t);
  return buf;
}

std::string rom_boot_banner_esp32c3(uint32_t saved_pc) {
  return "ESP-ROM:esp32c3-api1-20210207\nBuild:Feb  7 2021\nrst:0xc (RTC_SW_CPU_RST),boot:0xc (SPI_FAST_FLASH_BOOT)\n"
         "Saved PC:0x" +
         hex8(saved_pc) + "\n";
}

}  // namespace espfleet
