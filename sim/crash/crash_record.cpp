// sim/crash_record.cpp — the ESP8266 core's post-mortem text (see crash_record.h for the sources).
#include "crash_record.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "code_address.h"
#include "device.h"
#include "thunk_stack.h"

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
  if (s.words.empty() && rows) add(out, "(%u rows up to %08x: contents not modelled)\n", unsigned(rows), s.end);
  else if (shown < rows) add(out, "(%u more rows up to %08x not shown)\n", unsigned(rows - shown), s.end);
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

std::string rom_boot_banner(int reason) {
  std::string out;
  add(out, "\n ets Jan  8 2013,rst cause:%u, boot mode:(3,6)\n", reason == kResetHardwareWdt ? 4u : 2u);
  if (reason == kResetHardwareWdt) out += "\nwdt reset\n";
  return out;
}

const char* exception_cause_name(int cause) {
  switch (cause) {
    case kExcInstFetchProhibited: return "InstFetchProhibited";
    case kExcLoadProhibited: return "LoadProhibited";
    case kExcStoreProhibited: return "StoreProhibited";
    default: return "";
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

// operator new → __unhandled_exception("OOM") → raise_exception() prints its line before the
// report; the report prints the caller once more after the closing ruler.
std::string postmortem_oom(const std::vector<StackSection>& stacks, const std::string& last_alloc, uint32_t caller_addr) {
  std::string out = "\nUser exception (panic/abort/assert)";
  out += cut_here();
  out += "\nUnhandled C++ exception: OOM\n";
  print_stacks(out, stacks);
  out += last_alloc;
  out += cut_here();
  if (!last_alloc.empty()) add(out, "\nlast failed alloc caller: 0x%08x\n", caller_addr);
  return out;
}

uint32_t last_failed_alloc_address(const Device& d) {
  const FailedAlloc& f = d.last_failed_alloc;
  if (f.caller) return pseudo_code_address(f.caller);
  if (f.file) return call_site_address(f.file, f.line);
  return 0;
}

std::string last_failed_alloc_line(const Device& d) {
  if (!d.last_failed_alloc.any()) return {};
  std::string out;
  char buf[80];
  snprintf(buf, sizeof buf, "\nlast failed alloc call: %08X(%d)\n", last_failed_alloc_address(d),
           int(d.last_failed_alloc.size));
  return out + buf;
}

std::string last_failed_alloc_note(const Device& d) {
  const FailedAlloc& f = d.last_failed_alloc;
  if (!f.any()) return {};
  char buf[64];
  snprintf(buf, sizeof buf, "last failed alloc call %08X(%u) ", last_failed_alloc_address(d), unsigned(f.size));
  if (f.caller) return buf + std::string("by new, called from ") + host_code_location(f.caller);
  return buf + std::string("at ") + call_site_text(f.file, f.line);
}

std::string crash_kind(int reason, const std::string& summary) {
  auto starts = [&](const char* p) { return summary.rfind(p, 0) == 0; };
  switch (reason) {
    case kResetHardwareWdt: return "hw_wdt_1";
    case kResetSoftWdt: return "soft_wdt_3";
    case kResetStackSmash: return "stack_smash_253";
    case kResetSwException: return starts("Unhandled C++ exception: OOM") ? "oom_254" : "user_254";
    case kResetException: {
      int cause = -1;
      if (starts("Exception ") && sscanf(summary.c_str() + 10, "%d", &cause) == 1 && cause >= 0)
        return "exception_" + std::to_string(cause);
      return "exception_2";
    }
    default: return "reset_" + std::to_string(reason);
  }
}

uint32_t cont_depth_estimate(Device& d, const void* host_sp) {
  // Inside a thunked call the cont stack stops where the call was made.
  auto sp = d.thunk_sp ? d.thunk_sp : reinterpret_cast<uintptr_t>(host_sp);
  auto top = reinterpret_cast<uintptr_t>(d.fiber.stack_top());
  size_t host = sp < top && top - sp < d.stack_bytes ? top - sp : 0;
  return std::min<uint32_t>(estimate_target_bytes(host), kContStackBytes - 16);
}

uint32_t thunk_depth_estimate(const void* host_sp) {
  if (!ThunkStack::in_use()) return 0;
  ThunkStack& ts = ThunkStack::for_this_thread();
  auto here = reinterpret_cast<uintptr_t>(host_sp);
  auto top = reinterpret_cast<uintptr_t>(ts.top()), bottom = reinterpret_cast<uintptr_t>(ts.bottom());
  uint32_t depth = here >= bottom && here < top ? estimate_target_bytes(top - here) : 0;
  return depth ? depth : 16;
}

std::vector<StackSection> device_stacks(Device& d, uint32_t thunk_depth, uint32_t cont_depth, uint32_t offset) {
  std::vector<StackSection> out;
  if (thunk_depth && d.thunk_block && d.thunk_size >= 8) {
    // The chip's thunk stack: SP starts at the block's last word and grows down.
    StackSection s;
    s.ctx = "bearssl";
    auto* block = static_cast<uint8_t*>(d.thunk_block);
    uint32_t base = device_heap_address(d, block);
    s.end = base + (d.thunk_size / 4 - 1) * 4;
    s.sp = s.end - thunk_depth - offset;  // below base when the call overflowed the block
    s.offset = offset;
    uint32_t first = std::max(s.sp + offset, base);
    s.rows_from = first & ~15u;
    if (s.rows_from < base) s.rows_from += 16;
    for (uint32_t a = s.rows_from; a + 16 <= s.end + 4 && a + 16 <= base + d.thunk_size; a += 16)
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
  c.end = kContStackEnd;
  c.sp = kContStackEnd - std::max<uint32_t>(cont_depth, 16) - offset;
  c.offset = offset;
  c.rows_from = c.sp + offset;  // the model does not hold the cont stack's contents: no rows
  out.push_back(std::move(c));
  return out;
}

}  // namespace espfleet
