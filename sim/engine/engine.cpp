// sim/engine.cpp — the scheduler loop: timers in virtual time, fibers, libuv I/O, reboots.
#include "engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "crash_record.h"
#include "device_platform.h"
#include "fault_guard.h"
#include "heap_timeline.h"
#include "net_socket.h"
#include "thunk_stack.h"
#include "watchdog.h"

namespace espfleet {

namespace {
thread_local Device* t_alloc_device = nullptr;
thread_local Engine* t_running = nullptr;  // set while one of its devices runs
constexpr VTime kBootTime = VTime::from_ms(300);        // reset → setup()
}  // namespace

Device* alloc_device() { return t_alloc_device; }
Engine* Engine::running() { return t_running; }
void set_alloc_device(Device* d) { t_alloc_device = d; }

Engine::Engine(EngineOptions opts, size_t max_devices, size_t max_heap_bytes)
    : opts_(std::move(opts)), arenas_(max_devices, opts_.stack_bytes, max_heap_bytes) {
  if (!opts_.program) throw std::invalid_argument("engine: no device program");
  if (!opts_.device_log) opts_.device_log = spdlog::default_logger();
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &guard_);
  platform_ = std::make_unique<DevicePlatform>(*this);
  esp_set_platform(platform_.get());
  devices_.reserve(max_devices);
}

Engine::~Engine() {
  for (auto& d : devices_) socket_close_all(*this, *d);
  uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
  for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT); ++i) {}
  uv_loop_close(&loop_);
  esp_set_platform(nullptr);
}

Device& Engine::add_device(uint32_t id, const DeviceConfig& cfg, uint64_t master_seed,
                           std::vector<uint8_t> flash, VTime boot_at) {
  size_t slot = devices_.size();
  if (slot >= arenas_.slots()) throw std::length_error("engine: more devices than arena slots");
  if (cfg.heap_bytes > arenas_.heap_bytes())
    throw std::invalid_argument("engine: device heap larger than the arena slot");
  auto d = std::make_unique<Device>(id, cfg, master_seed, arenas_.stack(slot), arenas_.stack_bytes(),
                                    arenas_.heap(slot));
  d->flash = std::move(flash);
  d->boot_at = boot_at;
  if (opts_.record_tapes) d->tape = std::make_unique<Tape>();
  Device& ref = *d;
  devices_.push_back(std::move(d));
  ref.advance_to(boot_at);
  boot(ref);
  return ref;
}

void Engine::boot(Device& d) {
  d.fiber.arm(d.stack_mem, d.stack_bytes, &Engine::fiber_entry, this);
  watchdog_arm(d, opts_.soft_wdt, opts_.hardware_wdt);
  d.stats.boots++;
  d.stats.state = "booting";
  if (d.timeline) d.timeline->mark(d.now(), HeapTimeline::kBoot, "boot " + std::to_string(d.stats.boots));
  schedule(d, d.now());
}

void Engine::fiber_entry(void* arg) {
  auto* eng = static_cast<Engine*>(arg);
  eng->opts_.program();  // the firmware never returns; if it does, the device restarts
  HostSection host;
  eng->crash(*eng->current_, 4, "firmware main returned");
}

VTime Engine::wall_now() const { return VTime::from_ns(int64_t(uv_hrtime() - wall_origin_ns_)); }
VTime Engine::now() const { return opts_.realtime ? wall_now() : virt_now_; }

void Engine::schedule(Device& d, VTime at) {
  d.wake_seq++;
  timers_.push(Timer{at, seq_++, &d, d.wake_seq});
}

namespace {
void check_not_in_thunk(const Device& d) {
  // BearSSL never yields inside an engine call; the shared thunk stack relies on it.
  if (ThunkStack::in_use()) {
    spdlog::critical("dev {}: a device parked inside a thunked BearSSL call", d.id());
    std::abort();
  }
}
}  // namespace

void Engine::suspend(Device& d) {
  d.slices++;
  d.fiber.suspend();
}

void Engine::park(Device& d, VTime t) {
  check_not_in_thunk(d);
  d.waiting_io = false;
  schedule(d, t);
  suspend(d);
  set_alloc_device(nullptr);  // parks happen inside a HostSection
}

void Engine::park_until(Device& d, VTime t) {
  park(d, t);
  watchdog_feed(d);  // the device yielded to the SDK
}

void Engine::park_io(Device& d, VTime deadline) {
  check_not_in_thunk(d);
  d.waiting_io = true;
  d.io_signalled = false;
  schedule(d, deadline);
  suspend(d);
  set_alloc_device(nullptr);
  d.waiting_io = false;
  watchdog_feed(d);
}

