// sim/engine/rng.h — deterministic randomness: a seed tree (master seed → device → purpose) and a small
// fast generator. Our own distributions, so results never depend on the standard library.
#pragma once
#include <cstdint>

namespace espfleet {

constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A splitmix64 sequence: the next value of the stream kept in `state`.
constexpr uint64_t splitmix64_next(uint64_t& state) {
  uint64_t r = splitmix64(state);
  state += 0x9e3779b97f4a7c15ull;
  return r;
}

// device_seed = mix(master, global id); purpose seeds split from it.
constexpr uint64_t mix_seed(uint64_t a, uint64_t b) { return splitmix64(splitmix64(a) ^ (b + 0x632be59bd9b4e019ull)); }

// What each seeded stream is for (the values are part of every device's history: never renumber).
enum class SeedPurpose : uint64_t {
  tls = 1,            // the device's hardware RNG (esp_random): BearSSL's entropy, the app's random()
  net = 2,            // the link model's draws (jitter)
  boot = 5,           // the fleet's boot times (fleet.connect_spread)
  device_key = 6,     // the device's client-certificate key (pki.h issue_device, Reproducible)
  device_serial = 7,  // that certificate's serial number
  wifi = 8,           // the Wi-Fi station's join times (sim/device/wifi_station.h)
  gpio_input = 9,     // a scenario input signal's offset on this device (sketch.gpio_inputs)
  wifi_drop = 10,     // a scenario Wi-Fi drop's offset and rejoin times (sketch.wifi_drops)
  net_loss = 11,      // split from the net stream: which segments a packet_loss fault loses
};

class Rng {
 public:
  Rng() = default;
  explicit Rng(uint64_t seed) { reseed(seed); }
  void reseed(uint64_t seed) {
    for (auto& w : s_) {
      seed = splitmix64(seed);
      w = seed;
    }
  }
  uint64_t next() {  // xoshiro256**
    uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  uint32_t next32() { return uint32_t(next() >> 32); }
  // Uniform in [0, n) without modulo bias worth caring about (Lemire's multiply).
  uint64_t below(uint64_t n) { return n ? uint64_t((__uint128_t(next()) * n) >> 64) : 0; }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4]{};
};

}  // namespace espfleet
