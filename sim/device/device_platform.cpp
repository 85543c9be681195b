// sim/device/device_platform.cpp — a device's platform calls: clock, heap, flash, console, TCP and
// the thunk boundary. Host work here runs inside a HostSection so that it allocates from the
// host, never from the device's heap; what it costs the device is charged from the cost model.
#include "device_platform.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <cstring>

#include "FS.h"
#include "alloc_scope.h"
#include "bearssl_cost.h"
#include "cost_model.h"
#include "device.h"
#include "device_resets.h"
#include "flash_image.h"
#include "scheduler.h"
#include "target_sizes.h"
#include "tcp_socket.h"

namespace espfleet {

namespace {
const HeapSite kThunkSite{"StackThunk.cpp", 0};
const HeapSite kLoopTaskSite{"loopTask", 0};  // xTaskCreate's stack and TCB (ESP32)

// A firmware allocation of `size` host bytes charged `charge`, owned by its call site.
HeapRequest request(size_t size, size_t charge, const char* file, int line) {
  return HeapRequest{size, charge, heap_tag_for(file, size), HeapSite{file, line}};
}
// ... charged the chip's size for a listed type (target_sizes.h).
HeapRequest request(size_t size, const char* file, int line) { return request(size, target_size_of(size), file, line); }
}  // namespace

uint64_t DevicePlatform::cycles() {
  effect();
  return d_.clock().cycles();
}
uint32_t DevicePlatform::cpu_mhz() { return d_.clock().mhz(); }

// A boot: what the device held in RAM is gone (a probe under way, the time, EEPROM's copy, timers).
void DevicePlatform::boot() {
  probing_ = false;
  handshaking_ = false;  // a reset ends any handshake under way
  // The time is lost with the reset; the built-in firmware's is the network's from boot (Tasmota's
  // own NTP exchange is not modelled, as its Wi-Fi is not).
  sntp_answer_ms_ = d_.program().clock_from_boot ? 0 : UINT64_MAX;
  eeprom_ = EspEeprom{};  // and EEPROM's RAM copy with the heap
  timers_.clear();        // and the timers the sketch armed
  d_.net().set_effect_guard(nullptr);
  // A FreeRTOS chip creates the loop task at startup: its stack (painted, as ESP-IDF's FreeRTOS
  // does for the high-water mark), then its TCB, both from the heap.
  loop_stack_ = nullptr;
  loop_refs_ = 0;
  loop_stack_peak_ = 0;
  if (const uint32_t tcb = d_.chip().task_tcb_bytes) {
    const uint32_t bytes = d_.program_stack_bytes();
    loop_stack_ = d_.heap().malloc(HeapRequest{bytes, bytes, HeapTag::other, kLoopTaskSite, false});
    if (loop_stack_) std::memset(loop_stack_, 0xa5, bytes);
    d_.heap().malloc(HeapRequest{tcb, tcb, HeapTag::other, kLoopTaskSite, false});
  }
}

void DevicePlatform::charge(uint32_t c) { d_.clock().charge(c); }

// Every charge goes through the clock's charge(), so the work clock scales them all there: heap
// calls, TCP calls, clock reads and whatever a handshake step is charged (sim/engine/cycle_clock.h).
uint32_t DevicePlatform::cpu_boost(uint32_t mhz) {
  effect();
  return d_.clock().set_work_mhz(mhz);
}

void DevicePlatform::delay_ms(uint32_t ms) {
  effect();
  // On an ESP-IDF chip Tasmota's delay() feeds the loop task's watchdog before the wait and after
  // it, not during it: a delay longer than the timeout ends in the task watchdog's panic, with
  // the loop task blocked (IDLE running).
  Watchdog& wdt = d_.watchdog();
  const bool idf = wdt.set() == WatchdogSet::esp_idf;
  if (idf && ms) wdt.feed();
  d_.clock().charge(cost::kYieldUs * d_.clock().mhz());
  VTime wake = d_.now() + VTime::from_ms(ms);
  bool starves = false;
  if (idf) {
    wdt.hold(true);
    if (const uint64_t due = wdt.task_due(); due != UINT64_MAX && cycles_to_time(due, d_.clock().mhz()) < wake) {
      wake = cycles_to_time(due, d_.clock().mhz());
      starves = true;
    }
  }
  // The system runs while the sketch sleeps: a timer due before the wake fires at its time.
  VTime due{};
  while (next_timer(&due) && due < wake) {
    {
      HostSection host;
      d_.sched().park_until(d_.task(), due, d_.waits_on());
    }
    run_due_timers();
  }
  {
    HostSection host;
    d_.sched().park_until(d_.task(), wake, d_.waits_on());
  }
  if (idf) {
    wdt.hold(false);
    if (starves) reset_on_watchdog(d_, true);
    wdt.feed();
  }
  run_due_timers();
}

void DevicePlatform::yield() {
  before_effect();  // a turn for the system: not counted (every loop pass ends with one)
  {
    HostSection host;
    d_.clock().charge(cost::kYieldUs * d_.clock().mhz());
    d_.sched().park_until(d_.task(), d_.now(), d_.waits_on());
  }
  run_due_timers();
}

void DevicePlatform::timer_arm(void* arg, void (*fire)(void*), uint32_t ms, bool repeat) {
  effect();
  HostSection host;
  timer_disarm(arg);
  const uint64_t cycles = uint64_t(ms) * d_.clock().mhz() * 1000u;
  // The SDK's timers tick in milliseconds; a repeating timer of 0 ms would never let the device run.
  timers_.push_back(SoftTimer{arg, fire, d_.clock().cycles() + cycles, repeat ? std::max<uint64_t>(cycles, 1) : 0});
}

void DevicePlatform::timer_disarm(void* arg) {
  effect();
  std::erase_if(timers_, [arg](const SoftTimer& t) { return t.arg == arg; });
}

bool DevicePlatform::next_timer(VTime* due) const {
  if (timers_.empty()) return false;
  uint64_t first = UINT64_MAX;
  for (const SoftTimer& t : timers_) first = std::min(first, t.due);
  *due = cycles_to_time(first, d_.clock().mhz());
  return true;
}

int DevicePlatform::run_due_timers() {
  int ran = 0;
  // The earliest due first; a callback may arm or disarm timers, so the list is read afresh.
  for (; ran < 64; ++ran) {
    auto it = std::min_element(timers_.begin(), timers_.end(),
                               [](const SoftTimer& a, const SoftTimer& b) { return a.due < b.due; });
    if (it == timers_.end() || it->due > d_.clock().cycles()) break;
    const SoftTimer t = *it;
    if (t.period)
      it->due += t.period;
    else
      timers_.erase(it);
    ++timers_fired_;
    t.fire(t.arg);
  }
  return ran;
}

void DevicePlatform::optimistic_yield(uint32_t interval_us) {
  if (probing_) return;  // a probe pass runs in no slice of its own
  const uint64_t now = d_.clock().cycles();
  if (d_.task().slices() != seen_slice_) {  // resumed since: the slice's run starts counting here
    seen_slice_ = d_.task().slices();
    slice_cycles_ = now;
  }
  if (now - slice_cycles_ >= uint64_t(interval_us) * d_.clock().mhz()) yield();
}

void* DevicePlatform::heap_malloc(size_t size, const char* file, int line) {
  effect();
  d_.clock().charge(cost::kMalloc);
  return d_.heap().malloc(request(size, file, line));
}

void* DevicePlatform::heap_calloc(size_t count, size_t size, const char* file, int line) {
  effect();
  d_.clock().charge(cost::kMalloc);
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;  // fails, as umm_calloc's
  return d_.heap().zalloc(request(total, file, line));
}

void* DevicePlatform::heap_realloc(void* ptr, size_t size, const char* file, int line) {
  effect();
  d_.clock().charge(cost::kMalloc);
  return d_.heap().realloc(ptr, request(size, file, line));
}

void* DevicePlatform::heap_malloc_sized(size_t host_bytes, size_t chip_bytes, const char* file, int line) {
  effect();
  d_.clock().charge(cost::kMalloc);
  return d_.heap().malloc(request(host_bytes, chip_bytes, file, line));
}

void* DevicePlatform::heap_realloc_sized(void* ptr, size_t host_bytes, size_t chip_bytes, const char* file, int line) {
  effect();
  d_.clock().charge(cost::kMalloc);
  return d_.heap().realloc(ptr, request(host_bytes, chip_bytes, file, line));
}

void DevicePlatform::heap_free(void* ptr, const char* file, int line) {
  effect();
  d_.clock().charge(cost::kFree);
  d_.heap().free(ptr, HeapSite{file, line});
}

uint32_t DevicePlatform::heap_free_bytes() { return d_.heap().model().free_bytes(); }
bool DevicePlatform::heap_holds(const void* p) { return d_.heap().contains(p); }
void* DevicePlatform::program_rom(size_t bytes) {
  if (rom_bytes_ < bytes) {
    HostSection host;                               // the simulator's memory, not the device heap's
    rom_.reset(new (std::nothrow) uint8_t[bytes]);  // untouched pages stay virtual
    rom_bytes_ = rom_ ? bytes : 0;
  }
  return rom_.get();
}
uint32_t DevicePlatform::heap_size() { return uint32_t(d_.heap().size()); }
uint32_t DevicePlatform::heap_min_free() { return d_.heap().model().minimum_free_bytes(); }
const char* DevicePlatform::chip_model() { return d_.chip().kind == Chip::esp32c3 ? "ESP32-C3" : "ESP8266"; }
uint32_t DevicePlatform::heap_max_block() { return d_.heap().model().max_free_block(); }
uint8_t DevicePlatform::heap_fragmentation() { return uint8_t(d_.heap().model().fragmentation()); }

void DevicePlatform::oom_abort(size_t size) {
  reset_out_of_memory(d_, size, __builtin_return_address(0), __builtin_frame_address(0));
}

void DevicePlatform::abort_called(const char* why) { reset_abort(d_, why, __builtin_frame_address(0)); }

uint32_t DevicePlatform::chip_id() { return d_.identity().chip_id; }

void DevicePlatform::deep_sleep(uint64_t us) {
  effect();
  HostSection host;
  // 0: until the reset pin; nothing presses it in a run, so the device sleeps past its end.
  d_.deep_sleep(us ? VTime::from_us(int64_t(std::min<uint64_t>(us, uint64_t(INT64_MAX / 1000)))) : VTime::from_s(1e9));
}

uint8_t DevicePlatform::reset_reason() { return uint8_t(reset_code(d_.life().last_reset())); }

void DevicePlatform::restart() {
  effect();
  HostSection host;
  d_.reset(ResetReason::soft_restart, "ESP.restart()");
}

uint32_t DevicePlatform::random32() {
  effect();
  return d_.hardware_rng().next32();
}

void DevicePlatform::wdt_feed() { d_.watchdog().feed(); }
void DevicePlatform::wdt_enable_soft(bool on) { d_.watchdog().enable_soft(on); }
void DevicePlatform::interrupts_enabled(bool on) { d_.watchdog().set_interrupts(on); }

// The UART: the console's line buffer is the simulator's, never the device heap's.
void DevicePlatform::serial_write(const char* bytes, size_t len) {
  effect();
  HostSection host;
  d_.serial_write(bytes, len);
}

void DevicePlatform::serial_flush() {
  effect();
  HostSection host;
  d_.serial_flush();
}

// The chip's flash (kFlashBytes): the image the device booted with holds its first sectors; past
// them the flash is erased (0xFF) until something writes there, and the image grows to hold it.
bool DevicePlatform::flash_read(uint32_t addr, void* data, size_t size) {
  const std::vector<uint8_t>& flash = d_.flash();
  if (uint64_t(addr) + size > kFlashBytes) return false;
  const size_t held = addr < flash.size() ? std::min(size, flash.size() - addr) : 0;
  if (held) std::memcpy(data, flash.data() + addr, held);
  std::memset(static_cast<uint8_t*>(data) + held, 0xFF, size - held);
  return true;
}

bool DevicePlatform::flash_write(uint32_t addr, const void* data, size_t size) {
  effect();
  std::vector<uint8_t>& flash = d_.flash();
  if (uint64_t(addr) + size > kFlashBytes) return false;
  if (addr + size > flash.size()) {
    HostSection host;
    flash.resize((addr + size + 4095) / 4096 * 4096, 0xFF);
  }
  // NOR flash: writing can only clear bits.
  auto* dst = flash.data() + addr;
  auto* src = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) dst[i] &= src[i];
  d_.clock().charge(size * 20);
  return true;
}

