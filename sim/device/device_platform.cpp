// sim/device_platform.cpp — the platform calls of the current device: clock, heap, flash, log,
// TCP and the thunk boundary. Host work here runs inside a HostSection so that it allocates
// from the host, never from the device's heap.
#include "device_platform.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "bearssl_cost.h"
#include "cost_model.h"
#include "crash_record.h"
#include "engine.h"
#include "heap_events.h"
#include "heap_tags.h"
#include "net_socket.h"
#include "target_sizes.h"
#include "thunk_stack.h"

namespace espfleet {

Device& DevicePlatform::dev() {
  Device* d = eng_.current();
  if (!d) {
    spdlog::critical("platform call outside a device fiber");
    std::abort();
  }
  return *d;
}

uint64_t DevicePlatform::cycles() { return dev().cycles; }
uint32_t DevicePlatform::cpu_mhz() { return dev().mhz(); }
void DevicePlatform::charge(uint32_t c) { dev().charge(c); }

void DevicePlatform::delay_ms(uint32_t ms) {
  Device& d = dev();
  HostSection host;
  d.charge(cost::kYieldUs * d.mhz());
  eng_.park_until(d, d.now() + VTime::from_ms(ms));
}

void DevicePlatform::yield() {
  Device& d = dev();
  HostSection host;
  d.charge(cost::kYieldUs * d.mhz());
  eng_.park_until(d, d.now());
}

namespace {
// Tells the heap observer (espfleet profile), if one is set.
void observe(Device& d, HeapEvent::Kind kind, const char* file, int line, size_t size, const void* p,
             const void* old, uint32_t before) {
  if (const HeapObserver& o = heap_observer()) {
    HostSection host;
    o(d, HeapEvent{kind, file, line, size, p, old, before, d.heap().free_bytes()});
  }
}

// A device allocation failed: counted, and remembered for the post-mortem's alloc line.
void note_failed(Device& d, const char* file, int line, size_t charged) {
  d.stats.oom_count++;
  d.last_failed_alloc = FailedAlloc{file, line, nullptr, uint32_t(std::min<size_t>(charged, UINT32_MAX))};
}
}  // namespace

void* DevicePlatform::heap_malloc(size_t size, const char* file, int line) {
  Device& d = dev();
  d.charge(cost::kMalloc);
  uint32_t before = d.heap().free_bytes();
  size_t charged = target_size_of(size);  // the chip's request for a listed type (target_sizes.h)
  void* p = d.heap().malloc(charged, size);
  if (!p && size) note_failed(d, file, line, charged);
  d.heap_tags.set(d.heap(), p, heap_tag_for(file, size));
  d.note_heap();
  observe(d, HeapEvent::alloc, file, line, charged, p, nullptr, before);
  return p;
}

void* DevicePlatform::heap_calloc(size_t count, size_t size, const char* file, int line) {
  Device& d = dev();
  d.charge(cost::kMalloc);
  uint32_t before = d.heap().free_bytes();
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;  // fails, as umm_calloc's
  size_t charged = target_size_of(total);
  void* p = d.heap().zalloc(charged, total);
  if (!p && count && size) note_failed(d, file, line, charged);
  d.heap_tags.set(d.heap(), p, heap_tag_for(file, total));
  d.note_heap();
  observe(d, HeapEvent::alloc, file, line, charged, p, nullptr, before);
  return p;
}

void* DevicePlatform::heap_realloc(void* ptr, size_t size, const char* file, int line) {
  Device& d = dev();
  d.charge(cost::kMalloc);
  uint32_t before = d.heap().free_bytes();
  size_t charged = target_size_of(size);
  uint32_t old_block = HeapTags::block_of(d.heap(), ptr);
  HeapTag tag = d.heap_tags.get(old_block);
  void* p = d.heap().realloc(ptr, charged, size);
  if (!p && size) note_failed(d, file, line, charged);
  if ((p || size == 0) && old_block) d.heap_tags.erase(old_block);  // moved, resized in place or freed
  if (p) d.heap_tags.set(d.heap(), p, ptr ? tag : heap_tag_for(file, size));  // the owner stays
  d.note_heap();
  observe(d, HeapEvent::resize, file, line, charged, p, ptr, before);
  return p;
}

void DevicePlatform::heap_free(void* ptr, const char* file, int line) {
  Device& d = dev();
  d.charge(cost::kFree);
  uint32_t before = d.heap().free_bytes();
  d.heap_tags.erase(d.heap(), ptr);
  d.heap().free(ptr);
  observe(d, HeapEvent::release, file, line, 0, ptr, nullptr, before);
}

uint32_t DevicePlatform::heap_free_bytes() { return dev().heap().free_bytes(); }
uint32_t DevicePlatform::heap_max_block() { return dev().heap().max_free_block(); }
uint8_t DevicePlatform::heap_fragmentation() { return uint8_t(dev().heap().fragmentation()); }

// operator new failed (sim/device_new.cpp has recorded its caller): the core's
// __unhandled_exception("OOM") post-mortem, with the stacks and the last failed allocation.
void DevicePlatform::oom_abort(size_t size) {
  Device& d = dev();
  HostSection host;
  if (!d.last_failed_alloc.any())
    d.last_failed_alloc = FailedAlloc{nullptr, 0, __builtin_return_address(0), uint32_t(std::min<size_t>(size, UINT32_MAX))};
  const void* sp = __builtin_frame_address(0);
  std::string record = postmortem_oom(device_stacks(d, thunk_depth_estimate(sp), cont_depth_estimate(d, sp), 0),
                                      last_failed_alloc_line(d), last_failed_alloc_address(d));
  d.crash_note = last_failed_alloc_note(d);
  eng_.crash(d, kResetSwException, "Unhandled C++ exception: OOM (last failed alloc size " + std::to_string(size) + ")",
             record + rom_boot_banner(kResetSwException));
}

uint32_t DevicePlatform::chip_id() { return dev().chip_id(); }

void DevicePlatform::restart() {
  Device& d = dev();
  HostSection host;
  eng_.crash(d, 4, "ESP.restart()");
}

uint32_t DevicePlatform::random32() { return dev().rng_tls.next32(); }

void DevicePlatform::log_write(const char* text, size_t len) {
  Device& d = dev();
  HostSection host;
  eng_.log().info("[{:>11.6f}] dev {} {}", d.now().seconds(), d.id(), std::string_view(text, len));
  if (eng_.options().on_serial_line) eng_.options().on_serial_line(d, text, len);
}

bool DevicePlatform::flash_read(uint32_t addr, void* data, size_t size) {
  Device& d = dev();
  if (uint64_t(addr) + size > d.flash.size()) return false;
  std::memcpy(data, d.flash.data() + addr, size);
  return true;
}

bool DevicePlatform::flash_write(uint32_t addr, const void* data, size_t size) {
  Device& d = dev();
  if (uint64_t(addr) + size > d.flash.size()) return false;
  // NOR flash: writing can only clear bits.
  auto* dst = d.flash.data() + addr;
  auto* src = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) dst[i] &= src[i];
  d.charge(size * 20);
  return true;
}

