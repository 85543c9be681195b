// sim/cli/cmd_profile_nodemcu.cpp — `espfleet profile --firmware nodemcu` (or a NodeMCU project
// folder): what a NodeMCU device's first secure MQTT connect costs, measured as the other profiles
// measure theirs (cmd_profile.cpp, cmd_profile_sketch.cpp).
//
// The device: NodeMCU (Lua 5.1 on the SDK heap, mbed TLS as NodeMCU configures it) running the
// folder's init.lua, or this file's own script — the CA from ca.crt with tls.cert.verify, then
// mqtt:connect(host, 8883, true) once the station has its address.
// Memory: every heap request is observed with its site and the free heap around it. The handshake
// begins with the glue's first allocation (tls_session.cpp: its contexts, then lwIP's receive ring,
// then mbed TLS's own: the two record buffers at mbedtls_ssl_setup, the parsed CA, the server's
// chain, the key exchange) and ends when the platform hears its result; the peak is the free heap
// before it minus its lowest point during it, the seed's "25–30 KB".
// Time: the handshake as the glue reports it (device clock, its steps at 160 MHz).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "broker.h"
#include "cmd_profile.h"
#include "cost_meter.h"
#include "fleet.h"
#include "local_broker.h"
#include "nodemcu_files.h"
#include "session.h"
#include "tls_errors.h"
#include "tls_session.h"
#include "units.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

// The profile's own init.lua (when --firmware is the word "nodemcu").
constexpr const char* kProfileScript = R"lua(-- espfleet profile's NodeMCU script: one secure MQTT connect,
-- verifying the broker against the run's CA, as NodeMCU's mqtt and tls docs write one.
tls.cert.verify(file.getcontents("ca.crt"))
m = mqtt.Client("profile-" .. node.chipid(), 60)
wifi.setmode(wifi.STATION)
wifi.sta.config({ssid = "espfleet", pwd = "password1234", got_ip_cb = function()
  print("heap before connect " .. node.heap())
  m:connect("broker.example.com", 8883, true, function(client)
    print("MQTT connected, heap " .. node.heap())
  end, function(client, reason)
    print("MQTT connect failed, reason " .. reason)
  end)
end})
)lua";

struct Row {
  uint32_t requested = 0, drop = 0;
};

struct NodeMcuCapture {
  bool started = false, done = false;
  uint32_t free_before = 0, free_min = UINT32_MAX, free_after = 0, largest = 0;
  std::vector<Row> record_buffers;  // mbed TLS's two 4429-byte buffers
  Row ring;                         // the glue's receive ring
  uint32_t mbedtls_blocks = 0;      // mbed TLS's allocations during the handshake
  int error = 0;
  uint32_t reported_ms = 0;
  CostAccount at_begin{}, at_end{};  // the device's charged work by kind, at both ends
};

bool tls_site(const HeapEvent& e) {
  const std::string site = e.site.file ? e.site.file : "";
  return site == kMbedtlsHeapSite || site == kTlsSessionHeapSite;
}

}  // namespace

bool is_nodemcu_profile(const std::string& firmware) { return firmware == "nodemcu" || is_nodemcu_project(firmware); }