bool DevicePlatform::flash_erase_sector(uint32_t sector) {
  effect();
  std::vector<uint8_t>& flash = d_.flash();
  const uint64_t start = uint64_t(sector) * 4096;
  if (start + 4096 > kFlashBytes) return false;
  if (start < flash.size()) std::memset(flash.data() + start, 0xFF, std::min<uint64_t>(4096, flash.size() - start));
  d_.clock().pass(uint64_t(d_.clock().mhz()) * 30000);  // ~30 ms sector erase, at any CPU clock
  return true;
}

// The file region: read into files, changed, written back whole (a few small files: a certificate,
// a key, a configuration). The chip's LittleFS writes only the blocks it changes; the time charged
// is the region's erase and write, an upper bound.
namespace {
std::string rooted(const char* path) { return path[0] == '/' ? std::string(path) : "/" + std::string(path); }
}  // namespace

bool DevicePlatform::fs_rewrite(const std::vector<FlashFile>& files) {
  std::vector<uint8_t>& flash = d_.flash();
  const size_t before = flash.size();
  std::vector<uint8_t> next(flash.begin(), flash.begin() + std::min<size_t>(flash.size(), kFsFlashAddr));
  try {
    append_file_region(next, files);
  } catch (const std::invalid_argument&) {
    return false;
  }
  if (next.size() > kFlashBytes) return false;
  const size_t old_region = before > kFsFlashAddr ? before - kFsFlashAddr : 0, region = next.size() - kFsFlashAddr;
  const uint64_t sectors = (std::max(old_region, region) + 4095) / 4096;
  d_.clock().pass(sectors * uint64_t(d_.clock().mhz()) * 30000);  // as flash_erase_sector
  d_.clock().charge(region * 20);                                 // as flash_write
  flash = std::move(next);
  return true;
}

