// sim/cli/cmd_profile_sketch.cpp — `espfleet profile --firmware DIR`: a user's sketch's first
// BearSSL::WiFiClientSecure handshake, measured as the built-in firmware's is (cmd_profile.cpp).
//
// Memory: every heap request of the device is observed with its call site and the free heap
// around it. The secure client names its allocations (shims/WiFiClientSecureBearSSL.cpp: the
// context, the input and output buffers, the X.509 engine); the thunk block is StackThunk's,
// taken when the sketch constructed its first secure client (before setup() for a global one);
// the certificates and keys the sketch parsed are BearSSLHelpers.cpp's.
// Time: from the context's allocation (the TCP connection is up: the secure client allocates it
// next) to the handshake's end as the secure client reports it, with the cycles charged per kind
// of work in between.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "broker.h"
#include "cmd_profile.h"
#include "cost_meter.h"
#include "cost_model.h"
#include "fleet.h"
#include "local_broker.h"
#include "pki.h"
#include "session.h"
#include "sketch_build.h"
#include "sketch_image.h"
#include "tls_errors.h"
#include "units.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

struct Row {
  uint32_t requested = 0;  // bytes asked for (the chip's size)
  uint32_t drop = 0;       // the free heap's drop: the request, its header and rounding
};

struct SketchCapture {
  std::optional<VTime> tcp_up, tls_done;
  CostAccount at_tcp_up{}, at_tls_done{};
  Row context, buffer_in, buffer_out, x509, thunk;
  std::map<const void*, uint32_t> helpers_live;  // BearSSLHelpers.cpp's live chunks: their drops
  uint32_t helpers_at_connect = 0;
  uint32_t free_before_connect = 0, free_min = UINT32_MAX, largest = 0;
  std::string failure;  // why the connect failed, when it did
  int error = 0;
  uint32_t reported_ms = 0;
};

std::string site_of(const HeapEvent& e) { return e.site.file ? e.site.file : ""; }

}  // namespace