void Engine::signal_io(Device& d, VTime visible_at) {
  if (!d.waiting_io || d.io_signalled) return;
  d.io_signalled = true;
  schedule(d, std::max(visible_at, d.now()));
}

void Engine::sync_to_wall(Device& d) {
  if (replaying()) {
    while (replay_parks_here(d, ParkSite::sync, 0)) host_park(d, ParkSite::sync, 0, 0);
    return;
  }
  if (!opts_.realtime) return;
  if (d.now() > wall_now() + VTime::from_ms(1)) {  // host pacing: not a yield
    record_host_park(d, ParkSite::sync, 0);
    park(d, d.now());
  }
}

void Engine::record_host_park(Device& d, ParkSite site, uint32_t handle) {
  if (!d.tape) return;
  TapeEvent e;
  e.kind = TapeKind::host_park;
  e.slice = d.slices;
  e.handle = handle;
  e.status = int32_t(site);
  d.tape->record(e);
}

void Engine::host_park(Device& d, ParkSite site, uint32_t handle, uint64_t deadline_ns) {
  check_not_in_thunk(d);
  record_host_park(d, site, handle);
  d.held = true;
  d.hold_deadline_ns = deadline_ns;
  d.wake_seq++;  // no timer of its own while held
  if (!replaying()) held_.push_back(&d);
  suspend(d);
  set_alloc_device(nullptr);
}

void Engine::release(Device& d) {
  if (!d.held || replaying()) return;
  d.held = false;
  held_.erase(std::find(held_.begin(), held_.end(), &d));
  ready_.push_back(&d);
}

void Engine::expire_holds() {
  if (held_.empty()) return;
  uint64_t now = uv_hrtime();
  for (size_t i = 0; i < held_.size();) {
    Device* d = held_[i];
    if (now >= d->hold_deadline_ns) release(*d);
    else ++i;
  }
}

void Engine::tape_record(Device& d, TapeEvent e) {
  if (!d.tape) return;
  e.slice = d.slices;
  d.tape->record(e);
}

const TapeEvent* Engine::tape_peek(Device& d) {
  if (!opts_.replay) return nullptr;
  const TapeEvent* e = opts_.replay->peek();
  if (!e && !opts_.replay->error().empty()) diverge(d, "the tape is damaged: " + opts_.replay->error());
  return e;
}
void Engine::tape_pop(Device&) {
  if (opts_.replay) opts_.replay->pop();
}

bool Engine::replay_parks_here(Device& d, ParkSite site, uint32_t handle) {
  const TapeEvent* e = tape_peek(d);
  if (!e || e->kind != TapeKind::host_park || e->slice != d.slices) return false;
  if (e->status != int32_t(site) || e->handle != handle) return false;
  tape_pop(d);
  return true;
}

bool Engine::replay_write(Device& d, uint32_t handle, uint64_t hash, uint32_t len, int* status) {
  const TapeEvent* e = tape_peek(d);
  if (!e) return true;  // past the tape's end: the write goes nowhere
  if (e->kind != TapeKind::write || e->slice != d.slices || e->handle != handle || e->hash != hash || e->length != len) {
    diverge(d, "it wrote " + std::to_string(len) + " bytes on socket " + std::to_string(handle) + " at slice " +
                   std::to_string(d.slices) + " where the tape has " +
                   (e->kind == TapeKind::write ? "a write of " + std::to_string(e->length) + " bytes on socket " +
                                                     std::to_string(e->handle) + " at slice " + std::to_string(e->slice)
                                               : "event kind " + std::to_string(int(e->kind)) + " at slice " + std::to_string(e->slice)));
    return false;
  }
  *status = e->status;
  tape_pop(d);
  return true;
}

void Engine::diverge(Device& d, const std::string& why) {
  if (divergence_.empty())
    divergence_ = "device " + std::to_string(d.id()) + " left its tape at " + std::to_string(d.now().seconds()) + " s: " + why;
  stop_ = true;
}

// Replay: the network events the live run saw while the device was parked after this suspension.
void Engine::apply_tape(Device& d) {
  while (const TapeEvent* e = tape_peek(d)) {
    if (e->slice > d.slices) break;
    if (e->kind == TapeKind::write || e->kind == TapeKind::host_park) {
      if (e->slice < d.slices)
        diverge(d, std::string("it did not reach its ") + (e->kind == TapeKind::write ? "write" : "host wait") +
                       " of slice " + std::to_string(e->slice) + " (now at slice " + std::to_string(d.slices) + ")");
      break;  // the device's own checkpoint: its next slice consumes it
    }
    std::string err = socket_apply_tape_event(*this, d, *e);
    if (!err.empty()) {
      diverge(d, err);
      break;
    }
    tape_pop(d);
  }
}