bool DevicePlatform::fs_store(const char* path, const uint8_t* data, size_t len, bool append) {
  effect();
  HostSection host;
  if (!path || !*path) return false;
  std::vector<FlashFile> files = read_file_region(d_.flash());
  const std::string name = rooted(path);
  auto it = std::find_if(files.begin(), files.end(), [&](const FlashFile& f) { return f.path == name; });
  if (it == files.end()) it = files.insert(files.end(), FlashFile{name, {}});
  if (!append) it->bytes.clear();
  it->bytes.insert(it->bytes.end(), data, data + len);
  return fs_rewrite(files);
}

bool DevicePlatform::fs_remove(const char* path) {
  effect();
  HostSection host;
  std::vector<FlashFile> files = read_file_region(d_.flash());
  if (!path) return fs_rewrite({});
  const std::string name = rooted(path);
  const size_t n = std::erase_if(files, [&](const FlashFile& f) { return f.path == name; });
  return n && fs_rewrite(files);
}

bool DevicePlatform::fs_rename(const char* from, const char* to) {
  effect();
  HostSection host;
  if (!from || !to || !*to) return false;
  std::vector<FlashFile> files = read_file_region(d_.flash());
  const std::string a = rooted(from), b = rooted(to);
  auto it = std::find_if(files.begin(), files.end(), [&](const FlashFile& f) { return f.path == a; });
  if (it == files.end()) return false;
  std::erase_if(files, [&](const FlashFile& f) { return f.path == b; });
  it = std::find_if(files.begin(), files.end(), [&](const FlashFile& f) { return f.path == a; });
  it->path = b;
  return fs_rewrite(files);
}