nlohmann::ordered_json run_sketch_profile(const ProfileOptions& o) {
  using json = nlohmann::ordered_json;
  if (o.validation != Validation::ca || o.key_exchange != KeyExchange::ecdhe)
    throw std::runtime_error(
        "--validation and --key-exchange are the built-in firmware's settings; a sketch chooses its own");
  LoadedSketch sketch =
      load_sketch(SketchSource{o.firmware, {o.libraries.begin(), o.libraries.end()}, default_sketch_cache()});

  // The device's own certificate and key in its files (the sketch may use them).
  DeviceConfig cfg = profile_user_device(o, /*client_cert=*/true);
  ProfileDir work(o.out);
  const fs::path& dir = work.path;

  LocalBroker local = start_profile_broker(dir, o, o.client_cert);
  EmbeddedBroker& broker = *local.broker;

  SketchCapture cap;
  Device* dev = nullptr;
  Fleet* engine_ptr = nullptr;
  FleetOptions eo;
  eo.mode = RunMode::fast;
  eo.duration = VTime::from_s(60);
  eo.device_log = device_logger(o.out.empty() ? fs::path() : dir / "devices.log", "profile-device");
  eo.program = sketch.image->program();
  eo.sketch_net = SketchNetwork{"127.0.0.1", broker.plain_port(), broker.tls_port()};

  struct Observer final : HeapObserver {
    SketchCapture& cap;
    Device*& dev;
    Fleet*& engine;
    Observer(SketchCapture& c, Device*& d, Fleet*& e) : cap(c), dev(d), engine(e) {}
    void stop() {
      if (engine) engine->request_stop();
    }
    void on_heap_event(const HeapEvent& e) override {
      if (e.kind == HeapEvent::Kind::boot || e.tag == HeapTag::lwip || cap.tls_done || !cap.failure.empty()) return;
      const std::string site = site_of(e);
      const uint32_t drop = e.free_before > e.free_after ? e.free_before - e.free_after : 0;
      const bool alloc = e.kind == HeapEvent::Kind::alloc;
      if (site.find("StackThunk") != std::string::npos && alloc && e.ptr) cap.thunk = {uint32_t(e.size), drop};
      if (site.find("BearSSLHelpers") != std::string::npos && !cap.tcp_up) {
        if (alloc && e.ptr) cap.helpers_live[e.ptr] = drop;
        if (e.kind == HeapEvent::Kind::release) cap.helpers_live.erase(e.ptr);
      }
      if (site == "WiFiClientSecure.context" && alloc && !cap.tcp_up) {
        cap.tcp_up = e.at;
        cap.at_tcp_up = dev->costs().account();
        cap.free_before_connect = e.free_before;
        for (auto& [p, d] : cap.helpers_live) cap.helpers_at_connect += d;
        cap.context = {uint32_t(e.size), drop};
      }
      if (!cap.tcp_up) return;
      cap.free_min = std::min(cap.free_min, e.free_after);
      if (alloc) cap.largest = std::max<uint32_t>(cap.largest, uint32_t(e.size));
      if (alloc && (site == "WiFiClientSecure.buffer_in" || site == "WiFiClientSecure.buffer_out")) {
        Row& r = site == "WiFiClientSecure.buffer_in" ? cap.buffer_in : cap.buffer_out;
        r = {uint32_t(e.size), drop};
        if (!e.ptr) {
          char why[160];
          std::snprintf(
              why, sizeof why,
              "the %s buffer (%zu bytes) did not fit: %u bytes free, largest block %u (getLastSSLError -1000)",
              site == "WiFiClientSecure.buffer_in" ? "input" : "output", e.size, unsigned(e.free_before),
              unsigned(dev->heap().model().max_free_block()));
          cap.failure = why;
          cap.error = -1000;
          stop();
        }
      }
      if (alloc && site == "WiFiClientSecure.x509" && e.ptr) cap.x509 = {uint32_t(e.size), drop};
      // The X.509 engine goes as the handshake ends; the secure client has just reported how.
      if (e.kind == HeapEvent::Kind::release && e.tag == HeapTag::x509) {  // (a release's site is the free's)
        const ConsoleFigures& f = dev->console();
        if (!f.handshake_ms.empty()) {
          cap.tls_done = e.at;
          cap.at_tls_done = dev->costs().account();
          cap.reported_ms = f.handshake_ms.front();
        } else {
          cap.error = f.tls_error;
          cap.failure = "the handshake failed: " + std::to_string(f.tls_error) + " " + tls_error_name(f.tls_error);
        }
        stop();
      }
    }
  } observer(cap, dev, engine_ptr);

  Fleet engine(eo, 1, cfg.heap_bytes);
  engine_ptr = &engine;
  BrokerEndpoint endpoint{"localhost", broker.tls_port(), broker.plain_port(), local.ca.cert_der()};
  std::vector<uint8_t> flash =
      provision_device(0, o.seed, cfg, endpoint, &local.ca, uint32_t(std::time(nullptr)), /*sketch_files=*/true);
  Device& d = engine.add_device(DeviceSpec{0, cfg, o.seed, std::move(flash), VTime{}, eo.program});
  dev = &d;
  d.heap().set_observer(&observer);
  engine.run();
  d.heap().set_observer(nullptr);
  broker.stop();

  if (!cap.failure.empty())
    throw std::runtime_error("sketch " + sketch.build.name + ": its first TLS connect failed: " + cap.failure);
  if (!cap.tcp_up || !cap.tls_done)
    throw std::runtime_error("sketch " + sketch.build.name +
                             ": no BearSSL::WiFiClientSecure connect within 60 s of device time" +
                             (o.out.empty() ? "" : " (device log: " + (dir / "devices.log").string() + ")"));

  json r;
  r["config"] = {{"firmware", sketch.build.name},
                 {"cpu_mhz", cfg.cpu_mhz},
                 {"heap_bytes", cfg.heap_bytes},
                 {"client_cert", o.client_cert},
                 {"server_key", key_type_name(o.server_key)},
                 {"rtt", o.rtt},
                 {"seed", o.seed}};
  auto row = [](const Row& x) { return json{{"requested", x.requested}, {"heap_drop", x.drop}}; };
  r["memory"] = {{"client_context", row(cap.context)},
                 {"buffer_in", row(cap.buffer_in)},
                 {"buffer_out", row(cap.buffer_out)},
                 {"thunk_stack", row(cap.thunk)},
                 {"thunk_peak", d.thunk().max_usage()},
                 {"x509_engine", row(cap.x509)},
                 {"certificates_and_keys", cap.helpers_at_connect},
                 {"steady_total", cap.context.drop + cap.buffer_in.drop + cap.buffer_out.drop},
                 {"free_before_connect", cap.free_before_connect},
                 {"free_min", cap.free_min == UINT32_MAX ? 0 : cap.free_min},
                 {"largest_request", cap.largest}};
  const double handshake = (*cap.tls_done - *cap.tcp_up).seconds() * 1000.0;
  json bd = json::object();
  double compute = 0;
  for (size_t c = 0; c < size_t(CostCat::count); ++c) {
    const double v = double(cap.at_tls_done[c] - cap.at_tcp_up[c]) / (double(cfg.cpu_mhz) * 1000.0);
    compute += v;
    bd[cost_cat_name(CostCat(c))] = v;
  }
  bd["network_and_platform"] = std::max(0.0, handshake - compute);
  r["time_ms"] = {{"tls_handshake", handshake}, {"reported_by_client", cap.reported_ms}, {"breakdown", bd}};
  return r;
}

