// sim/device/fleet.cpp — devices in their arena slots, run by one scheduler (fleet.h).
#include "fleet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "fault_guard.h"
#include "uv_transport.h"

namespace espfleet {

namespace {
SchedulerOptions scheduler_options(const FleetOptions& o) {
  SchedulerOptions s;
  s.mode = o.mode;
  s.duration = o.duration;
  s.host_events = o.host_events;
  s.on_tick = o.on_tick;
  s.log = o.device_log ? o.device_log : spdlog::default_logger();
  return s;
}
}  // namespace

Fleet::Fleet(FleetOptions opts, size_t max_devices, size_t max_heap_bytes)
    : opts_(std::move(opts)),
      sched_(scheduler_options(opts_)),
      live_(opts_.transport ? nullptr : std::make_unique<UvTransport>(sched_)),
      // A slot holds either chip's heap of up to max_heap_bytes (TLSF's needs a little more).
      arenas_(max_devices, opts_.stack_bytes,
              std::max({chip_heap_arena_bytes(HeapKind::umm, max_heap_bytes),
                        chip_heap_arena_bytes(HeapKind::tlsf, max_heap_bytes),
                        chip_heap_arena_bytes(HeapKind::sdk, max_heap_bytes)})),
      activity_(opts_.duration),
      env_{sched_,
           opts_.transport ? *opts_.transport : *live_,
           opts_.device_log ? *opts_.device_log : *spdlog::default_logger(),
           opts_.on_serial_line,
           opts_.on_crash,
           opts_.after_slice,
           opts_.soft_wdt,
           opts_.hardware_wdt,
           opts_.task_wdt,
           opts_.interrupt_wdt,
           opts_.skip_idle_steps,
           opts_.sketch_net ? &*opts_.sketch_net : nullptr,
           &activity_,
           opts_.record_publishes} {
  if (!opts_.device_log) opts_.device_log = spdlog::default_logger();
  devices_.reserve(max_devices);
}

Fleet::~Fleet() {
  for (auto& d : devices_) d->net().close_all();
}

Device& Fleet::add_device(DeviceSpec spec) {
  size_t slot = devices_.size();
  if (slot >= arenas_.slots()) throw std::length_error("fleet: more devices than arena slots");
  if (!spec.program.entry && !spec.program.image) spec.program = opts_.program;
  if (!spec.program.entry && !spec.program.image) throw std::invalid_argument("fleet: no device program");
  const HeapKind heap = spec.program.heap.value_or(chip_model(spec.config.chip).heap);
  if (chip_heap_arena_bytes(heap, spec.config.heap_bytes) > arenas_.data_bytes())
    throw std::invalid_argument("fleet: device heap larger than the arena slot");
  const std::string* source =
      opts_.source_addresses.empty() ? nullptr : &opts_.source_addresses[spec.id % opts_.source_addresses.size()];
  devices_.push_back(
      std::make_unique<Device>(spec, env_, arenas_.stack(slot), arenas_.stack_bytes(), arenas_.data(slot), source));
  return *devices_.back();
}

void Fleet::run() {
  fault_guard_install();  // a device's bad pointer resets that device (crash/fault_guard.h)
  sched_.run();
  for (auto& d : devices_) {
    d->note_stack_high_water();
    d->heap().note();
  }
}

}  // namespace espfleet
