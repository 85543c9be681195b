// sim/device/wifi_station.h — a device's Wi-Fi station as a sketch sees it through `WiFi`: idle
// until begin(), associated (and given an address) a join time later, until disconnect(). The
// join time is drawn from the device's seed: scan, authentication, association and DHCP on an
// ESP8266 take one to three seconds. The built-in firmware's devices boot associated (Tasmota's
// own Wi-Fi code is not part of the model).
//
// The scenario's Wi-Fi drops (sketch.wifi_drops, a sketch's) and its `wifi_loss` faults (any
// device's, docs/faults.md) take the access point away during their windows: the station is
// disconnected, and when a window closes it joins again, a fresh join time later.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "rng.h"
#include "scenario.h"
#include "sim_time.h"
#include "time_windows.h"

namespace espfleet {

class WifiStation {
 public:
  static constexpr VTime kJoinMin = VTime::from_ms(1200), kJoinSpread = VTime::from_ms(1800);
  // wl_status_t, as the core numbers it.
  enum Status : uint8_t { kIdle = 0, kConnected = 3, kDisconnected = 7 };

  // associated: the station is up at boot (the built-in firmware).
  WifiStation(bool associated, uint32_t device_id, uint64_t device_seed)
      : up_at_(associated ? VTime{} : kNever),
        seed_(mix_seed(device_seed, uint64_t(SeedPurpose::wifi))),
        id_(device_id) {}
  // A boot: back to what the station is at power-on.
  void reset(bool associated) { up_at_ = associated ? VTime{} : kNever; }

  void begin(VTime now) {
    if (up_at_ != kNever) return;                     // joining or joined already
    const uint64_t draw = mix_seed(seed_, joins_++);  // the n-th join's time, whatever came before
    up_at_ = now + VTime::from_us(kJoinMin.us() + int64_t(draw % uint64_t(kJoinSpread.us())));
  }
  void disconnect() { up_at_ = kNever; }
  // The scenario's drops for this device (sketch.wifi_drops), then its wifi_loss faults' windows.
  void set_drops(const std::vector<TimeWindows>& drops, uint64_t device_seed) {
    drop_seed_ = mix_seed(device_seed, uint64_t(SeedPurpose::wifi_drop));
    drops_.clear();
    for (size_t i = 0; i < drops.size(); ++i) drops_.push_back(window_schedule(drops[i], mix_seed(drop_seed_, 2 * i)));
  }
  void add_loss(const WindowSchedule& w) { drops_.push_back(w); }
  bool connected(VTime now) const { return up_at_ != kNever && now >= up_at_ && !dropped(now); }
  uint8_t status(VTime now) const { return connected(now) ? kConnected : up_at_ == kNever ? kIdle : kDisconnected; }
  // 10.x.y.z in a /8 from the device's id (id + 2: never .0.0.0 or .0.0.1), network byte order in
  // memory, as lwIP keeps it.
  uint32_t ip(VTime now) const {
    if (!connected(now)) return 0;
    const uint32_t host = (id_ + 2) & 0xFFFFFF;
    return 10u | ((host >> 16) & 0xFF) << 8 | ((host >> 8) & 0xFF) << 16 | (host & 0xFF) << 24;
  }
  // dBm while associated; 31, the core's "no connection", while not.
  int32_t rssi(VTime now) const { return connected(now) ? -58 : 31; }
  uint32_t joins() const { return joins_; }
  // The next time after `now` at which status, address or RSSI change by themselves.
  bool next_change(VTime now, VTime* at) const {
    VTime next = kNever;
    if (up_at_ != kNever && now < up_at_) next = up_at_;
    for (size_t i = 0; i < drops_.size(); ++i) {
      const WindowSchedule& w = drops_[i];
      VTime t{}, end{};
      int64_t k = 0;
      if (w.next_change(now, &t)) next = std::min(next, t);
      if (w.open_at(now) < 0 && w.last_closed(now, &end, &k) && now < end + rejoin(i, k))
        next = std::min(next, end + rejoin(i, k));
    }
    if (next == kNever) return false;
    *at = next;
    return true;
  }
  // How many drop windows have opened by `now` (the device's connections go with each).
  uint64_t drops_started(VTime now) const {
    uint64_t n = 0;
    for (size_t i = 0; i < drops_.size(); ++i) {
      const WindowSchedule& w = drops_[i];
      VTime end{};
      int64_t k = -1;
      const int64_t open = w.open_at(now);
      (void)w.last_closed(now, &end, &k);
      const int64_t latest = std::max(open, k);  // the last window opened by now (-1: none)
      n += uint64_t(latest + 1);
    }
    return n;
  }

 private:
  static constexpr VTime kNever = VTime::from_ns(INT64_MAX);
  // After drop i's k-th window closes: the time the station takes to join again.
  VTime rejoin(size_t i, int64_t k) const {
    const uint64_t draw = mix_seed(mix_seed(drop_seed_, 2 * i + 1), uint64_t(k));
    return VTime::from_us(kJoinMin.us() + int64_t(draw % uint64_t(kJoinSpread.us())));
  }
  // The access point is gone (a window is open) or the station is joining again after one.
  bool dropped(VTime now) const {
    for (size_t i = 0; i < drops_.size(); ++i) {
      const WindowSchedule& w = drops_[i];
      VTime end{};
      int64_t k = 0;
      if (w.open_at(now) >= 0) return true;
      if (w.last_closed(now, &end, &k) && now < end + rejoin(i, k)) return true;
    }
    return false;
  }
  std::vector<WindowSchedule> drops_;
  uint64_t drop_seed_ = 0;
  VTime up_at_;
  uint64_t seed_;
  uint32_t id_;
  uint32_t joins_ = 0;
};

}  // namespace espfleet