// The station's status, address and RSSI are pure queries (they change only at the times
// WifiStation::next_change gives); so is an input pin, which reads its pull.
void DevicePlatform::wifi_begin() {
  effect();
  d_.wifi().begin(d_.now());
}
void DevicePlatform::wifi_disconnect() {
  effect();
  d_.wifi().disconnect();
}
void DevicePlatform::sntp_start() {
  effect();
  if (sntp_answer_ms_ == UINT64_MAX) sntp_answer_ms_ = d_.clock().cycles() / d_.clock().mhz() / 1000u + kSntpReplyMs;
}

bool DevicePlatform::sntp_utc_us(uint64_t* us) {
  const uint64_t now_us = d_.clock().cycles() / d_.clock().mhz();
  const uint32_t utc_at_boot = flash_utc_at_boot(d_.flash());  // what the network's time says (the run's)
  if (sntp_answer_ms_ == UINT64_MAX || now_us / 1000u < sntp_answer_ms_ || utc_at_boot == 0) return false;
  // The scenario's clock jumps move it (a wrong NTP answer, an RTC reset); never before 1970.
  *us = uint64_t(std::max<int64_t>(0, int64_t(utc_at_boot) * 1000000 + int64_t(now_us) + d_.clock_shift_us()));
  return true;
}