void print_sketch_profile(const nlohmann::ordered_json& r) {
  const auto& c = r["config"];
  const auto& m = r["memory"];
  const auto& t = r["time_ms"];
  std::printf("espfleet profile: sketch %s, %u MHz, heap %u B, %s server key%s, RTT %s\n\n",
              c["firmware"].get<std::string>().c_str(), unsigned(c["cpu_mhz"]), unsigned(c["heap_bytes"]),
              c["server_key"].get<std::string>().c_str(), bool(c["client_cert"]) ? ", client certificate required" : "",
              c["rtt"].get<std::string>().c_str());
  std::printf("Memory (bytes: requested, and the free heap's drop)\n");
  auto line = [&m](const char* label, const char* key, const char* note) {
    std::printf("  %-24s %6u %6u   %s\n", label, unsigned(m[key]["requested"]), unsigned(m[key]["heap_drop"]), note);
  };
  line("BearSSL client context", "client_context", "");
  line("input buffer", "buffer_in", "(payload + 325)");
  line("output buffer", "buffer_out", "(payload + 85)");
  std::printf("  %-24s        %6u   (held while connected)\n", "steady total", unsigned(m["steady_total"]));
  line("thunk stack", "thunk_stack", "(taken when the first secure client was made)");
  std::printf("  %-24s        %6u\n", "  peak used", unsigned(m["thunk_peak"]));
  line("X.509 engine", "x509_engine", "(held during the handshake only)");
  std::printf("  %-24s        %6u   (X509List, PrivateKey... live at the connect)\n", "certificates and keys",
              unsigned(m["certificates_and_keys"]));
  std::printf("  free heap before connect %u, minimum during it %u, largest request %u\n\n",
              unsigned(m["free_before_connect"]), unsigned(m["free_min"]), unsigned(m["largest_request"]));
  std::printf("Time (device clock, ms)\n");
  std::printf("  TLS handshake            %8.1f   (the client's own count: %u ms)\n", double(t["tls_handshake"]),
              unsigned(t["reported_by_client"]));
  for (auto& [k, v] : t["breakdown"].items()) std::printf("    %-22s %8.1f\n", k.c_str(), double(v));
}

}  // namespace espfleet
