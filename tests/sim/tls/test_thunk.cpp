// tests/sim/tls/test_thunk.cpp — BearSSL's second stack: the shared host thunk stack (its own stack,
// painted, measured by paint scan, repainted, guard page below), the target estimate, and the
// device's thunk block: a call that needs more than the block overwrites its canary and resets
// only that device ("BSSL stack smashing", reason 253); a soft WDT inside a thunked call shows
// the bearssl stack and leaves the shared stack usable.
#include <doctest/doctest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <alloca.h>

#include <cstring>
#include <string>
#include <vector>

#include "crash_record.h"
#include "device_test_support.h"
#include "fleet.h"
#include "generated/chip_costs.h"
#include "platform.h"
#include "thunk_stack.h"
// Device-side API last: Arduino.h maps malloc/free to the device heap for the code below.
#include <Arduino.h>
#include <StackThunk.h>

using namespace espfleet;

namespace {

// Uses `*arg` bytes of stack below its frame (every 16th byte written), then returns.
__attribute__((noinline)) void use_stack(void* arg) {
  size_t n = *static_cast<size_t*>(arg);
  auto* buf = static_cast<volatile char*>(alloca(n));
  for (size_t i = 0; i < n; i += 16) buf[i] = 1;
}

const void* g_seen_frame;
__attribute__((noinline)) void note_frame(void*) {
  volatile char here = 0;
  g_seen_frame = const_cast<const char*>(&here);
  CHECK(ThunkStack::in_use());
}

__attribute__((noinline)) void recurse_forever(void* arg) {
  volatile char pad[1024];
  pad[0] = 1;
  if (pad[0]) recurse_forever(const_cast<char*>(pad));
  pad[1] = 2;
}

}  // namespace

TEST_CASE("thunk stack: a call runs on its own stack and its high-water mark is measured by paint") {
  ThunkStack ts(48 * 1024);
  ThunkStack::for_this_thread();  // (creating this thread's stack does not disturb another one)
  size_t n = 4096;
  size_t used = ts.run(&use_stack, &n);
  CHECK(used >= 4096);
  CHECK(used <= 4096 + 512);  // the call's own frame and the switch
  // The paint is restored after each call: a shallower call measures shallower.
  n = 512;
  size_t shallow = ts.run(&use_stack, &n);
  CHECK(shallow >= 512);
  CHECK(shallow <= 512 + 512);
  n = 4096;
  CHECK(ts.run(&use_stack, &n) == used);  // same call, same figure
  // Inside the call we are on the thunk stack.
  CHECK(!ThunkStack::in_use());
  ThunkStack& shared = ThunkStack::for_this_thread();
  shared.run(&note_frame, nullptr);
  CHECK(g_seen_frame >= static_cast<const void*>(shared.bottom()));
  CHECK(g_seen_frame < static_cast<const void*>(shared.top()));
  CHECK(!ThunkStack::in_use());
}

TEST_CASE("thunk stack: overflowing the host stack hits the guard page") {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);  // not the test framework's handler: die of it
    ThunkStack ts(16 * 1024);
    ts.run(&recurse_forever, nullptr);
    _exit(0);  // not reached
  }
  int status = 0;
  waitpid(pid, &status, 0);
#if defined(__SANITIZE_ADDRESS__)
  CHECK((WIFSIGNALED(status) || WEXITSTATUS(status) != 0));
#else
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
#endif
}

TEST_CASE("thunk stack: the target estimate is anchored on the chip's measured handshake") {
  // The pinned ECDHE_RSA handshake's host high-water maps onto the chip's.
  uint32_t chip = chip::kHandshakeEcdheRsaClient.stack_bytes;
  uint32_t est = estimate_target_bytes(kHostPinnedHandshakeBytes);
  CHECK(est >= chip);
  CHECK(est <= chip + 4);
  CHECK(target_per_host_byte() < 1.0);
  // A call that ran a chip-measured primitive needs at least the engine frames plus that primitive.
  CHECK(engine_frames_target() == chip - chip::kEcP256Mul.stack_bytes);
  // The pinned handshake's deepest call (the ECDHE multiply) lands on the chip's measurement.
  CHECK(estimate_target_bytes(4000, chip::kEcP256Mul.stack_bytes) == chip);
  CHECK(estimate_target_bytes(100, chip::kEcdsaP256Vrfy.stack_bytes) ==
        engine_frames_target() + chip::kEcdsaP256Vrfy.stack_bytes);
  CHECK(estimate_target_bytes(0) == 0);
  CHECK(estimate_target_bytes(1) == 4);  // whole words
}

namespace {

struct Rec {
  uint32_t device;
  std::string what;
  uint64_t value;
};
std::vector<Rec> g_recs;
struct Reset {
  uint32_t device;
  int reason;
  std::string summary, record;
};
std::vector<Reset> g_resets;

void rec(const char* what, uint64_t v) {
  HostSection host;
  g_recs.push_back({test::running_device().id(), what, v});
}
uint64_t find(uint32_t dev, const char* what) {
  for (auto& r : g_recs)
    if (r.device == dev && r.what == what) return r.value;
  FAIL("no record " << what << " for device " << dev);
  return 0;
}

__attribute__((noinline)) void deep_then_spin(void*) {
  size_t n = 8192;
  use_stack(&n);
  for (;;) esp_platform()->charge(64);  // BearSSL busy for ever: the soft WDT fires in here
}

// One program, by device id:
//   0: thunk block 2000 B, a call using 4 KB of host stack → smashes the canary (every boot)
//   1: thunk block 8000 B, the same call → fits; reports its figures
//   2: thunk block 6000 B, a call that goes 8 KB deep and spins → soft WDT inside the thunk
//   3: waits until device 2 has reset, then a 1 KB call on the shared stack → measured clean
//   4: thunk block 6000 B whose canary the firmware overwrites → caught after the next call
void thunk_program() {
  Device& d = test::running_device();
  uint32_t id = d.id();
  if (id == 3) delay(5000);
  uint32_t size = id == 0 ? 2000 : id == 1 ? 8000 : 6000;
  rec("boot", d.life().boots());
  if (!stack_thunk_light_add_ref(size)) {
    rec("no_block", 1);
    for (;;) delay(1000);
  }
  size_t n = id == 3 ? 1024 : 4096;
  if (id == 2) test::thunked_call(d, &deep_then_spin, nullptr);
  if (id == 4) std::memset(const_cast<uint8_t*>(d.thunk().block()), 0, 4);
  test::thunked_call(d, &use_stack, &n);
  rec("max_usage", stack_thunk_light_get_max_usage());
  rec("host_peak", d.thunk().last_peak_host());
  stack_thunk_light_del_ref();
  rec("released", !d.thunk().held());
  for (;;) delay(1000);
}

}  // namespace