void Engine::crash(Device& d, int reason, const std::string& summary, const std::string& record) {
  d.reboot_reason = reason;
  d.crash_text = summary;
  d.crash_record = record;
  suspend(d);
  __builtin_unreachable();
}

const std::string& Engine::source_address_for(const Device& d) const {
  static const std::string none;
  if (opts_.source_addresses.empty()) return none;
  return opts_.source_addresses[d.id() % opts_.source_addresses.size()];
}

bool Engine::fire_due() {
  VTime now = this->now();
  bool any = false;
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    if (t.dev_seq != t.dev->wake_seq) continue;  // superseded
    t.dev->advance_to(t.at);
    if (opts_.realtime) {
      double lag = (now - t.at).ms_f();
      stats_.lag_max_ms = std::max(stats_.lag_max_ms, lag);
      if (lag > 50) stats_.lagged_wakeups++;
    }
    stats_.wakeups++;
    ready_.push_back(t.dev);
    any = true;
  }
  return any;
}

void Engine::run_device(Device& d) {
  current_ = &d;
  t_running = this;
  set_alloc_device(&d);
  bool in_handshake = d.thunk_block != nullptr;
  uint64_t t0 = uv_hrtime();  // fibers never block inside a slice: wall time is CPU time
  d.fiber.resume();
  uint64_t dt = uv_hrtime() - t0;
  set_alloc_device(nullptr);
  current_ = nullptr;
  t_running = nullptr;
  // A device that reset inside a thunked call left the shared thunk stack mid-call.
  if (ThunkStack::in_use()) ThunkStack::for_this_thread().abandon();
  d.stats.host_ns += dt;
  if (in_handshake || d.thunk_block) d.stats.host_handshake_ns += dt;
  if (d.fiber.stack_smashed() && !d.reboot_reason) {
    d.reboot_reason = 2;
    d.crash_text = "host fiber stack overflow (device stack canary overwritten)";
  }
  if (d.reboot_reason) reboot(d);
  if (replaying()) {
    apply_tape(d);
    if (d.held) {  // the live run held it here; the tape has what came meanwhile
      d.held = false;
      ready_.push_back(&d);
    }
    if (opts_.replay_end_slices && d.slices >= opts_.replay_end_slices) stop_ = true;
  }
}

void Engine::reboot(Device& d) {
  int reason = *d.reboot_reason;
  d.reboot_reason.reset();
  d.stats.stack_high_water = std::max<uint32_t>(d.stats.stack_high_water, uint32_t(d.fiber.stack_high_water()));
  std::string text = std::move(d.crash_text), record = std::move(d.crash_record);
  d.crash_text.clear();
  d.crash_record.clear();
  // The post-mortem, line by line, as the device's serial would show it; then the simulator's notes.
  auto log_lines = [&](const std::string& lines, const char* prefix) {
    for (size_t at = 0; at < lines.size();) {
      size_t nl = lines.find('\n', at);
      if (nl == std::string::npos) nl = lines.size();
      opts_.device_log->info("[{:>11.6f}] dev {} {}{}", d.now().seconds(), d.id(), prefix, std::string_view(lines).substr(at, nl - at));
      at = nl + 1;
    }
  };
  log_lines(record, "");
  log_lines(std::exchange(d.crash_note, {}), "espfleet: ");
  if (reason != kResetSoftRestart) {
    d.stats.crash_reasons.push_back(text);
    d.stats.crash_codes.push_back(reason);
    if (d.timeline) d.timeline->mark(d.now(), HeapTimeline::kCrash, text);
    d.stats.crash_digests.push_back(d.digest());
    d.stats.state = "crashed";
    if (opts_.on_crash) opts_.on_crash(d, reason, text, record);
  }
  opts_.device_log->warn("[{:>11.6f}] dev {} reset reason {}: {}", d.now().seconds(), d.id(), reason, text);
  socket_close_all(*this, d);
  d.thunk_block = nullptr;  // the heap is reset below
  d.thunk_size = 0;
  d.thunk_sp = 0;
  d.thunk_mirrored = 0;
  d.reset_heap();
  d.charge(time_to_cycles(kBootTime, d.mhz()));
  boot(d);
}

