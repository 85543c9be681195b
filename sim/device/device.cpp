// sim/device/device.cpp — a device's identity, its boots and reboots, and one slice of its life.
#include "device.h"

#include "message_hash.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "alloc_scope.h"
#include "core_main.h"
#include "device_resets.h"
#include "heap_timeline.h"
#include "platform.h"
#include "scheduler.h"
#include "thunk_stack.h"

namespace espfleet {

namespace {
constexpr VTime kBootTime = VTime::from_ms(300);  // reset → setup()
}  // namespace

uint32_t chip_id_for(uint32_t id, uint64_t master_seed) {
  // A bijection on 24 bits (odd multiplier), so chip ids are unique for ids below 2^24.
  return uint32_t((uint64_t(id) * 0x9E3779u + (master_seed & 0xFFFFFFu)) & 0xFFFFFFu);
}

std::string client_id_for(uint32_t chip_id) {
  char buf[16];
  snprintf(buf, sizeof buf, "DVES_%06X", chip_id & 0xFFFFFFu);
  return buf;
}

std::string topic_for(uint32_t chip_id) {
  char buf[24];
  snprintf(buf, sizeof buf, "tasmota_%06X", chip_id & 0xFFFFFFu);
  return buf;
}

const char* device_state_name(DeviceState s) {
  switch (s) {
    case DeviceState::off:
      return "off";
    case DeviceState::booting:
      return "booting";
    case DeviceState::connecting:
      return "connecting";
    case DeviceState::connected:
      return "connected";
    case DeviceState::disconnected:
      return "disconnected";
    case DeviceState::crashed:
      return "crashed";
  }
  return "off";
}

namespace {
DeviceIdentity identity_of(const DeviceSpec& s) {
  DeviceIdentity i;
  i.id = s.id;
  i.seed = mix_seed(s.master_seed, s.id);
  i.chip_id = chip_id_for(s.id, s.master_seed);
  i.client_id = client_id_for(i.chip_id);
  i.topic = topic_for(i.chip_id);
  return i;
}
}  // namespace

Device::Device(const DeviceSpec& spec, const DeviceEnv& env, void* stack, size_t stack_bytes, void* heap_mem,
               const std::string* source)
    : env_(env),
      ident_(identity_of(spec)),
      cfg_(spec.config),
      chip_(chip_model(spec.config.chip)),
      program_(spec.program),
      program_state_(program_.image ? std::make_unique<uint8_t[]>(program_.image->state_bytes) : nullptr),
      stack_(stack),
      stack_bytes_(stack_bytes),
      clock_(spec.config.cpu_mhz),
      costs_(clock_, chip_cost_table(spec.config.chip)),
      hw_rng_(mix_seed(ident_.seed, uint64_t(SeedPurpose::tls))),
      flash_(spec.flash),
      heap_(spec.program.heap.value_or(chip_.heap), heap_mem, spec.config.heap_bytes, clock_.counter(),
            spec.config.cpu_mhz),
      watchdog_(clock_),
      task_(*this),
      net_(DeviceNet::Parts{clock_, heap_, task_, env.sched, env.transport,
                            LinkConfig{spec.config.rtt.vtime(), spec.config.jitter.vtime()},
                            mix_seed(ident_.seed, uint64_t(SeedPurpose::net)), source}),
      wifi_(!program_.image, ident_.id, ident_.seed),
      platform_(*this),
      alloc_saved_(&heap_) {
  clock_.set_alarm(&Device::watchdog_alarm, this);
  if (program_.image) wifi_.set_drops(cfg_.wifi_drops, ident_.seed);  // a sketch's station only
  for (const DeviceFault& f : cfg_.faults) {                          // [[faults]] (docs/faults.md)
    const WindowSchedule w(f.when.at.us, f.when.length.us, f.when.every.us);
    if (f.kind == FaultKind::partition) net_.faults().add_partition(w);
    if (f.kind == FaultKind::link_delay) net_.faults().add_delay(w, f.delay.vtime());
    if (f.kind == FaultKind::packet_loss) net_.faults().add_loss(w, f.loss);
    if (f.kind == FaultKind::bandwidth) net_.faults().add_rate(w, f.rate_bps);
    if (f.kind == FaultKind::power_cycle) power_cycles_.push_back(w);
    if (f.kind == FaultKind::tcp_reset) resets_.push_back(w);
    if (f.kind == FaultKind::wifi_loss) wifi_.add_loss(w);
    if (f.kind == FaultKind::dns_failure) dns_failures_.push_back(w);
    if (f.kind == FaultKind::clock_jump) clock_jumps_.push_back({w, f.by.us});
  }
  life_.boot_at_ = spec.boot_at;
  clock_.advance_to(spec.boot_at);
  boot();
}

Device::~Device() { net_.close_all(); }

uint64_t Device::digest() const { return mix_seed(heap_.digest(), clock_.cycles()); }

uint32_t Device::chip_address(const void* heap_byte) const {
  auto off = uint32_t(static_cast<const uint8_t*>(heap_byte) - heap_.model().base());
  return chip_.dram_end - heap_.size() + off;
}

void Device::note_stack_high_water() {
  host_use_.stack_high_water =
      std::max<uint32_t>(host_use_.stack_high_water, uint32_t(task_.fiber().stack_high_water()));
}

void Device::boot() {
  task_.fiber().arm(stack_, stack_bytes_, &Device::fiber_entry, this);
  // The program's globals as the image holds them before any constructor: a boot, as the chip's
  // RAM is loaded from flash, starts from the sketch's initial values.
  if (const ProgramImage* im = program_.image; im && im->state_bytes)
    std::memcpy(program_state_.get(), im->pristine, im->state_bytes);
  platform_.boot();
  wifi_.reset(!program_.image && !program_.joins_wifi);  // a sketch joins when it calls WiFi.begin(); Tasmota is up
  gpio_.reset();
  if (chip_.watchdogs == WatchdogSet::esp_idf)
    watchdog_.arm(WatchdogSet::esp_idf, env_.task_wdt, env_.interrupt_wdt);
  else
    watchdog_.arm(WatchdogSet::esp8266, env_.soft_wdt, env_.hardware_wdt);
  life_.boots_++;
  life_.state_ = DeviceState::booting;
  alloc_saved_ = &heap_;  // a new program: its `new` goes to the device heap
  if (HeapTimeline* t = heap_.timeline()) t->mark(now(), HeapTimeline::kBoot, "boot " + std::to_string(life_.boots_));
  env_.sched.wake_at(task_, now());
}

void Device::fiber_entry(void* self) {
  auto* d = static_cast<Device*>(self);
  // The program's static constructors first, on the device's cont with its heap current, as
  // the core's startup runs them before setup().
  if (const ProgramImage* im = d->program_.image)
    for (size_t i = 0; i < im->ctor_count; ++i) im->ctors[i]();
  // The firmware never returns; if it does, the device restarts.
  if (d->program_.entry)
    d->program_.entry();
  else
    arduino_main(d->program_.image->setup, d->program_.image->loop);
  HostSection host;
  d->reset(ResetReason::soft_restart, "firmware main returned");
}

void Device::reset(ResetReason reason, std::string summary, std::string record, std::string note) {
  life_.pending_ = Lifecycle::PendingReset{reason, std::move(summary), std::move(record), std::move(note)};
  task_.suspend();
  __builtin_unreachable();
}

void Device::deep_sleep(VTime sleep) {
  char summary[64];
  snprintf(summary, sizeof summary, "ESP.deepSleep(%lld us)", (long long)sleep.us());
  life_.pending_ = Lifecycle::PendingReset{ResetReason::deep_sleep_awake, summary, {}, {}, sleep};
  task_.suspend();
  __builtin_unreachable();
}

bool Device::next_event(VTime* at) const {
  bool any = net_.next_event(at);
  for (const auto* moments : {&power_cycles_, &resets_})
    for (const WindowSchedule& w : *moments) {
      VTime t{};
      if (w.next_change(now(), &t) && w.opened_by(t) > w.opened_by(now()) && (!any || t < *at)) {
        *at = t;
        any = true;
      }
    }
  // The access point going or coming back (a Wi-Fi drop's connections go at its start).
  if (VTime t{}; wifi_.next_change(now(), &t) && (!any || t < *at)) {
    *at = t;
    any = true;
  }
  return any;
}

void Device::note_online_change() {
  if (env_.activity && online() != online_seen_) {
    online_seen_ = !online_seen_;
    env_.activity->note(online_seen_ ? FleetActivity::Event::up : FleetActivity::Event::down, now());
  }
}

void Device::run_slice() {
  // A power cycle the scenario brings: the chip is off and boots again, wherever the firmware was.
  uint64_t cycles = 0;
  for (const WindowSchedule& w : power_cycles_) cycles += w.opened_by(now());
  if (cycles != power_cycles_seen_) {
    power_cycles_seen_ = cycles;
    life_.pending_ = Lifecycle::PendingReset{ResetReason::power_on, "power cycle (the scenario's [[faults]])", {}, {}};
    reboot();
    note_online_change();
    return;
  }
  // A tcp_reset the scenario brings: the device's connections are reset where they are.
  uint64_t resets = 0;
  for (const WindowSchedule& w : resets_) resets += w.opened_by(now());
  if (resets != resets_seen_) {
    resets_seen_ = resets;
    net_.link_lost(now(), UV_ECONNRESET);
  }
  esp_set_platform(&platform_);
  set_cost_meter(&costs_);
  fault_guard_set_target(this);
  set_alloc_heap(alloc_saved_);
  // A handshake under way: the built-in firmware holds its thunk block for it alone; a sketch's
  // secure client (the core's block is held for the client's life) and NodeMCU's TLS (no thunk)
  // say when they are in one.
  auto handshaking = [this] { return program_.console_session ? thunk_.held() : platform_.handshaking(); };
  bool in_handshake = handshaking();
  const ProgramImage* im = program_.image;
  if (im && im->state_bytes) std::memcpy(im->state, program_state_.get(), im->state_bytes);  // its globals in
  // A Wi-Fi drop began since the last slice: the device's connections go (docs/sketches.md).
  if (const uint64_t drops = wifi_.drops_started(now()); drops != drops_seen_) {
    drops_seen_ = drops;
    net_.link_lost(now(), UV_ECONNABORTED);
  }
  HostTime t0 = host_now();  // fibers never block inside a slice: wall time is CPU time
  task_.fiber().resume();
  uint64_t dt = host_now().ns - t0.ns;
  if (im && im->state_bytes) std::memcpy(program_state_.get(), im->state, im->state_bytes);  // and out
  alloc_saved_ = alloc_heap();
  set_alloc_heap(nullptr);
  fault_guard_set_target(nullptr);
  set_cost_meter(nullptr);
  esp_set_platform(nullptr);
  // A device that reset inside a thunked call left the shared thunk stack mid-call.
  if (ThunkStack::in_use()) ThunkStack::for_this_thread().abandon();
  host_use_.ns += dt;
  if (in_handshake || handshaking()) host_use_.handshake_ns += dt;
  if (task_.fiber().stack_smashed() && !life_.pending_)
    life_.pending_ = Lifecycle::PendingReset{
        ResetReason::exception, "host fiber stack overflow (device stack canary overwritten)", {}, {}};
  if (life_.pending_) reboot();
  note_online_change();
  if (env_.after_slice) env_.after_slice(*this);
}

bool Device::program_state_unchanged() const {
  const ProgramImage* im = program_.image;
  return !im || !im->state_bytes || std::memcmp(im->state, program_state_.get(), im->state_bytes) == 0;
}

void Device::restore_program_state() {
  if (const ProgramImage* im = program_.image; im && im->state_bytes)
    std::memcpy(im->state, program_state_.get(), im->state_bytes);
}

// The post-mortem, line by line, as the device's serial would show it.
void Device::log_lines(const std::string& lines, const char* prefix) {
  for (size_t at = 0; at < lines.size();) {
    size_t nl = lines.find('\n', at);
    if (nl == std::string::npos) nl = lines.size();
    env_.log.info("[{:>11.6f}] dev {} {}{}", now().seconds(), id(), prefix,
                  std::string_view(lines).substr(at, nl - at));
    at = nl + 1;
  }
}

void Device::reboot() {
  Lifecycle::PendingReset r = std::move(*life_.pending_);
  life_.pending_.reset();
  serial_flush();  // what the UART had of a line goes out before the reset's own lines
  note_stack_high_water();
  log_lines(r.record, "");
  log_lines(r.note, "espfleet: ");
  life_.last_reset_ = r.reason;
  if (r.reason != ResetReason::soft_restart && r.reason != ResetReason::deep_sleep_awake &&
      r.reason != ResetReason::power_on) {
    if (HeapTimeline* t = heap_.timeline()) t->mark(now(), HeapTimeline::kCrash, r.summary);
    life_.crashes_.push_back(CrashEntry{r.reason, r.summary, digest()});
    life_.state_ = DeviceState::crashed;
    if (env_.activity) env_.activity->note(FleetActivity::Event::crash, now());
    if (env_.on_crash) env_.on_crash(*this, r.reason, r.summary, r.record);
  }
  env_.log.warn("[{:>11.6f}] dev {} reset reason {}: {}", now().seconds(), id(), reset_code(r.reason, cfg_.chip),
                r.summary);
  net_.close_all();
  thunk_.drop();  // the heap that held it is reset below
  heap_.reset();
  clock_.set_work_mhz(0);                                // the chip boots at its own clock
  clock_.charge(time_to_cycles(r.sleep, clock_.mhz()));  // asleep: the timer runs, nothing else
  clock_.charge(time_to_cycles(kBootTime, clock_.mhz()));
  boot();
}

void Device::console_line(std::string_view text) {
  HostSection host;
  env_.log.info("[{:>11.6f}] dev {} {}", now().seconds(), id(), text);
  ConsoleLine c = parse_console_line(text);
  ConsoleFigures& f = console_;
  using K = ConsoleLine::Kind;
  switch (c.kind) {
    case K::tls_connected:
      if (c.has_value) f.handshake_ms.push_back(uint32_t(c.value));
      break;
    case K::mqtt_connected:
      f.mqtt_connects++;
      f.tls_error = 0;
      ack_next_ = uint32_t(publishes_.size());  // what the last connection left unacknowledged stays so
      life_.state_ = DeviceState::connected;
      if (f.first_connected.ns < 0) {
        f.first_connected = now();
        host_use_.first_connected_wall = sched().wall_now();
      }
      break;
    case K::connect_failed:
      f.connect_failures++;
      if (env_.activity) env_.activity->note(FleetActivity::Event::connect_failure, now());
      if (c.has_value) {
        f.tls_error = int(c.value);
        if (c.value != 0) f.tls_error_counts[f.tls_error]++;  // 0: TLS was fine (or off); MQTT failed
      }
      life_.state_ = DeviceState::disconnected;
      break;
    case K::disconnected:
      if (c.has_value && c.value != 0) {
        f.tls_error = int(c.value);
        f.tls_error_counts[f.tls_error]++;
      }
      life_.state_ = DeviceState::disconnected;
      break;
    case K::attempting:
      if (life_.state_ != DeviceState::connected) life_.state_ = DeviceState::connecting;
      break;
    case K::published:
      f.published++;
      if (env_.record_publishes) {  // "MQT: TOPIC = PAYLOAD", as the firmware handed it to its client
        const std::string_view line = text.substr(5);
        const size_t eq = line.find(" = ");
        if (eq != std::string_view::npos)
          publishes_.push_back(PublishMark{message_hash(line.data(), eq, line.data() + eq + 3, line.size() - eq - 3),
                                           uint32_t(now().ms()) & 0x7FFFFFFFu, 0,
                                           uint64_t(sched().wall_now().ns / 1000)});
      }
      break;
    case K::received:
      f.received++;
      break;
    case K::acked:
      // The broker acknowledges in order (MQTT 3.1.1, 4.6): the oldest unacknowledged publish of
      // this connection.
      f.acknowledged++;
      if (ack_next_ < publishes_.size()) publishes_[ack_next_++].acked = 1;
      break;
    case K::other:
      break;
  }
  if (env_.on_serial_line) env_.on_serial_line(*this, text);
}

void Device::tls_handshake_end(int error, uint32_t ms) {
  HostSection host;
  ConsoleFigures& f = console_;
  if (error == 0) {
    f.handshake_ms.push_back(ms);
    f.tls_error = 0;
  } else {
    f.connect_failures++;
    if (env_.activity) env_.activity->note(FleetActivity::Event::connect_failure, now());
    f.tls_error = error;
    f.tls_error_counts[error]++;
  }
}

void Device::watchdog_alarm(void* self) { reset_on_watchdog(*static_cast<Device*>(self)); }

void Device::record_fault(const FaultInfo& f) {
  Lifecycle::PendingReset r{};
  fault_reset(*this, f, r.reason, r.summary, r.record, r.note);
  life_.pending_ = std::move(r);
}

void Device::leave_after_fault() {
  task_.suspend();
  __builtin_unreachable();
}

}  // namespace espfleet