nlohmann::ordered_json run_nodemcu_profile(const ProfileOptions& o) {
  using json = nlohmann::ordered_json;
  if (o.validation != Validation::ca || o.key_exchange != KeyExchange::ecdhe || o.client_cert)
    throw std::runtime_error(
        "--validation, --key-exchange and --client-cert are the built-in firmware's settings: a NodeMCU script "
        "chooses its own (tls.cert.verify; client certificates are not modelled for NodeMCU)");
  std::vector<FlashFile> files;
  std::string name = "nodemcu";
  if (o.firmware == "nodemcu") {
    files.push_back(
        FlashFile{"/init.lua", std::vector<uint8_t>(kProfileScript, kProfileScript + strlen(kProfileScript))});
  } else {
    files = nodemcu_project_files(o.firmware);
    name = "nodemcu:" + fs::path(o.firmware).filename().string();
  }

  DeviceConfig cfg = profile_user_device(o, /*client_cert=*/false);
  ProfileDir work(o.out);
  const fs::path& dir = work.path;

  LocalBroker local = start_profile_broker(dir, o, /*require_certificate=*/false);  // NodeMCU presents none
  EmbeddedBroker& broker = *local.broker;

  NodeMcuCapture cap;
  Device* dev = nullptr;
  Fleet* engine_ptr = nullptr;
  FleetOptions eo;
  eo.mode = RunMode::fast;
  eo.duration = VTime::from_s(60);
  eo.device_log = device_logger(o.out.empty() ? fs::path() : dir / "devices.log", "profile-device");
  eo.program = kNodeMcuProgram;
  eo.sketch_net = SketchNetwork{"127.0.0.1", broker.plain_port(), broker.tls_port()};

  struct Observer final : HeapObserver {
    NodeMcuCapture& cap;
    Device*& dev;
    Fleet*& engine;
    Observer(NodeMcuCapture& c, Device*& d, Fleet*& e) : cap(c), dev(d), engine(e) {}
    void on_heap_event(const HeapEvent& e) override {
      if (e.kind == HeapEvent::Kind::boot || cap.done) return;
      const ConsoleFigures& f = dev->console();
      if (cap.started && (!f.handshake_ms.empty() || f.tls_error)) {  // the handshake is over
        cap.done = true;
        cap.free_after = e.free_before;
        cap.error = f.tls_error;
        cap.reported_ms = f.handshake_ms.empty() ? 0 : f.handshake_ms.front();
        cap.at_end = dev->costs().account();
        engine->request_stop();
        return;
      }
      const bool alloc = e.kind == HeapEvent::Kind::alloc || e.kind == HeapEvent::Kind::resize;
      const uint32_t drop = e.free_before > e.free_after ? e.free_before - e.free_after : 0;
      if (!cap.started) {
        if (!tls_site(e) || !alloc) return;
        cap.started = true;
        cap.free_before = e.free_before;
        cap.at_begin = dev->costs().account();
      }
      cap.free_min = std::min(cap.free_min, e.free_after);
      if (!alloc) return;
      cap.largest = std::max<uint32_t>(cap.largest, uint32_t(e.size));
      const std::string site = e.site.file ? e.site.file : "";
      if (e.tag == HeapTag::tls_buffers) cap.record_buffers.push_back({uint32_t(e.size), drop});
      if (site == kMbedtlsHeapSite) cap.mbedtls_blocks++;
      if (site == kTlsSessionHeapSite && e.size == kTlsRingBytes) cap.ring = {uint32_t(e.size), drop};
    }
  } observer(cap, dev, engine_ptr);

  Fleet engine(eo, 1, cfg.heap_bytes);
  engine_ptr = &engine;
  BrokerEndpoint endpoint{"localhost", broker.tls_port(), broker.plain_port(), local.ca.cert_der()};
  std::vector<uint8_t> flash = provision_device(0, o.seed, cfg, endpoint, &local.ca, uint32_t(std::time(nullptr)),
                                                /*sketch_files=*/true, &files);
  Device& d = engine.add_device(DeviceSpec{0, cfg, o.seed, std::move(flash), VTime{}, eo.program});
  dev = &d;
  d.heap().set_observer(&observer);
  engine.run();
  d.heap().set_observer(nullptr);
  broker.stop();

  const std::string log = o.out.empty() ? "" : " (device log: " + (dir / "devices.log").string() + ")";
  if (!cap.started || !cap.done)
    throw std::runtime_error(name + ": no secure connect within 60 s of device time" + log);
  if (cap.error)
    throw std::runtime_error(name + ": its first TLS handshake failed: " + std::to_string(cap.error) + " " +
                             tls_error_name(cap.error) + log);

  json r;
  r["config"] = {{"firmware", name},
                 {"tls", "mbed TLS 2.28 as NodeMCU configures it"},
                 {"cpu_mhz", cfg.cpu_mhz},
                 {"handshake_mhz", kTlsHandshakeMhz},
                 {"heap_bytes", cfg.heap_bytes},
                 {"heap", "sdk"},
                 {"server_key", key_type_name(o.server_key)},
                 {"rtt", o.rtt},
                 {"seed", o.seed}};
  json bufs = json::array();
  for (const Row& b : cap.record_buffers) bufs.push_back({{"requested", b.requested}, {"heap_drop", b.drop}});
  const uint32_t free_min = cap.free_min == UINT32_MAX ? cap.free_before : cap.free_min;
  r["memory"] = {{"record_buffers", bufs},
                 {"receive_ring", {{"requested", cap.ring.requested}, {"heap_drop", cap.ring.drop}}},
                 {"mbedtls_allocations", cap.mbedtls_blocks},
                 {"free_before_handshake", cap.free_before},
                 {"free_min", free_min},
                 {"handshake_peak", cap.free_before - free_min},
                 {"held_while_connected", cap.free_before > cap.free_after ? cap.free_before - cap.free_after : 0},
                 {"largest_request", cap.largest}};
  // The handshake's compute by kind: the cycles charged between its two ends, all of them at the
  // glue's 160 MHz (mbed TLS's work runs only inside its steps); the rest is the network, the
  // broker and the platform.
  json bd = json::object();
  double compute = 0;
  for (size_t c = 0; c < size_t(CostCat::count); ++c) {
    const double ms = double(cap.at_end[c] - cap.at_begin[c]) / (double(kTlsHandshakeMhz) * 1000.0);
    if (ms <= 0) continue;
    compute += ms;
    bd[cost_cat_name(CostCat(c))] = ms;
  }
  bd["network_and_platform"] = std::max(0.0, double(cap.reported_ms) - compute);
  r["time_ms"] = {{"tls_handshake", cap.reported_ms}, {"breakdown", bd}};
  return r;
}

