// sim/fault_guard.cpp — SIGSEGV/SIGBUS in device code → that device's Exception 28/29 reset
// (see fault_guard.h). The signal handler does the minimum (record, redirect); the trampoline,
// ordinary code on the emergency stack, builds the record and resets the device.
#include "fault_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "code_address.h"
#include "crash_record.h"
#include "engine.h"
#include "thunk_stack.h"

namespace espfleet {

uint32_t chip_fault_address(Device& d, uintptr_t a) {
  const void* p = reinterpret_cast<const void*>(a);
  if (d.heap().contains(p)) {
    size_t off = d.heap().offset_of(p);
    if (off != SIZE_MAX) return device_heap_address(d, d.heap().base() + off);
  }
  if (a < (uintptr_t(1) << 32)) return uint32_t(a);  // NULL + offset, or a value the device made
  return 0xfffff000u | uint32_t(a & 0xfff);          // a host address: only its page offset is stable
}

#if defined(__x86_64__) && defined(__linux__)

namespace {

constexpr size_t kAltStackBytes = 64 * 1024;     // the handler's own stack (sigaltstack)
constexpr size_t kEmergencyBytes = 256 * 1024;   // the trampoline's stack
constexpr size_t kThunkGuardReach = 64 * 1024;   // below the thunk stack: its overflow

// What the handler saw. Plain data in thread-locals: nothing here may allocate or lock.
struct Fault {
  Engine* eng;
  Device* dev;
  uintptr_t addr, pc, sp;
  int signo;
  bool write, fetch;
};
thread_local Fault t_fault;
thread_local bool t_handling = false;         // between the fault and the reset
thread_local uint8_t* t_emergency_top = nullptr;
thread_local uint8_t* t_altstack = nullptr;

struct sigaction g_prev_segv, g_prev_bus;    // what the handler replaced (chained on give-up)

void on_fault(int sig, siginfo_t* si, void* ctx);

// The mapping of this thread's stacks, unmapped when the thread ends.
struct ThreadStacks {
  uint8_t* map = nullptr;
  size_t bytes = 0;
  ~ThreadStacks() {
    if (!map) return;
    stack_t cur{};
    if (sigaltstack(nullptr, &cur) == 0 && cur.ss_sp == t_altstack) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      sigaltstack(&off, nullptr);
    }
    munmap(map, bytes);
    t_altstack = t_emergency_top = nullptr;
  }
};
thread_local ThreadStacks t_stacks;

// Layout: guard | signal stack | guard | emergency stack (each guard one page, PROT_NONE).
bool make_thread_stacks() {
  size_t pg = size_t(sysconf(_SC_PAGESIZE));
  size_t bytes = pg + kAltStackBytes + pg + kEmergencyBytes;
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    std::fprintf(stderr, "espfleet: fault guard: cannot map its stacks (%s); device faults will kill the process\n",
                 std::strerror(errno));
    return false;
  }
  auto* base = static_cast<uint8_t*>(m);
  mprotect(base, pg, PROT_NONE);
  mprotect(base + pg + kAltStackBytes, pg, PROT_NONE);
  t_stacks.map = base;
  t_stacks.bytes = bytes;
  t_altstack = base + pg;
  t_emergency_top = base + bytes;  // page-aligned, so 16-byte aligned
  return true;
}

// Not a device's fault: put back what was there and let the fault repeat into it.
void give_up(int sig) { sigaction(sig, sig == SIGBUS ? &g_prev_bus : &g_prev_segv, nullptr); }

// Whether the fault is the host thunk stack overflowing into its guard page (a thunked call runs).
bool thunk_stack_overflow(const Fault& f) {
  if (!ThunkStack::in_use()) return false;
  auto bottom = reinterpret_cast<uintptr_t>(ThunkStack::for_this_thread().bottom());
  auto below = [&](uintptr_t a) { return a < bottom && bottom - a <= kThunkGuardReach; };
  return below(f.addr) || below(f.sp);
}

std::string hex(uintptr_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%lx", (unsigned long)v);
  return buf;
}

