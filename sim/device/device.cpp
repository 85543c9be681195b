// sim/device.cpp — device identity (chip id, client id, topic) from the seed tree, and its heap.
#include "device.h"

#include <cstdio>

#include "heap_timeline.h"
#include "net_socket.h"
#include "tape.h"

namespace espfleet {

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

Device::Device(uint32_t id, const DeviceConfig& cfg, uint64_t master_seed, void* stack,
               size_t stack_bytes_, void* heap_mem)
    : stack_mem(stack), stack_bytes(stack_bytes_), id_(id), cfg_(cfg), heap_mem_(heap_mem) {
  seed_ = mix_seed(master_seed, id);
  rng_tls.reseed(mix_seed(seed_, uint64_t(SeedPurpose::tls)));
  rng_net.reseed(mix_seed(seed_, uint64_t(SeedPurpose::net)));
  rng_app.reseed(mix_seed(seed_, uint64_t(SeedPurpose::app)));
  chip_id_ = chip_id_for(id, master_seed);
  client_id_ = client_id_for(chip_id_);
  topic_ = topic_for(chip_id_);
  reset_heap();
}

Device::~Device() = default;  // sockets are closed by the engine first

void Device::reset_heap() {
  if (heap_) past_heaps_digest_ = mix_seed(past_heaps_digest_, heap_->digest());
  heap_ = std::make_unique<UmmHeap>(heap_mem_, cfg_.heap_bytes);
  heap_->set_clock(&cycles);
  heap_->set_trace(heap_trace_, heap_trace_ctx_);
  if (heap_trace_) heap_trace_(heap_trace_ctx_, 'b', 0, 0, 0);  // a new heap: the trace says so
  heap_tags.clear();
  last_failed_alloc = {};
  note_heap();
}

uint64_t Device::digest() const { return mix_seed(mix_seed(past_heaps_digest_, heap_->digest()), cycles); }

void Device::note_heap() {
  uint32_t f = heap_->free_bytes(), m = heap_->max_free_block(), g = heap_->fragmentation();
  if (f < stats.heap_free_min) stats.heap_free_min = f;
  if (m < stats.heap_max_block_min) stats.heap_max_block_min = m;
  if (g > stats.heap_frag_max) stats.heap_frag_max = g;
  if (timeline) timeline->note(now(), f, m, uint8_t(g));
}

}  // namespace espfleet