void print_nodemcu_profile(const nlohmann::ordered_json& r) {
  const auto& c = r["config"];
  const auto& m = r["memory"];
  std::printf("espfleet profile: %s (%s), %u MHz (handshake steps at %u), SDK heap %u B, %s server key, RTT %s\n\n",
              c["firmware"].get<std::string>().c_str(), c["tls"].get<std::string>().c_str(), unsigned(c["cpu_mhz"]),
              unsigned(c["handshake_mhz"]), unsigned(c["heap_bytes"]), c["server_key"].get<std::string>().c_str(),
              c["rtt"].get<std::string>().c_str());
  std::printf("Memory (bytes: requested, and the free heap's drop)\n");
  int i = 0;
  for (const auto& b : m["record_buffers"])
    std::printf("  %-24s %6u %6u\n", i++ == 0 ? "record buffer (in)" : "record buffer (out)", unsigned(b["requested"]),
                unsigned(b["heap_drop"]));
  std::printf("  %-24s %6u %6u   (lwIP socket layer)\n", "receive ring", unsigned(m["receive_ring"]["requested"]),
              unsigned(m["receive_ring"]["heap_drop"]));
  std::printf("  handshake peak           %6u          (free before %u, lowest %u; mbed TLS made %u blocks)\n",
              unsigned(m["handshake_peak"]), unsigned(m["free_before_handshake"]), unsigned(m["free_min"]),
              unsigned(m["mbedtls_allocations"]));
  std::printf("  held while connected     %6u\n", unsigned(m["held_while_connected"]));
  std::printf("  largest request          %6u\n\n", unsigned(m["largest_request"]));
  std::printf("Time (device clock, ms)\n");
  std::printf("  TLS handshake            %8u   (steps at %u MHz)\n", unsigned(r["time_ms"]["tls_handshake"]),
              unsigned(c["handshake_mhz"]));
  for (auto& [k, v] : r["time_ms"]["breakdown"].items()) std::printf("    %-22s %8.1f\n", k.c_str(), double(v));
}

}  // namespace espfleet