void Engine::wait_for_events() {
  uint64_t timeout_ms = 100;
  if (opts_.realtime) {
    if (!timers_.empty()) {
      VTime gap = timers_.top().at - wall_now();
      timeout_ms = gap.ns <= 0 ? 0 : std::min<uint64_t>(100, uint64_t(gap.ns + 999999) / 1000000);
    }
  } else {
    // Fast: time jumps to the next timer — past a held device too (it catches up when its peer
    // answers): devices meet only through the broker. A host event waits for every device.
    if (run_host_event_if_due()) return;
    VTime next = timers_.empty() ? opts_.duration : std::min(timers_.top().at, opts_.duration);
    bool event_first = next_host_event_ < opts_.host_events.size() && opts_.host_events[next_host_event_].at <= next;
    if (!event_first && (!timers_.empty() && timers_.top().at <= opts_.duration)) {
      virt_now_ = std::max(virt_now_, next);
      uv_run(&loop_, UV_RUN_NOWAIT);
      return;
    }
    if (!held_.empty()) {
      poll_held();
      return;
    }
    if (event_first) return;  // run_host_event_if_due runs it next time round
    virt_now_ = std::max(virt_now_, opts_.duration);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return;
  }
  if (timeout_ms == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    return;
  }
  // The guard bounds the poll. It repeats: UV_RUN_ONCE runs due timers *before* polling, and a
  // one-shot guard that fell due in between would leave the poll with no timeout at all.
  uv_update_time(&loop_);
  uv_timer_start(&guard_, [](uv_timer_t*) {}, timeout_ms, timeout_ms);
  uv_run(&loop_, UV_RUN_ONCE);
  uv_timer_stop(&guard_);
}

// Fast mode: poll the network for the held devices' peers, until the nearest hold deadline.
void Engine::poll_held() {
  uint64_t now = uv_hrtime(), first = UINT64_MAX;
  for (Device* d : held_) first = std::min(first, d->hold_deadline_ns);
  uint64_t timeout_ms = first <= now ? 0 : std::min<uint64_t>(100, (first - now + 999999) / 1000000);
  if (timeout_ms == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  } else {
    uv_update_time(&loop_);
    uv_timer_start(&guard_, [](uv_timer_t*) {}, timeout_ms, timeout_ms);
    uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&guard_);
  }
  expire_holds();
}

// Fast mode: a host event runs once no device is behind it (none held, none ready, no timer
// before it); then the fleet waits for its effects to arrive.
bool Engine::run_host_event_if_due() {
  if (opts_.realtime || next_host_event_ >= opts_.host_events.size()) return false;
  HostEvent& ev = opts_.host_events[next_host_event_];
  if (!held_.empty() || !ready_.empty() || (!timers_.empty() && timers_.top().at < ev.at) || ev.at > opts_.duration) return false;
  next_host_event_++;
  virt_now_ = std::max(virt_now_, ev.at);
  event_floor_ = ev.at;
  opts_.device_log->warn("[{:>11.6f}] host: {}", ev.at.seconds(), ev.name);
  if (ev.run) ev.run();
  uint64_t until = uv_hrtime() + ev.settle_ns;
  while (ev.settled && !ev.settled(*this) && uv_hrtime() < until) {
    uv_update_time(&loop_);
    uv_timer_start(&guard_, [](uv_timer_t*) {}, 5, 5);
    uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&guard_);
  }
  uv_run(&loop_, UV_RUN_NOWAIT);
  return true;
}

bool Engine::finished() const {
  if (opts_.realtime) return now() >= opts_.duration;
  return virt_now_ >= opts_.duration && held_.empty() && ready_.empty() &&
         (timers_.empty() || timers_.top().at > opts_.duration);
}

void Engine::run() {
  fault_guard_install();  // a device's bad pointer resets that device (sim/fault_guard.h)
  wall_origin_ns_ = uv_hrtime();
  uint64_t last_tick = wall_origin_ns_;
  std::vector<Device*> batch;
  while (!stop_) {
    fire_due();
    batch.swap(ready_);
    for (Device* d : batch) run_device(*d);
    batch.clear();
    if (finished()) break;
    if (opts_.realtime && next_host_event_ < opts_.host_events.size() &&
        opts_.host_events[next_host_event_].at <= wall_now()) {
      HostEvent& ev = opts_.host_events[next_host_event_++];
      opts_.device_log->warn("[{:>11.6f}] host: {}", ev.at.seconds(), ev.name);
      if (ev.run) ev.run();
    }
    if (!replaying()) uv_run(&loop_, UV_RUN_NOWAIT);
    expire_holds();
    if (ready_.empty() && (timers_.empty() || timers_.top().at > now())) wait_for_events();
    uint64_t w = uv_hrtime();
    if (opts_.on_tick && w - last_tick > 250000000ull) {
      last_tick = w;
      opts_.on_tick();
    }
  }
  stats_.wall_seconds = double(uv_hrtime() - wall_origin_ns_) / 1e9;
  for (auto& d : devices_) {
    d->stats.stack_high_water = std::max<uint32_t>(d->stats.stack_high_water, uint32_t(d->fiber.stack_high_water()));
    d->note_heap();
  }
}

}  // namespace espfleet
