// sim/crash/crash_record.cpp — the ESP8266 core's post-mortem text (see crash_record.h for the sources).
#include "crash_record.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "code_address.h"

namespace espfleet {

namespace {

void add(std::string& out, const char* fmt, unsigned a = 0, unsigned b = 0, unsigned c = 0) {
  char buf[160];
  snprintf(buf, sizeof buf, fmt, a, b, c);
  out += buf;
}

std::string cut_here() { return "\n--------------- CUT HERE FOR EXCEPTION DECODER ---------------\n"; }

// print_stack(): rows of four words; '<' marks a row whose third word points at the next row
// (the core's "looks like a stack frame" hint).
void print_rows(std::string& out, const StackSection& s) {
  size_t rows = s.end > s.rows_from ? (s.end - s.rows_from + 15) / 16 : 0;
  size_t shown = std::min({rows, kMaxRows, s.words.size() / 4});
  for (size_t r = 0; r < shown; ++r) {
    uint32_t pos = s.rows_from + uint32_t(r * 16);
    const uint32_t* v = &s.words[r * 4];
    char buf[80];
    snprintf(buf, sizeof buf, "%08x:  %08x %08x %08x %08x %c\n", pos, v[0], v[1], v[2], v[3],
             v[2] == pos + 0x10 ? '<' : ' ');
    out += buf;
  }
  if (s.words.empty() && rows)
    add(out, "(%u rows up to %08x: contents not modelled)\n", unsigned(rows), s.end);
  else if (shown < rows)
    add(out, "(%u more rows up to %08x not shown)\n", unsigned(rows - shown), s.end);
}

void print_stacks(std::string& out, const std::vector<StackSection>& stacks) {
  out += "\n>>>stack>>>\n";
  for (const StackSection& s : stacks) {
    out += "\nctx: " + s.ctx + "\n";
    add(out, "sp: %08x end: %08x offset: %04x\n", s.sp, s.end, s.offset);
    print_rows(out, s);
  }
  out += "<<<stack<<<\n";
}

}  // namespace

std::string rom_boot_banner(ResetReason reason) {
  std::string out;
  add(out, "\n ets Jan  8 2013,rst cause:%u, boot mode:(3,6)\n", reason == ResetReason::hardware_wdt ? 4u : 2u);
  if (reason == ResetReason::hardware_wdt) out += "\nwdt reset\n";
  return out;
}

const char* exception_cause_name(int cause) {
  switch (cause) {
    case kExcInstFetchProhibited:
      return "InstFetchProhibited";
    case kExcLoadProhibited:
      return "LoadProhibited";
    case kExcStoreProhibited:
      return "StoreProhibited";
    default:
      return "";
  }
}

std::string postmortem_soft_wdt(const std::vector<StackSection>& stacks, const std::string& last_alloc) {
  std::string out = cut_here();
  out += "\nSoft WDT reset\n";
  print_stacks(out, stacks);
  out += last_alloc;
  out += cut_here();
  return out;
}

// The hardware watchdog resets the chip with no software involved; the core's HWDT stack-dump
// option (hwdt_app_entry.cpp) prints this on the next boot.
std::string postmortem_hardware_wdt(const std::vector<StackSection>& stacks) {
  std::string out = "\n\nHardware WDT reset\n";
  print_stacks(out, stacks);
  return out;
}

// StackThunk.cpp stack_thunk_fatal_smashing() → __stack_chk_fail() → the post-mortem with
// REASON_USER_STACK_SMASH (Exception 5, "closest thing to stack fault"). epc1 would be the code
// address of the failing check; the model has no code addresses, so it is 0.
std::string postmortem_bssl_smashing(const std::vector<StackSection>& stacks, const std::string& last_alloc) {
  std::string out = "FATAL ERROR: BSSL stack smashing detected\n";
  out += "\nPANIC: Stack overrun";
  out += cut_here();
  out += "\nStack overflow detected.\n";
  out += "\nException (5):\nepc1=0x00000000 epc2=0x00000000 epc3=0x00000000 excvaddr=0x00000000 depc=0x00000000\n";
  print_stacks(out, stacks);
  out += last_alloc;
  out += cut_here();
  return out;
}

// postmortem_report() for REASON_EXCEPTION_RST: the cause and the special registers.
std::string postmortem_exception(int cause, uint32_t epc1, uint32_t excvaddr, const std::vector<StackSection>& stacks,
                                 const std::string& last_alloc) {
  std::string out = cut_here();
  char buf[160];
  snprintf(buf, sizeof buf,
           "\nException (%d):\nepc1=0x%08x epc2=0x00000000 epc3=0x00000000 excvaddr=0x%08x depc=0x00000000\n", cause,
           epc1, excvaddr);
  out += buf;
  print_stacks(out, stacks);
  out += last_alloc;
  out += cut_here();
  return out;
}

std::string postmortem_abort(const std::vector<StackSection>& stacks, const std::string& last_alloc) {
  std::string out = "\nUser exception (panic/abort/assert)";
  out += cut_here();
  out += "\nAbort called\n";
  print_stacks(out, stacks);
  out += last_alloc;
  out += cut_here();
  return out;
}

// operator new → __unhandled_exception("OOM") → raise_exception() prints its line before the
// report; the report prints the caller once more after the closing ruler.
std::string postmortem_oom(const std::vector<StackSection>& stacks, const std::string& last_alloc,
                           uint32_t caller_addr) {
  std::string out = "\nUser exception (panic/abort/assert)";
  out += cut_here();
  out += "\nUnhandled C++ exception: OOM\n";
  print_stacks(out, stacks);
  out += last_alloc;
  out += cut_here();
  if (!last_alloc.empty()) add(out, "\nlast failed alloc caller: 0x%08x\n", caller_addr);
  return out;
}

uint32_t last_failed_alloc_address(const FailedAlloc& f) {
  if (f.caller) return pseudo_code_address(f.caller);
  if (f.site.file) return call_site_address(f.site.file, f.site.line);
  return 0;
}

std::string last_failed_alloc_line(const FailedAlloc& f) {
  if (!f.any()) return {};
  char buf[80];
  snprintf(buf, sizeof buf, "\nlast failed alloc call: %08X(%d)\n", last_failed_alloc_address(f), int(f.size));
  return buf;
}

std::string last_failed_alloc_note(const FailedAlloc& f) {
  if (!f.any()) return {};
  char buf[64];
  snprintf(buf, sizeof buf, "last failed alloc call %08X(%u) ", last_failed_alloc_address(f), unsigned(f.size));
  if (f.caller) return buf + std::string("by new, called from ") + host_code_location(f.caller);
  return buf + std::string("at ") + call_site_text(f.site.file, f.site.line);
}

std::string crash_kind(ResetReason reason, const std::string& summary) {
  auto starts = [&](const char* p) { return summary.rfind(p, 0) == 0; };
  switch (reason) {
    case ResetReason::hardware_wdt:
      return "hw_wdt_1";
    case ResetReason::soft_wdt:
      return "soft_wdt_3";
    case ResetReason::stack_smash:
      return "stack_smash_253";
    case ResetReason::task_wdt:
      return "task_wdt";
    case ResetReason::int_wdt:
      return "int_wdt";
    case ResetReason::panic:
      if (starts("Stack protection fault")) return "stack_overflow";
      if (starts("abort() was called"))
        return summary.find("(std::bad_alloc") != std::string::npos ? "bad_alloc" : "abort";
      if (starts("Store access fault")) return "store_fault";
      if (starts("Load access fault")) return "load_fault";
      return starts("Instruction access fault") ? "fetch_fault" : "panic";
    case ResetReason::sw_exception:
      return starts("Unhandled C++ exception: OOM") ? "oom_254" : "user_254";
    case ResetReason::exception: {
      int cause = -1;
      if (starts("Exception ") && sscanf(summary.c_str() + 10, "%d", &cause) == 1 && cause >= 0)
        return "exception_" + std::to_string(cause);
      return "exception_2";
    }
    default:
      return "reset_" + std::to_string(reset_code(reason));
  }
}

}  // namespace espfleet
