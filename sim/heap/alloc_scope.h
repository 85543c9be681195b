// sim/heap/alloc_scope.h — whose memory `operator new` hands out on this thread (device/
// device_new.cpp): the running device's heap while its own code runs, the host's everywhere else.
// Host code that runs on a device's fiber (the platform, the network, observers) opens a
// HostSection so that what it allocates comes from the host.
#pragma once

namespace espfleet {

class DeviceHeap;

DeviceHeap* alloc_heap();  // nullptr: the host's allocator
void set_alloc_heap(DeviceHeap* h);

class HostSection {
 public:
  HostSection() : saved_(alloc_heap()) { set_alloc_heap(nullptr); }
  ~HostSection() { set_alloc_heap(saved_); }
  HostSection(const HostSection&) = delete;
  HostSection& operator=(const HostSection&) = delete;

 private:
  DeviceHeap* saved_;
};

}  // namespace espfleet
