// sim/device/device_resets.cpp — a device's post-mortems and resets (device_resets.h).
#include "device_resets.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "alloc_scope.h"
#include "code_address.h"
#include "device.h"
#include "thunk_stack.h"

namespace espfleet {

namespace {
constexpr size_t kThunkGuardReach = 64 * 1024;  // below the thunk stack: its overflow

std::string hex(uintptr_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%lx", (unsigned long)v);
  return buf;
}
}  // namespace

uint32_t cont_depth_estimate(const Device& d, const void* host_sp) {
  // Inside a thunked call the cont stack stops where the call was made.
  auto sp = d.thunk().call_sp() ? d.thunk().call_sp() : reinterpret_cast<uintptr_t>(host_sp);
  auto top = reinterpret_cast<uintptr_t>(d.task().fiber().stack_top());
  size_t host = sp < top && top - sp < d.task().fiber().stack_size() ? top - sp : 0;
  return std::min<uint32_t>(estimate_target_bytes(host, 0, d.config().chip), d.program_stack_bytes() - 16);
}

namespace {
// Code in flash (0x42000000, irom) at the same pseudo offsets the ESP8266's addresses use.
uint32_t flash_code(uint32_t pseudo) { return 0x42000000u | (pseudo & 0xFFFFFu); }

// The loop task's stack bounds on the chip (its heap block; below the heap's end if none).
void loop_stack_bounds(const Device& d, uint32_t* bottom, uint32_t* top) {
  const uint32_t bytes = d.program_stack_bytes();
  const void* block = d.platform().loop_stack();
  *bottom = block ? d.chip_address(block) : d.chip().dram_end - bytes;
  *top = *bottom + bytes;
}

// What every ESP32 panic shows of the device at stack pointer sp: the registers it has, the
// stack memory from sp up as the heap image holds it, the image's ELF SHA.
Esp32Panic esp32_panic_at(const Device& d, uint32_t sp, uint32_t top) {
  Esp32Panic p;
  p.sp = sp;
  p.gp = kEsp32c3Gp;
  p.tp = top + 4;  // the thread pointer: the task's TCB, the block allocated after its stack
  const uint32_t heap_start = d.chip().dram_end - uint32_t(d.heap().size());
  if (p.sp >= heap_start) {
    const uint8_t* image = d.heap().model().base();
    p.stack_from = p.sp & ~3u;
    for (uint32_t a = p.stack_from; a + 4 <= d.chip().dram_end && p.stack.size() < 256; a += 4) {
      uint32_t w;
      std::memcpy(&w, image + (a - heap_start), 4);
      p.stack.push_back(w);
    }
  }
  p.elf_sha = call_site_address(d.program().name, 0);
  return p;
}
}  // namespace

void reset_stack_overflow(Device& d, const ThunkBlock::Call& call, uint32_t caller) {
  HostSection h;
  const uint32_t bytes = d.program_stack_bytes(), depth = caller + call.target;
  uint32_t bottom, top;
  loop_stack_bounds(d, &bottom, &top);
  Esp32Panic p = esp32_panic_at(d, top - std::min(depth, top), top);
  p.reason = "Stack protection fault";
  p.mepc = flash_code(call_site_address("bearssl_engine", 0));
  p.ra = flash_code(call_site_address("tls_client", 0));
  p.mcause = kEsp32c3McauseAssistDebug;
  p.details = esp32_stack_guard_details("loopTask", p.mepc, p.sp, bottom, top);
  char summary[160];
  snprintf(summary, sizeof summary,
           "Stack protection fault (loopTask stack %u B, BearSSL call needed ~%u B below ~%u B in use)", bytes,
           call.target, caller);
  d.reset(ResetReason::panic, summary, postmortem_esp32(p));
}

uint32_t thunk_depth_estimate(const void* host_sp) {
  if (!ThunkStack::in_use()) return 0;
  ThunkStack& ts = ThunkStack::for_this_thread();
  auto here = reinterpret_cast<uintptr_t>(host_sp);
  auto top = reinterpret_cast<uintptr_t>(ts.top()), bottom = reinterpret_cast<uintptr_t>(ts.bottom());
  uint32_t depth = here >= bottom && here < top ? estimate_target_bytes(top - here) : 0;
  return depth ? depth : 16;
}

std::vector<StackSection> device_stacks(const Device& d, uint32_t thunk_depth, uint32_t cont_depth, uint32_t offset) {
  std::vector<StackSection> out;
  const ThunkBlock& tb = d.thunk();
  if (thunk_depth && tb.held() && tb.size() >= 8) {
    // The chip's thunk stack: SP starts at the block's last word and grows down.
    StackSection s;
    s.ctx = "bearssl";
    const uint8_t* block = tb.block();
    uint32_t base = d.chip_address(block);
    s.end = base + (tb.size() / 4 - 1) * 4;
    s.sp = s.end - thunk_depth - offset;  // below base when the call overflowed the block
    s.offset = offset;
    uint32_t first = std::max(s.sp + offset, base);
    s.rows_from = first & ~15u;
    if (s.rows_from < base) s.rows_from += 16;
    for (uint32_t a = s.rows_from; a + 16 <= s.end + 4 && a + 16 <= base + tb.size(); a += 16)
      for (int i = 0; i < 4; ++i) {
        uint32_t w;
        std::memcpy(&w, block + (a - base) + 4 * i, 4);
        s.words.push_back(w);
      }
    out.push_back(std::move(s));
    offset = 0;  // the core: "no offset needed anymore, the exception info was stored in the bssl stack"
  }
  StackSection c;
  c.ctx = "cont";
  c.end = d.chip().cont_stack_end;
  c.sp = c.end - std::max<uint32_t>(cont_depth, 16) - offset;
  c.offset = offset;
  c.rows_from = c.sp + offset;  // the model does not hold the cont stack's contents: no rows
  out.push_back(std::move(c));
  return out;
}

// operator new failed (device_new.cpp has recorded its caller): the core's
// __unhandled_exception("OOM") post-mortem, with the stacks and the last failed allocation.
namespace {
// abort() on ESP-IDF (newlib/abort.c, then panic_abort: a store to NULL enters the panic handler):
// what was printed before it, "abort() was called at PC 0x… on core 0" as the panic's details (no
// reason line), the registers of that store (MCAUSE 7, MTVAL 0), ESP_RST_PANIC.
[[noreturn]] void reset_esp32_abort(Device& d, const void* sp, std::string preamble, std::string summary,
                                    const std::string& note) {
  uint32_t bottom, top;
  loop_stack_bounds(d, &bottom, &top);
  Esp32Panic p = esp32_panic_at(d, top - cont_depth_estimate(d, sp), top);
  const uint32_t called_at = flash_code(call_site_address("abort", 0));
  char details[64];
  std::snprintf(details, sizeof details, "abort() was called at PC 0x%x on core 0", called_at);
  p.preamble = std::move(preamble);
  p.details = details;
  p.mepc = 0x40380000u | (call_site_address("panic_abort", 0) & 0xFFFFu);  // IRAM
  p.ra = called_at;
  p.mcause = 7;  // panic_abort's store to NULL
  p.mtval = 0;
  d.reset(ResetReason::panic, std::string(details) + " (" + summary + ")", postmortem_esp32(p), note);
}
}  // namespace

void reset_out_of_memory(Device& d, size_t size, const void* caller, const void* sp) {
  HostSection host;
  d.heap().remember_failure(FailedAlloc{{}, caller, uint32_t(std::min<size_t>(size, UINT32_MAX))});
  const FailedAlloc& f = d.heap().last_failed();
  if (d.chip().kind == Chip::esp32c3)  // C++ exceptions on (Arduino-ESP32): std::bad_alloc, uncaught
    reset_esp32_abort(d, sp,
                      "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc\n",
                      "std::bad_alloc: new of " + std::to_string(size) + " B", last_failed_alloc_note(f));
  std::string record = postmortem_oom(device_stacks(d, thunk_depth_estimate(sp), cont_depth_estimate(d, sp), 0),
                                      last_failed_alloc_line(f), last_failed_alloc_address(f));
  d.reset(ResetReason::sw_exception,
          "Unhandled C++ exception: OOM (last failed alloc size " + std::to_string(size) + ")",
          record + rom_boot_banner(ResetReason::sw_exception), last_failed_alloc_note(f));
}

void reset_abort(Device& d, const char* what, const void* sp) {
  HostSection host;
  const FailedAlloc& f = d.heap().last_failed();
  if (d.chip().kind == Chip::esp32c3) reset_esp32_abort(d, sp, {}, what, last_failed_alloc_note(f));
  std::string record = postmortem_abort(device_stacks(d, thunk_depth_estimate(sp), cont_depth_estimate(d, sp), 0),
                                        last_failed_alloc_line(f));
  d.reset(ResetReason::sw_exception, std::string("Abort called (") + what + ")",
          record + rom_boot_banner(ResetReason::sw_exception), last_failed_alloc_note(f));
}

// The chip's check after a thunked call: the block's lowest word is no longer the paint.
void reset_stack_smash(Device& d, const ThunkBlock::Call& call) {
  HostSection h;
  const ThunkBlock& tb = d.thunk();
  std::string record = postmortem_bssl_smashing(
      device_stacks(d, std::max(call.target, tb.size()), cont_depth_estimate(d, __builtin_frame_address(0)), 0));
  char summary[128];
  snprintf(summary, sizeof summary, "BSSL stack smashing (thunk %u B, call needed ~%u B, est. from %zu host B)",
           tb.size(), call.target, call.host);
  d.reset(ResetReason::stack_smash, summary, record + rom_boot_banner(ResetReason::stack_smash));
}

namespace {
// ESP-IDF's watchdogs on the C3. The task WDT's interrupt finds the loop task starved: its lines,
// "Aborting.", then the panic handler as for an abort (no reason line), the registers of the task
// it interrupted — the loop task when it spins, IDLE when the loop task waits in one long delay —
// and ESP_RST_TASK_WDT. The interrupt WDT: "Interrupt wdt timeout on CPU0", ESP_RST_INT_WDT.
[[noreturn]] void reset_esp_idf_watchdog(Device& d, WatchdogKind kind, double ran, bool loop_blocked) {
  uint32_t bottom, top;
  loop_stack_bounds(d, &bottom, &top);
  const uint32_t heap_start = d.chip().dram_end - uint32_t(d.heap().size());
  char summary[160];
  if (kind == WatchdogKind::interrupt) {
    Esp32Panic p = esp32_panic_at(d, top - cont_depth_estimate(d, __builtin_frame_address(0)), top);
    p.reason = "Interrupt wdt timeout on CPU0";
    p.mcause = kEsp32c3McauseIntWdt;
    p.mepc = p.ra = flash_code(call_site_address("loopTask", 0));
    std::snprintf(summary, sizeof summary, "Interrupt wdt timeout on CPU0 (interrupts off for %.3f s)", ran);
    d.reset(ResetReason::int_wdt, summary, postmortem_esp32(p));
  }
  // The interrupted task: the loop task's own frame, or IDLE's on its static stack (.bss, below
  // the heap, not modelled).
  Esp32Panic p = loop_blocked ? esp32_panic_at(d, heap_start - 0x200, heap_start - 0x100)
                              : esp32_panic_at(d, top - cont_depth_estimate(d, __builtin_frame_address(0)), top);
  const char* running = loop_blocked ? "IDLE" : "loopTask";
  p.preamble = esp32_task_wdt_lines(uint32_t(d.clock().cycles() / d.clock().mhz() / 1000u), "loopTask", running);
  p.mcause = 0x80000000u;  // an interrupt (the line esp_intr_alloc gave the timer is not modelled)
  p.mepc = p.ra = flash_code(call_site_address(running, 0));
  std::snprintf(summary, sizeof summary, "Task watchdog got triggered (loopTask did not reset it for %.3f s; %s)", ran,
                loop_blocked ? "IDLE running, the loop task in one delay()" : "loopTask running");
  d.reset(ResetReason::task_wdt, summary, postmortem_esp32(p));
}
}  // namespace

void reset_on_watchdog(Device& d, bool loop_blocked) {
  // Only on the device's own fiber (never from the scheduler, e.g. the boot-time charge of a
  // reboot), and once.
  if (!d.task().fiber().active() || d.life().reset_pending()) return;
  HostSection host;
  Watchdog& w = d.watchdog();
  const WatchdogKind kind = w.fires();
  if (w.set() == WatchdogSet::esp_idf) {
    const double ran = w.since_feed().seconds();
    w.disarm();
    reset_esp_idf_watchdog(d, kind, ran, loop_blocked);
  }
  bool soft = kind == WatchdogKind::soft;
  ResetReason reason = soft ? ResetReason::soft_wdt : ResetReason::hardware_wdt;
  w.disarm();
  // Inside a thunked BearSSL call the reset shows the bearssl stack first, as on the chip.
  uint32_t thunk_depth = thunk_depth_estimate(__builtin_frame_address(0));
  uint32_t cont = cont_depth_estimate(d, __builtin_frame_address(0));
  double ran = w.since_feed().seconds();
  char summary[96];
  std::string record;
  const FailedAlloc& f = d.heap().last_failed();
  if (soft) {
    record = postmortem_soft_wdt(device_stacks(d, thunk_depth, cont, 0x1a0), last_failed_alloc_line(f));
    snprintf(summary, sizeof summary, "Soft WDT reset (ran %.3f s without yielding)", ran);
  } else {
    record = postmortem_hardware_wdt(device_stacks(d, thunk_depth, cont, 0x10));
    snprintf(summary, sizeof summary, "Hardware WDT reset (ran %.3f s without yielding)", ran);
  }
  d.reset(reason, summary, record + rom_boot_banner(reason), last_failed_alloc_note(f));
}

uint32_t chip_fault_address(const Device& d, uintptr_t a) {
  const void* p = reinterpret_cast<const void*>(a);
  if (d.heap().contains(p)) {
    size_t off = d.heap().model().offset_of(p);
    if (off != SIZE_MAX) return d.chip_address(d.heap().model().base() + off);
  }
  if (a < (uintptr_t(1) << 32)) return uint32_t(a);  // NULL + offset, or a value the device made
  return 0xfffff000u | uint32_t(a & 0xfff);          // a host address: only its page offset is stable
}

// A device's bad pointer (fault_guard.h): Exception 28/29/20, or — a fault just below this
// thread's thunk stack while a thunked call runs (its guard page) — the chip's "BSSL stack
// smashing" for an overflowing thunk stack. Addresses are the chip's and deterministic
// (docs/crashes.md); the host location of the instruction goes to the log as an espfleet line.
void fault_reset(Device& d, const FaultInfo& f, ResetReason& reason, std::string& summary, std::string& record,
                 std::string& note) {
  const char* sig = f.signo == SIGBUS ? "SIGBUS" : "SIGSEGV";
  const char* access = f.fetch ? "instruction fetch" : f.write ? "write" : "read";
  const auto* sp = reinterpret_cast<const void*>(f.sp);
  note = std::string("host ") + sig + ": " + access + " at " + hex(f.addr) + " by ";
  if (f.fetch && f.sp)
    note += "a jump from " + host_code_location(*reinterpret_cast<void* const*>(f.sp));
  else
    note += host_code_location(reinterpret_cast<const void*>(f.pc));
  const FailedAlloc& fa = d.heap().last_failed();
  std::string alloc_note = last_failed_alloc_note(fa);
  if (!alloc_note.empty()) note += "\n" + alloc_note;

  bool thunk_overflow = false;
  if (ThunkStack::in_use()) {
    auto bottom = reinterpret_cast<uintptr_t>(ThunkStack::for_this_thread().bottom());
    auto below = [&](uintptr_t a) { return a < bottom && bottom - a <= kThunkGuardReach; };
    thunk_overflow = below(f.addr) || below(f.sp);
  }
  if (thunk_overflow) {
    // The chip's thunk stack has no guard: the call runs past the block and the canary check
    // after it kills the device. Here the host stack ran out first; report it the chip's way.
    reason = ResetReason::stack_smash;
    uint32_t size = d.thunk().size();
    record = postmortem_bssl_smashing(device_stacks(d, std::max<uint32_t>(size, 16), cont_depth_estimate(d, sp), 0),
                                      last_failed_alloc_line(fa));
    summary = "BSSL stack smashing (the host thunk stack overflowed, thunk block " + std::to_string(size) + " B)";
  } else if (d.chip().kind == Chip::esp32c3) {
    // A RISC-V access fault: ESP-IDF's panic handler, "Exception was unhandled." (mcause 1, 5, 7;
    // MTVAL the faulting address).
    reason = ResetReason::panic;
    uint32_t bottom, top;
    loop_stack_bounds(d, &bottom, &top);
    Esp32Panic p = esp32_panic_at(d, top - cont_depth_estimate(d, sp), top);
    p.mcause = f.fetch ? 1 : f.write ? 7 : 5;
    p.reason = f.fetch ? "Instruction access fault" : f.write ? "Store access fault" : "Load access fault";
    p.description = "Exception was unhandled.";
    p.mtval = chip_fault_address(d, f.addr);
    p.mepc = f.fetch ? p.mtval : flash_code(pseudo_code_address(reinterpret_cast<const void*>(f.pc)));
    p.ra = f.fetch && f.sp ? flash_code(pseudo_code_address(*reinterpret_cast<void* const*>(f.sp))) : p.mepc;
    record = postmortem_esp32(p);
    char buf[112];
    std::snprintf(buf, sizeof buf, "%s (MTVAL=0x%08x, MEPC=0x%08x)", p.reason.c_str(), p.mtval, p.mepc);
    summary = buf;
    return;  // the record ends with the C3 ROM's banner
  } else {
    reason = ResetReason::exception;
    int cause = f.fetch ? kExcInstFetchProhibited : f.write ? kExcStoreProhibited : kExcLoadProhibited;
    uint32_t excvaddr = chip_fault_address(d, f.addr);
    uint32_t epc1 = pseudo_code_address(reinterpret_cast<const void*>(f.pc));
    record = postmortem_exception(cause, epc1, excvaddr,
                                  device_stacks(d, thunk_depth_estimate(sp), cont_depth_estimate(d, sp), 0x190),
                                  last_failed_alloc_line(fa));
    char buf[96];
    std::snprintf(buf, sizeof buf, "Exception %d (%s) excvaddr=0x%08x epc1=0x%08x", cause, exception_cause_name(cause),
                  excvaddr, epc1);
    summary = buf;
  }
  record += rom_boot_banner(reason);
}

}  // namespace espfleet