uint8_t DevicePlatform::wifi_status() { return d_.wifi().status(d_.now()); }
uint32_t DevicePlatform::wifi_ip() { return d_.wifi().ip(d_.now()); }
int32_t DevicePlatform::wifi_rssi() { return d_.wifi().rssi(d_.now()); }
void DevicePlatform::gpio_mode(uint8_t pin, uint8_t mode) {
  effect();
  d_.gpio().set_mode(pin, mode);
}
void DevicePlatform::gpio_write(uint8_t pin, uint8_t level) {
  effect();
  d_.gpio().write(pin, level);
}
// An input pin reads the scenario's signal while one of its windows is open, else its pull.
int DevicePlatform::gpio_read(uint8_t pin) {
  const std::vector<GpioInput>& in = d_.config().gpio_inputs;
  if (d_.gpio().mode(pin) != GpioPins::kOutput)
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i].pin == pin && input_schedule(i).open_at(d_.now()) >= 0) return in[i].level;
  return d_.gpio().read(pin);
}

WindowSchedule DevicePlatform::input_schedule(size_t i) const {
  const uint64_t seed = mix_seed(d_.identity().seed, uint64_t(SeedPurpose::gpio_input));
  return window_schedule(d_.config().gpio_inputs[i].when, mix_seed(seed, i));
}

namespace {
bool is_ipv4_literal(const char* host) {
  in_addr a{};
  return host && inet_pton(AF_INET, host, &a) == 1;
}
}  // namespace

const char* SketchNetwork::route(const char* to_host, uint16_t* port) const {
  if (*port == 1883 && mqtt_port)
    *port = mqtt_port;
  else if (*port == 8883 && mqtts_port)
    *port = mqtts_port;
  if (is_ipv4_literal(to_host) && std::strncmp(to_host, "127.", 4) == 0) return to_host;
  return host.c_str();
}

// The scenario's sketch.hosts: a name mapped to none does not resolve (nor connect); during a
// dns_failure fault no name does (an address needs no lookup).
bool DevicePlatform::host_unresolvable(const char* host) const {
  if (d_.dns_failing() && !is_ipv4_literal(host)) return true;
  for (const HostMapping& h : d_.config().hosts)
    if (h.to == HostMapping::To::nowhere && strcasecmp(h.name.c_str(), host) == 0) return true;
  return false;
}

