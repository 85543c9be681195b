// tests/sim/crash/test_fault_guard.cpp — contained device crashes: a device that stores through NULL
// gets the core's "Exception (29)" post-mortem (a load: 28) and reboots while the others run on,
// with the same record in every run; a host overflow of the thunk stack is that device's "BSSL
// stack smashing"; `new` beyond the heap and a failed malloc show the core's "last failed alloc"
// line; a fault while no device runs still kills the process; the reset reasons are counted by kind.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <sstream>
#include <string>
#include <vector>

#include "code_address.h"
#include "crash_record.h"
#include "device_resets.h"
#include "device_test_support.h"
#include "fault_guard.h"
#include "fleet.h"
#include "platform.h"
#include "report.h"
#include "thunk_stack.h"
// Device-side API last: Arduino.h maps malloc/free to the device heap for the code below.
#include <Arduino.h>

using namespace espfleet;

namespace {

struct Reset {
  uint32_t device;
  int reason;
  std::string summary, record;
};
std::vector<Reset> g_resets;
std::array<uint64_t, 8> g_ticks;  // loop passes per device (host memory, written in a HostSection)
int g_malloc_line = 0;

void tick(uint32_t id) {
  HostSection host;
  g_ticks[id]++;
}

__attribute__((noinline)) void recurse_forever(void* arg) {
  volatile char pad[1024];
  pad[0] = 1;
  if (pad[0]) recurse_forever(const_cast<char*>(pad));
  pad[1] = 2;
}

char* volatile g_sink;

// One program, by device id; the faulting devices misbehave on their first boot only:
//   0: stores through NULL      1: keeps counting      2: loads from NULL
//   3: overflows the host thunk stack inside a thunked call
//   4: `new` beyond the heap    5: a malloc fails (NULL), then spins into the soft WDT
void fault_program() {
  Device& d = test::running_device();
  uint32_t id = d.id();
  bool first = d.life().boots() == 1;
  delay(100);
  if (first && id == 0) {
    volatile uint32_t* volatile p = nullptr;
    *p = 29;
  }
  if (first && id == 2) {
    volatile uint32_t* volatile p = nullptr;
    g_sink = reinterpret_cast<char*>(uintptr_t(*p));
  }
  if (first && id == 3 && esp_platform()->thunk_acquire(6000)) test::thunked_call(d, &recurse_forever, nullptr);
  if (first && id == 4) g_sink = new char[30000];
  if (first && id == 5) {
    g_malloc_line = __LINE__ + 1;
    g_sink = static_cast<char*>(malloc(40000));
    for (;;) esp_platform()->charge(64);
  }
  for (;;) {
    tick(id);
    delay(100);
  }
}

struct Run {
  std::vector<Reset> resets;
  std::vector<uint32_t> boots;
  std::vector<std::vector<int>> codes;
  std::vector<std::string> first_reason;
  std::array<uint64_t, 8> ticks;
  std::string log;
  nlohmann::ordered_json summary;
};

Run run_fleet() {
  g_resets.clear();
  g_ticks.fill(0);
  std::ostringstream log;
  FleetOptions o = test::fast_options(&fault_program, 10);
  o.device_log = std::make_shared<spdlog::logger>("faults", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
  o.on_crash = [](Device& d, ResetReason reason_code, const std::string& summary, const std::string& record) {
    int reason = reset_code(reason_code);
    g_resets.push_back({d.id(), reason, summary, record});
  };
  Run r;
  {
    Fleet eng(o, 6, 16384);
    for (uint32_t i = 0; i < 6; ++i) eng.add_device(i, test::plain_device(80, 16384), 1, {}, VTime{});
    eng.run();
    for (auto& d : eng.devices()) {
      r.boots.push_back(d->life().boots());
      std::vector<int> codes;
      for (const CrashEntry& c : d->life().crashes()) codes.push_back(reset_code(c.reason));
      r.codes.push_back(codes);
      r.first_reason.push_back(d->life().crashes().empty() ? "" : d->life().crashes()[0].summary);
    }
    r.summary = fleet_summary(eng.devices(), eng.stats());
  }
  r.resets = g_resets;
  r.ticks = g_ticks;
  r.log = log.str();
  return r;
}

const Reset& reset_of(const Run& r, uint32_t dev) {
  for (auto& x : r.resets)
    if (x.device == dev) return x;
  FAIL("no reset of device " << dev);
  static Reset none;
  return none;
}

}  // namespace

TEST_CASE("fault guard: a NULL store or load resets only that device, with the core's Exception record") {
  Run r = run_fleet();

  // Device 0: one Exception 29, one reboot; then it counts like the others.
  CHECK(r.boots[0] == 2);
  CHECK(r.codes[0] == std::vector<int>{reset_code(ResetReason::exception)});
  CHECK(r.first_reason[0].rfind("Exception 29 (StoreProhibited) excvaddr=0x00000000", 0) == 0);
  const Reset& r0 = reset_of(r, 0);
  CHECK(r0.reason == reset_code(ResetReason::exception));
  const std::string& rec = r0.record;
  for (const char* line :
       {"--------------- CUT HERE FOR EXCEPTION DECODER ---------------\n\nException (29):\nepc1=0x402",
        " epc2=0x00000000 epc3=0x00000000 excvaddr=0x00000000 depc=0x00000000\n",
        "\n>>>stack>>>\n\nctx: cont\nsp: 3fff", " end: 3fffffc0 offset: 0190\n", "<<<stack<<<\n",
        "rst cause:2, boot mode:(3,6)"})
    CHECK_MESSAGE(rec.find(line) != std::string::npos, line);
  CHECK(rec.find("Exception (29)") < rec.find(">>>stack>>>"));
  CHECK(rec.find("<<<stack<<<") < rec.rfind("CUT HERE"));
  CHECK(rec.find("last failed alloc") == std::string::npos);  // nothing failed on that boot
  CHECK(rec.find("ctx: bearssl") == std::string::npos);
  CHECK(r.log.find("dev 0 espfleet: host SIGSEGV: write at 0x0 by ") != std::string::npos);
  CHECK(r.log.find("dev 0 reset reason 2: Exception 29") != std::string::npos);

  // Device 2: a load is Exception 28.
  CHECK(r.boots[2] == 2);
  CHECK(r.first_reason[2].rfind("Exception 28 (LoadProhibited) excvaddr=0x00000000", 0) == 0);
  CHECK(reset_of(r, 2).record.find("\nException (28):\nepc1=0x402") != std::string::npos);

  // Device 1 never noticed: one boot, no crash, a loop pass every 100 ms of its 10 s.
  CHECK(r.boots[1] == 1);
  CHECK(r.codes[1].empty());
  CHECK(r.ticks[1] >= 98);
  CHECK(r.ticks[0] >= 90);  // the faulting device runs again after its reboot

  // The fleet summary counts them by kind.
  const auto& by = r.summary["crashes_by_reason"];
  CHECK(by["exception_29"] == 1);
  CHECK(by["exception_28"] == 1);

  // The same binary gives the same records (epc1 included) in another run.
  Run again = run_fleet();
  REQUIRE(again.resets.size() == r.resets.size());
  for (size_t i = 0; i < r.resets.size(); ++i) {
    CHECK(again.resets[i].device == r.resets[i].device);
    CHECK(again.resets[i].summary == r.resets[i].summary);
    CHECK(again.resets[i].record == r.resets[i].record);
  }
}

TEST_CASE("fault guard: a host overflow of the thunk stack is that device's BSSL stack smashing") {
  Run r = run_fleet();
  CHECK(r.boots[3] == 2);
  CHECK(r.codes[3] == std::vector<int>{reset_code(ResetReason::stack_smash)});
  CHECK(r.first_reason[3].rfind("BSSL stack smashing", 0) == 0);
  const std::string& rec = reset_of(r, 3).record;
  for (const char* line : {"FATAL ERROR: BSSL stack smashing detected", "Exception (5):", "ctx: bearssl", "ctx: cont"})
    CHECK_MESSAGE(rec.find(line) != std::string::npos, line);
  CHECK(!ThunkStack::in_use());
  CHECK(r.summary["crashes_by_reason"]["stack_smash_253"] == 1);
}

TEST_CASE("fault guard: the last failed allocation is in the OOM record and in the soft WDT record") {
  Run r = run_fleet();
  // Device 4: `new char[30000]` on a 16 KB heap.
  CHECK(r.boots[4] == 2);
  CHECK(r.codes[4] == std::vector<int>{reset_code(ResetReason::sw_exception)});
  const std::string& oom = reset_of(r, 4).record;
  for (const char* line :
       {"\nUser exception (panic/abort/assert)\n--------------- CUT HERE FOR EXCEPTION DECODER",
        "\nUnhandled C++ exception: OOM\n\n>>>stack>>>\n", "<<<stack<<<\n\nlast failed alloc call: 402",
        "(30000)\n\n--------------- CUT HERE", "\nlast failed alloc caller: 0x402"})
    CHECK_MESSAGE(oom.find(line) != std::string::npos, line);
  CHECK(r.log.find("dev 4 espfleet: last failed alloc call 402") != std::string::npos);
  CHECK(r.log.find("(30000) by new, called from ") != std::string::npos);
  CHECK(r.summary["crashes_by_reason"]["oom_254"] == 1);

  // Device 5: malloc returned NULL; the soft WDT's record names that call.
  CHECK(r.codes[5] == std::vector<int>{reset_code(ResetReason::soft_wdt)});
  const std::string& wdt = reset_of(r, 5).record;
  char want[64];
  snprintf(want, sizeof want, "<<<stack<<<\n\nlast failed alloc call: %08X(40000)\n",
           call_site_address("test_fault_guard.cpp", g_malloc_line));
  CHECK_MESSAGE(wdt.find(want) != std::string::npos, want);
  CHECK(r.log.find("dev 5 espfleet: last failed alloc call ") != std::string::npos);
  CHECK(r.log.find("test_fault_guard.cpp:" + std::to_string(g_malloc_line)) != std::string::npos);
  CHECK(r.summary["crashes_by_reason"]["soft_wdt_3"] == 1);
  // The table prints them on one line.
  CHECK(summary_table(r.summary).find("crashes by reason  exception_28: 1, exception_29: 1, oom_254: 1, "
                                      "soft_wdt_3: 1, stack_smash_253: 1\n") != std::string::npos);
}

TEST_CASE("fault guard: a fault while no device runs still kills the process") {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);  // not the test framework's handler: die of it
    fault_guard_install();
    volatile int* volatile p = nullptr;
    *p = 1;
    _exit(0);  // the guard hid the fault
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
}