TEST_CASE("thunk block: overflowing the firmware's thunk size resets only that device, with the core's record") {
  g_recs.clear();
  g_resets.clear();
  FleetOptions o;
  o.mode = RunMode::fast;
  o.duration = VTime::from_s(8);
  o.program = Program{"thunk", &thunk_program};
  o.device_log = std::make_shared<spdlog::logger>("thunk", std::make_shared<spdlog::sinks::null_sink_mt>());
  o.on_crash = [](Device& d, ResetReason reason_code, const std::string& summary, const std::string& record) {
    int reason = reset_code(reason_code);
    g_resets.push_back({d.id(), reason, summary, record});
  };
  Fleet eng(o, 5, 16384);
  DeviceConfig c;
  c.cpu_mhz = 80;
  c.heap_bytes = 16384;
  c.tls_enabled = false;
  std::vector<Device*> devs;
  for (uint32_t i = 0; i < 5; ++i) devs.push_back(&eng.add_device(i, c, 1, {}, VTime{}));
  eng.run();
  CHECK(!ThunkStack::in_use());

  // Device 0: smashed at each boot, rebooted each time; its block was the firmware's 2000 B.
  const Device& smashed = *devs[0];
  CHECK(smashed.life().boots() >= 2);
  CHECK(smashed.thunk().figures().size == 2000);
  CHECK(smashed.thunk().figures().peak_host >= 4096);
  CHECK(smashed.thunk().figures().peak_target > 2000);
  REQUIRE(!test::crash_reasons(smashed).empty());
  CHECK(test::crash_reasons(smashed)[0].find("BSSL stack smashing") == 0);
  const Reset* r0 = nullptr;
  for (auto& r : g_resets)
    if (r.device == 0) r0 = &r;
  REQUIRE(r0);
  CHECK(r0->reason == reset_code(ResetReason::stack_smash));
  for (const char* line : {"FATAL ERROR: BSSL stack smashing detected", "PANIC: Stack overrun",
                           "CUT HERE FOR EXCEPTION DECODER", "Stack overflow detected.",
                           "Exception (5):", ">>>stack>>>", "ctx: bearssl", "ctx: cont", "<<<stack<<<", "rst cause:2"})
    CHECK_MESSAGE(r0->record.find(line) != std::string::npos, line);
  bool survived0 = false;
  for (auto& r : g_recs) survived0 |= r.device == 0 && r.what == "max_usage";
  CHECK(!survived0);

  // Device 1: the same call fits in 8000 B; its figures are reported.
  const Device& fits = *devs[1];
  CHECK(fits.life().boots() == 1);
  CHECK(test::crash_reasons(fits).empty());
  CHECK(fits.thunk().figures().size == 8000);
  CHECK(fits.thunk().figures().peak_host >= 4096);
  CHECK(fits.thunk().figures().peak_host <= 4096 + 1024);
  CHECK(fits.thunk().figures().peak_target == estimate_target_bytes(fits.thunk().figures().peak_host));
  CHECK(find(1, "max_usage") == fits.thunk().figures().peak_target);  // what the chip's get_max_usage says
  CHECK(find(1, "host_peak") == fits.thunk().figures().peak_host);
  CHECK(find(1, "released") == 1);

  // Device 2: soft WDT inside the thunked call; the record shows both stacks.
  const Device& spun = *devs[2];
  CHECK(spun.life().boots() >= 2);
  REQUIRE(!test::crash_reasons(spun).empty());
  CHECK(test::crash_reasons(spun)[0].find("Soft WDT reset") == 0);
  const Reset* r2 = nullptr;
  for (auto& r : g_resets)
    if (r.device == 2 && !r2) r2 = &r;
  REQUIRE(r2);
  CHECK(r2->reason == reset_code(ResetReason::soft_wdt));
  CHECK(r2->record.find("ctx: bearssl") != std::string::npos);
  CHECK(r2->record.find("ctx: cont") != std::string::npos);
  CHECK(r2->record.find("ctx: bearssl") < r2->record.find("ctx: cont"));

  // Device 3 ran after device 2 abandoned the shared stack 8 KB deep: its 1 KB call measures clean.
  const Device& after = *devs[3];
  CHECK(test::crash_reasons(after).empty());
  CHECK(after.thunk().figures().peak_host >= 1024);
  CHECK(after.thunk().figures().peak_host <= 1024 + 1024);

  // Device 4: the firmware overwrote the canary; the check after the next call catches it.
  const Device& corrupt = *devs[4];
  REQUIRE(!test::crash_reasons(corrupt).empty());
  CHECK(test::crash_reasons(corrupt)[0].find("BSSL stack smashing") == 0);
  CHECK(corrupt.thunk().figures().peak_target < 6000);
}