EspTcp* DevicePlatform::tcp_connect(const char* host, uint16_t port, uint32_t timeout_ms) {
  if (!d_.wifi().connected(d_.now())) return nullptr;  // no station, no route (lwIP's ERR_RTE)
  if (host_unresolvable(host)) return nullptr;         // the core's connect(name): its DNS failed
  if (const SketchNetwork* n = d_.env().sketch_net) host = n->route(host, &port);
  return d_.net().connect(host, port, timeout_ms);
}

void DevicePlatform::net_looked() { d_.net().counters().looks++; }

bool DevicePlatform::host_by_name(const char* host, uint32_t* ipv4) {
  effect();
  HostSection h;
  if (host_unresolvable(host)) return false;
  if (const SketchNetwork* n = d_.env().sketch_net; n && !is_ipv4_literal(host)) host = n->host.c_str();
  return resolve_host(host, ipv4);
}

bool DevicePlatform::thunk_acquire(uint32_t size_bytes) {
  effect();
  if (!d_.chip().thunk) {  // no second stack: BearSSL runs on the loop task's
    ++loop_refs_;
    return true;
  }
  if (d_.thunk().held()) {  // another holder: the block stays until the last one lets go
    d_.thunk().add_ref();
    return true;
  }
  void* p = d_.heap().malloc(HeapRequest{size_bytes, size_bytes, HeapTag::thunk, kThunkSite});
  if (!p) return false;
  d_.thunk().adopt(p, size_bytes);  // painted; its lowest word is the canary
  return true;
}

void DevicePlatform::thunk_release() {
  effect();
  if (!d_.chip().thunk) {
    if (loop_refs_) --loop_refs_;
    return;
  }
  if (!d_.thunk().release()) return;
  if (void* p = d_.thunk().forget()) d_.heap().free(p, kThunkSite);
}

uint32_t DevicePlatform::thunk_refs() { return d_.chip().thunk ? d_.thunk().refs() : loop_refs_; }

void DevicePlatform::tls_handshake_end(int error, uint32_t handshake_ms) {
  handshaking_ = false;
  d_.tls_handshake_end(error, handshake_ms);
}

// What the chip's stack_thunk_get_max_usage() would say: the last handshake's deepest call in
// estimated target bytes (sim/tls/thunk_block.h); the host bytes are in devices.jsonl.
uint32_t DevicePlatform::thunk_max_usage() { return d_.chip().thunk ? d_.thunk().max_usage() : 0; }

uint32_t DevicePlatform::stack_high_water_mark() {
  const uint32_t bytes = d_.program_stack_bytes();
  return loop_stack_peak_ < bytes ? bytes - loop_stack_peak_ : 0;
}

// Charges the engine's dispatch, installs the cost hooks (the firmware holds the thunk while it
// handshakes), and runs the call on the thunk stack; the block's canary may reset the device.
// Without a thunk (the ESP32-C3) the call runs on the loop task's stack: measured all the same,
// its estimated depth below the caller's frames is checked against the stack the task has, as
// ESP-IDF's hardware stack guard does.
void DevicePlatform::thunk_call(void* engine, void (*fn)(void*), void* arg) {
  effect();
  d_.clock().charge(d_.costs().costs().cycles(d_.costs().costs().engine_call, d_.clock().mhz()));
  const bool own_stack = !d_.chip().thunk;
  install_cost_hooks(engine, own_stack ? loop_refs_ > 0 : d_.thunk().held());
  const uint32_t caller = own_stack ? cont_depth_estimate(d_, __builtin_frame_address(0)) : 0;
  ThunkBlock::Call c = d_.thunk().call(fn, arg, d_.costs(), own_stack);
  if (c.smashed) reset_stack_smash(d_, c);
  if (own_stack) {
    const uint32_t depth = caller + c.target;
    loop_stack_peak_ = std::max(loop_stack_peak_, depth);
    if (depth > d_.program_stack_bytes()) reset_stack_overflow(d_, c, caller);
  }
}

}  // namespace espfleet