bool DevicePlatform::flash_erase_sector(uint32_t sector) {
  Device& d = dev();
  uint64_t start = uint64_t(sector) * 4096;
  if (start + 4096 > d.flash.size()) return false;
  std::memset(d.flash.data() + start, 0xFF, 4096);
  d.charge(uint64_t(d.mhz()) * 30000);  // ~30 ms sector erase
  return true;
}

int DevicePlatform::tcp_connect(const char* host, uint16_t port, uint32_t timeout_ms) {
  Device& d = dev();
  HostSection h;
  return socket_connect(eng_, d, host, port, timeout_ms);
}
size_t DevicePlatform::tcp_write(int hd, const uint8_t* buf, size_t len) {
  Device& d = dev();
  HostSection h;
  return socket_write(eng_, d, hd, buf, len);
}
int DevicePlatform::tcp_available(int hd) {
  Device& d = dev();
  HostSection h;
  return socket_available(eng_, d, hd);
}
int DevicePlatform::tcp_read(int hd, uint8_t* buf, size_t len) {
  Device& d = dev();
  HostSection h;
  return socket_read(eng_, d, hd, buf, len);
}
int DevicePlatform::tcp_peek(int hd) {
  Device& d = dev();
  HostSection h;
  return socket_peek(eng_, d, hd);
}
bool DevicePlatform::tcp_flush(int hd, uint32_t timeout_ms) {
  Device& d = dev();
  HostSection h;
  return socket_flush(eng_, d, hd, timeout_ms);
}
bool DevicePlatform::tcp_connected(int hd) {
  Device& d = dev();
  HostSection h;
  return socket_connected(eng_, d, hd);
}
void DevicePlatform::tcp_close(int hd) {
  Device& d = dev();
  HostSection h;
  socket_close(eng_, d, hd);
}
bool DevicePlatform::host_by_name(const char* host, uint32_t* ipv4) {
  HostSection h;
  return resolve_host(host, ipv4);
}

bool DevicePlatform::thunk_acquire(uint32_t size_bytes) {
  Device& d = dev();
  if (d.thunk_block) return true;  // already held (refcount 1 is all the firmware uses)
  uint32_t before = d.heap().free_bytes();
  void* p = d.heap().malloc(size_bytes);
  d.heap_tags.set(d.heap(), p, HeapTag::thunk);
  d.note_heap();
  observe(d, HeapEvent::alloc, "StackThunk.cpp", 0, size_bytes, p, nullptr, before);
  if (!p) {
    note_failed(d, "StackThunk.cpp", 0, size_bytes);
    return false;
  }
  thunk_block_adopt(d, p, size_bytes);  // painted; its lowest word is the canary
  return true;
}

void DevicePlatform::thunk_release() {
  Device& d = dev();
  if (!d.thunk_block) return;
  void* p = d.thunk_block;
  thunk_block_forget(d);
  d.heap_tags.erase(d.heap(), p);
  d.heap().free(p);
}

// Charges the engine's work and installs the cost hooks; thunk_call runs the call itself.
void DevicePlatform::thunk_enter(void* engine) {
  Device& d = dev();
  d.charge(cost::cycles(cost::kEngineCall, d.mhz()));
  install_cost_hooks(engine, d.thunk_block != nullptr);  // the firmware holds the thunk while it handshakes
}

void DevicePlatform::thunk_leave(void*) {}

void DevicePlatform::thunk_call(void* engine, void (*fn)(void*), void* arg) {
  thunk_enter(engine);
  thunk_block_call(eng_, dev(), fn, arg);  // on the thunk stack; may reset the device after it
}

// What the chip's stack_thunk_get_max_usage() would say: the last handshake's deepest call in
// estimated target bytes (sim/thunk_stack.h); the host bytes are in devices.jsonl.
uint32_t DevicePlatform::thunk_max_usage() { return thunk_block_max_usage(dev()); }

}  // namespace espfleet