TEST_CASE("fault guard: excvaddr and code addresses are the chip's, independent of ASLR") {
  FleetOptions o = test::fast_options(
      [] {
        for (;;) delay(1000);
      },
      1);
  Fleet eng(o, 1, 16384);
  Device& d = eng.add_device(0, test::plain_device(80, 16384), 1, {}, VTime{});
  CHECK(chip_fault_address(d, 0) == 0);
  CHECK(chip_fault_address(d, 0x24) == 0x24);
  CHECK(chip_fault_address(d, 0xfeefeffe) == 0xfeefeffe);  // a value the device computed
  auto heap = reinterpret_cast<uintptr_t>(d.heap().model().base());
  CHECK(chip_fault_address(d, heap + 12) == 0x3FFFC000 - 16384 + 12);
  CHECK(chip_fault_address(d, 0x7f12345678abULL) == 0xfffff8ab);
  uint32_t here = pseudo_code_address(reinterpret_cast<const void*>(&recurse_forever));
  CHECK(here >= 0x40200000);
  CHECK(here < 0x40300000);
  CHECK(pseudo_code_address(nullptr) == 0);
  CHECK(call_site_address("/a/b/core/app.cpp", 12) == call_site_address("core/app.cpp", 12));
  CHECK(call_site_address("core/app.cpp", 12) != call_site_address("core/app.cpp", 13));
  CHECK((call_site_address("x.cpp", 1) & 0xFFF00003) == 0x40200000);
  CHECK(crash_kind(ResetReason::exception, "host fiber stack overflow") == "exception_2");
  CHECK(crash_kind(ResetReason::sw_exception, "abort") == "user_254");
  CHECK(crash_kind(ResetReason::hardware_wdt, "Hardware WDT reset") == "hw_wdt_1");
}