// Entered by the handler's return, on the emergency stack; ordinary code from here on.
[[noreturn]] __attribute__((noinline)) void fault_trampoline() {
  Fault f = t_fault;
  Device& d = *f.dev;
  HostSection host;  // never closed: the fiber is abandoned; the engine resets the allocator
  const char* sig = f.signo == SIGBUS ? "SIGBUS" : "SIGSEGV";
  const char* access = f.fetch ? "instruction fetch" : f.write ? "write" : "read";
  const auto* sp = reinterpret_cast<const void*>(f.sp);
  std::string note = std::string("host ") + sig + ": " + access + " at " + hex(f.addr) + " by ";
  if (f.fetch && f.sp) note += "a jump from " + host_code_location(*reinterpret_cast<void* const*>(f.sp));
  else note += host_code_location(reinterpret_cast<const void*>(f.pc));
  std::string alloc_note = last_failed_alloc_note(d);
  if (!alloc_note.empty()) note += "\n" + alloc_note;

  int reason;
  std::string summary, record;
  if (thunk_stack_overflow(f)) {
    // The chip's thunk stack has no guard: the call runs past the block and the canary check
    // after it kills the device. Here the host stack ran out first; report it the chip's way.
    reason = kResetStackSmash;
    record = postmortem_bssl_smashing(device_stacks(d, std::max<uint32_t>(d.thunk_size, 16), cont_depth_estimate(d, sp), 0),
                                      last_failed_alloc_line(d));
    summary = "BSSL stack smashing (the host thunk stack overflowed, thunk block " + std::to_string(d.thunk_size) + " B)";
  } else {
    reason = kResetException;
    int cause = f.fetch ? kExcInstFetchProhibited : f.write ? kExcStoreProhibited : kExcLoadProhibited;
    uint32_t excvaddr = chip_fault_address(d, f.addr);
    uint32_t epc1 = pseudo_code_address(reinterpret_cast<const void*>(f.pc));
    record = postmortem_exception(cause, epc1, excvaddr,
                                  device_stacks(d, thunk_depth_estimate(sp), cont_depth_estimate(d, sp), 0x190),
                                  last_failed_alloc_line(d));
    char buf[96];
    std::snprintf(buf, sizeof buf, "Exception %d (%s) excvaddr=0x%08x epc1=0x%08x", cause, exception_cause_name(cause),
                  excvaddr, epc1);
    summary = buf;
  }
  d.crash_note = note;
  t_handling = false;  // the record is built: the next fault is the next device's
  f.eng->crash(d, reason, summary, record + rom_boot_banner(reason));
}

void on_fault(int sig, siginfo_t* si, void* ctx) {
  Engine* eng = Engine::running();
  Device* d = eng ? eng->current() : nullptr;
  if (!d || t_handling || !t_emergency_top) {
    give_up(sig);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(ctx);
  greg_t* g = uc->uc_mcontext.gregs;
  uint64_t err = uint64_t(g[REG_ERR]);
  bool page_fault = sig == SIGSEGV && si->si_code != SI_KERNEL;  // SI_KERNEL: a protection fault
  t_handling = true;
  t_fault.eng = eng;
  t_fault.dev = d;
  t_fault.addr = reinterpret_cast<uintptr_t>(si->si_addr);
  t_fault.pc = uintptr_t(g[REG_RIP]);
  t_fault.sp = uintptr_t(g[REG_RSP]);
  t_fault.signo = sig;
  t_fault.write = page_fault && (err & 2);  // x86 page-fault error code: bit 1 = write
  t_fault.fetch = page_fault && (err & 16); // bit 4 = instruction fetch
  // Continue in the trampoline as if called: RSP ≡ 8 (mod 16), a null return address.
  auto* top = reinterpret_cast<uint64_t*>(t_emergency_top) - 1;
  *top = 0;
  g[REG_RSP] = greg_t(reinterpret_cast<uintptr_t>(top));
  g[REG_RIP] = greg_t(reinterpret_cast<uintptr_t>(&fault_trampoline));
}

void install(int sig, struct sigaction& prev) {
  struct sigaction sa {};
  sa.sa_sigaction = &on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  struct sigaction old {};
  if (sigaction(sig, &sa, &old) != 0) return;
  if (!((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == &on_fault)) prev = old;
}

}  // namespace

void fault_guard_install() {
  if (!t_emergency_top && !make_thread_stacks()) return;
  stack_t cur{};
  if (sigaltstack(nullptr, &cur) != 0 || cur.ss_sp != t_altstack || (cur.ss_flags & SS_DISABLE)) {
    stack_t ss{};
    ss.ss_sp = t_altstack;
    ss.ss_size = kAltStackBytes;
    if (sigaltstack(&ss, nullptr) != 0)
      std::fprintf(stderr, "espfleet: fault guard: sigaltstack failed (%s)\n", std::strerror(errno));
  }
  install(SIGSEGV, g_prev_segv);
  install(SIGBUS, g_prev_bus);
}

#else

void fault_guard_install() {}

#endif

}  // namespace espfleet
