// sim/cli/cmd_profile.cpp — `espfleet profile`: one device's first connect, measured.
//
// Memory: every device heap operation is observed (heap/device_heap.h) with its call site and the
// free heap before and after; a row is the sum of the free-heap drops of the allocations made
// at one place in the firmware (the BearSSL context and buffers in tls_client.cpp, the thunk
// block in StackThunk.cpp, the X.509 engine in x509_checks.cpp, the MQTT buffer), which is how
// Tasmota's "SSL/TLS" page took its figures (struct size plus umm rounding and header).
// Time: the device's own clock at the points the firmware passes (TCP connected = the BearSSL
// context allocation that follows it; "TLS: connected"; "MQT: Connected").
#include "cmd_profile.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "broker.h"
#include "cli_error.h"
#include "cli_options.h"
#include "cost_meter.h"
#include "cost_model.h"
#include "fingerprint.h"
#include "flash_image.h"
#include "fleet.h"
#include "local_broker.h"
#include "pki.h"
#include "serial_console.h"
#include "session.h"
#include "tls_client.h"
#include "units.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

// One observed allocation during the connect.
struct Alloc {
  std::string site;  // file basename
  size_t size;
  uint32_t drop;  // free_before - free_after
  VTime at;
};

struct Capture {
  std::vector<Alloc> allocs;
  uint32_t free_min = UINT32_MAX;
  uint32_t free_before_connect = 0;
  bool connecting = false;
  std::optional<VTime> attempt, tcp_up, tls_done, connack, failed;
  bool tls_logged = false;
  CostAccount at_tcp_up{}, at_tls_done{};
  std::string failure;
  uint32_t handshake_ms_logged = 0;
  uint32_t thunk_used_logged = 0;
  uint32_t mqtt_buffer = 0;  // MQTT client allocations up to CONNACK (setup included)
};

std::string basename_of(const char* file) {
  if (!file) return "(operator new)";
  std::string_view v(file);
  size_t slash = v.find_last_of('/');
  return std::string(slash == std::string_view::npos ? v : v.substr(slash + 1));
}

}  // namespace

ProfileDir::ProfileDir(const std::string& out) {
  if (out.empty()) {
    char tmpl[] = "/tmp/espfleet-profile.XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a temporary directory in /tmp");
    path = tmpl;
  } else {
    path = out;
    keep = true;
    fs::create_directories(path);
  }
}

ProfileDir::~ProfileDir() {
  std::error_code ec;
  if (!keep && !path.empty()) fs::remove_all(path, ec);
}

Duration profile_rtt(const std::string& rtt) {
  Duration d;
  try {
    d = parse_duration(rtt);
  } catch (const std::exception& e) {
    throw std::runtime_error("--rtt: " + std::string(e.what()));
  }
  // As net.rtt: a link slower than that would time the connect out (-1002) instead of measuring it.
  if (d > Duration::from_s(60)) throw std::runtime_error("--rtt " + rtt + ": must be at most 1m (as net.rtt)");
  return d;
}

DeviceConfig profile_user_device(const ProfileOptions& o, bool client_cert) {
  DeviceConfig cfg;
  cfg.cpu_mhz = o.cpu_mhz ? o.cpu_mhz : chip_defaults(Chip::esp8266).cpu_mhz;
  cfg.tls_enabled = true;
  cfg.client_cert = client_cert;
  if (!o.heap.empty()) {
    uint64_t v;
    try {
      v = parse_bytes(o.heap);
    } catch (const std::exception& e) {
      throw std::runtime_error("--heap '" + o.heap + "': " + e.what());
    }
    if (v < 4096 || v > 81920 || v % 8)
      throw std::runtime_error("--heap " + o.heap + ": must be a multiple of 8 between 4096 and 81920");
    cfg.heap_bytes = uint32_t(v);
  }
  cfg.rtt = profile_rtt(o.rtt);
  cfg.jitter = Duration::from_us(0);
  return cfg;
}

LocalBroker start_profile_broker(const std::filesystem::path& dir, const ProfileOptions& o, bool require_certificate) {
  stop_stale_brokers_saying_so();
  LocalBrokerOptions lo;
  lo.pki_dir = dir / "pki";
  lo.broker_dir = dir / "broker";
  lo.ca_name = "espfleet profile CA";
  lo.seed = o.seed;
  lo.server_key = o.server_key;
  lo.require_certificate = require_certificate;
  lo.plain_listener = true;  // a user firmware's 1883
  return start_local_broker(lo);
}

CLI::App* add_profile_command(CLI::App& app, ProfileOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "profile", "One device, fast mode, against the embedded broker: the heap and time its first TLS connect costs");
  add_enum_option(cmd, "--chip", o.chip, kChipNames,
                  "esp8266 (the thunk stack, umm heap) or esp32c3 (BearSSL on the loop task's stack, TLSF heap; its "
                  "times are predictions: docs/chips.md)");
  cmd->add_option("--cpu", o.cpu_mhz, "CPU clock in MHz, 80 or 160 (default: the chip's, 80 or 160 on the esp32c3)")
      ->check(CLI::IsMember({80, 160}));
  add_enum_option(cmd, "--validation", o.validation, kValidationNames,
                  "ca (chain to the broker's CA) or fingerprint (pinned key)");
  cmd->add_flag("--client-cert", o.client_cert, "present a P-256 client certificate (the broker requires it)");
  add_enum_option(cmd, "--server-key", o.server_key, kKeyTypeNames,
                  "the broker's key: rsa2048 or ec256 (ec256 enables SetOption165)",
                  {KeyType::rsa2048, KeyType::ec256});
  add_enum_option(cmd, "--key-exchange", o.key_exchange, kKeyExchangeNames,
                  "ecdhe (ECDHE_RSA/ECDSA) or rsa (TLS_RSA_WITH_AES_128_GCM_SHA256, older Tasmota)");
  cmd->add_option("--rtt", o.rtt, "link round-trip time added in virtual time (e.g. 2ms on a LAN, 80ms to a cloud)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "device seed")->capture_default_str();
  cmd->add_option("--out", o.out, "keep the device log, broker files and PKI in DIR");
  cmd->add_option("--firmware", o.firmware,
                  "profile this Arduino sketch's first BearSSL::WiFiClientSecure connect instead (docs/sketches.md); "
                  "\"nodemcu\" (or a NodeMCU project folder): a NodeMCU device's first secure MQTT connect, on mbed "
                  "TLS as NodeMCU configures it (docs/nodemcu-tls.md)");
  cmd->add_option("--library", o.libraries, "a library the sketch may include (Arduino layout; repeatable)");
  cmd->add_option("--heap", o.heap, "the device's heap size, e.g. 30K (a sketch's or NodeMCU's profile; default 48K)");
  cmd->add_flag("--json", o.json, "print the result as JSON");
  return cmd;
}

nlohmann::ordered_json run_profile(const ProfileOptions& o) {
  using json = nlohmann::ordered_json;
  if (o.validation == Validation::fingerprint && o.server_key != KeyType::rsa2048)
    throw std::runtime_error(
        "--validation fingerprint needs an RSA server key: the fingerprint is defined for RSA keys");
  if (o.key_exchange == KeyExchange::rsa && o.server_key != KeyType::rsa2048)
    throw std::runtime_error("--key-exchange rsa needs an RSA server key");

  ProfileDir tmp(o.out);

  DeviceConfig cfg;
  cfg.chip = o.chip;
  cfg.cpu_mhz = o.cpu_mhz ? o.cpu_mhz : chip_defaults(o.chip).cpu_mhz;
  cfg.heap_bytes = chip_defaults(o.chip).heap_bytes;
  const uint32_t mhz = cfg.cpu_mhz;
  cfg.tls_enabled = true;
  cfg.validation = o.validation;
  cfg.client_cert = o.client_cert;
  cfg.ecdsa = o.server_key == KeyType::ec256;
  cfg.key_exchange = o.key_exchange;
  if (o.key_exchange == KeyExchange::rsa && o.client_cert)
    throw std::runtime_error(
        "--key-exchange rsa goes without --client-cert (the firmware uses ECDHE with a client certificate)");
  cfg.rtt = profile_rtt(o.rtt);
  cfg.jitter = Duration::from_us(0);

  // PKI and broker.
  stop_stale_brokers_saying_so();
  LocalBrokerOptions lo;
  lo.pki_dir = tmp.path / "pki";
  lo.broker_dir = tmp.path / "broker";
  lo.ca_name = "espfleet profile CA";
  lo.seed = o.seed;
  lo.server_key = o.server_key;
  lo.require_certificate = o.client_cert;
  LocalBroker local = start_local_broker(lo);
  CertificateAuthority& ca = local.ca;
  const IssuedCert& server = local.server;
  EmbeddedBroker& broker = *local.broker;
  if (o.validation == Validation::fingerprint) {
    std::string err;
    auto fp = fingerprint_v2_of_cert_der(server.cert_der, &err);
    if (!fp) throw std::runtime_error("server certificate: " + err);
    cfg.fingerprint1 = format_fingerprint(*fp);
    cfg.fingerprint2 = "";
  }

  auto dlog = device_logger(tmp.keep ? tmp.path / "devices.log" : fs::path(), "profile-device");

  Capture cap;
  Device* dev_ptr = nullptr;
  Fleet* engine_ptr = nullptr;
  FleetOptions eo;
  eo.mode = RunMode::fast;
  eo.duration = VTime::from_s(60);
  eo.device_log = dlog;
  eo.on_serial_line = [&](Device& d, std::string_view line) {
    ConsoleLine c = parse_console_line(line);
    using K = ConsoleLine::Kind;
    if (c.kind == K::attempting && !cap.attempt) {
      cap.attempt = d.now();
      cap.connecting = true;
      cap.free_before_connect = d.heap().free_bytes();
    } else if (c.kind == K::tls_connected && !cap.tls_logged) {
      cap.tls_logged = true;
      cap.handshake_ms_logged = uint32_t(c.value);
      cap.thunk_used_logged = uint32_t(c.value2);
    } else if (c.kind == K::mqtt_connected && !cap.connack) {
      cap.connack = d.now();
      cap.connecting = false;
      engine_ptr->request_stop();
    } else if (c.kind == K::connect_failed && !cap.failed) {
      cap.failed = d.now();
      cap.failure = std::string(line.substr(std::min<size_t>(5, line.size())));
      cap.connecting = false;
      engine_ptr->request_stop();
    }
  };
  // Every heap request of the device, with its call site and the free heap around it.
  struct Observer final : HeapObserver {
    Capture& cap;
    Device*& dev;
    Observer(Capture& c, Device*& d) : cap(c), dev(d) {}
    void on_heap_event(const HeapEvent& e) override {
      // The rows are the firmware's own allocations, measured as free-heap drops around each
      // (as the published figures were taken); lwIP's receive pbufs are not among them, and the
      // minimum is read at the firmware's allocations too.
      if (e.kind == HeapEvent::Kind::boot || e.tag == HeapTag::lwip) return;
      std::string site = basename_of(e.site.file);
      uint32_t drop = e.free_before > e.free_after ? e.free_before - e.free_after : 0;
      if (e.kind == HeapEvent::Kind::alloc && e.ptr && site == "mqtt_client.cpp" && !cap.connack)
        cap.mqtt_buffer += drop;
      if (!cap.connecting) return;
      cap.free_min = std::min(cap.free_min, e.free_after);
      // The X.509 engine is freed as soon as the handshake ends (TlsClient::freeHandshake).
      if (e.kind == HeapEvent::Kind::release && site == "x509_checks.cpp" && !cap.tls_done) {
        cap.tls_done = e.at;
        cap.at_tls_done = dev->costs().account();
      }
      if (e.kind != HeapEvent::Kind::alloc || !e.ptr) return;
      if (site == "tls_client.cpp" && !cap.tcp_up) {  // the first thing after TCP connect
        cap.tcp_up = e.at;
        cap.at_tcp_up = dev->costs().account();
      }
      cap.allocs.push_back(Alloc{site, e.size, drop, e.at});
    }
  } observer(cap, dev_ptr);

  Fleet engine(eo, 1, cfg.heap_bytes);
  engine_ptr = &engine;
  BrokerEndpoint endpoint{"localhost", broker.tls_port(), broker.plain_port(), ca.cert_der()};
  std::vector<uint8_t> flash = provision_device(0, o.seed, cfg, endpoint, &ca, uint32_t(std::time(nullptr)));
  Device& dev = engine.add_device(DeviceSpec{0, cfg, o.seed, std::move(flash), VTime{}, kTasmotaProgram});
  dev_ptr = &dev;
  dev.heap().set_observer(&observer);
  engine.run();
  dev.heap().set_observer(nullptr);
  broker.stop();

  if (cap.connack && !cap.tls_done) cap.tls_done = cap.connack;
  if (!cap.connack) {
    std::string why = cap.failed ? cap.failure : "no connection within 60 s of device time";
    throw std::runtime_error("the device did not connect: " + why +
                             (tmp.keep ? " (device log: " + (tmp.path / "devices.log").string() + ")" : ""));
  }

  // Memory rows.
  uint32_t ctx = 0, buffers = 0, thunk = 0, decoder = 0, largest = 0;
  const uint32_t mqtt = cap.mqtt_buffer;
  for (const Alloc& a : cap.allocs) {
    largest = std::max(largest, a.drop);
    if (a.site == "tls_client.cpp") {
      if (a.size == TlsClient::kBufIn || a.size == TlsClient::kBufOut || a.size == TlsClient::kBufInEsp32 ||
          a.size == TlsClient::kBufOutEsp32)
        buffers += a.drop;
      else
        ctx += a.drop;
    } else if (a.site == "StackThunk.cpp") {
      thunk += a.drop;
    } else if (a.site == "x509_checks.cpp") {
      decoder += a.drop;
    }
  }
  auto ms = [](VTime a, VTime b) { return (b - a).seconds() * 1000.0; };
  json r;
  r["config"] = {{"chip", enum_name(kChipNames, o.chip)},
                 {"cpu_mhz", mhz},
                 {"cpi", chip_cost_table(o.chip).cpi(mhz)},
                 {"validation", enum_name(kValidationNames, o.validation)},
                 {"client_cert", o.client_cert},
                 {"server_key", key_type_name(o.server_key)},
                 {"key_exchange", enum_name(kKeyExchangeNames, o.key_exchange)},
                 {"rtt", o.rtt},
                 {"seed", o.seed}};
  VTime tcp_up = cap.tcp_up.value_or(*cap.attempt);
  r["time_ms"] = {{"tcp_connect", ms(*cap.attempt, tcp_up)},
                  {"tls_handshake", ms(tcp_up, *cap.tls_done)},
                  {"tls_connect_logged", cap.handshake_ms_logged},
                  {"mqtt_connack", ms(*cap.tls_done, *cap.connack)},
                  {"total", ms(*cap.attempt, *cap.connack)}};
  // Handshake breakdown: the cycles charged per kind of work between TCP up and the end of the
  // handshake, in ms of this clock; the rest of the handshake's time is waiting on the network
  // (round trips, the broker's own work) and the platform (yields, TCP copies, malloc).
  json bd = json::object(), instr = json::object();
  double compute_ms = 0;
  for (size_t c = 0; c < size_t(CostCat::count); ++c) {
    uint64_t cycles = cap.at_tls_done[c] - cap.at_tcp_up[c];
    double v = double(cycles) / (double(mhz) * 1000.0);
    compute_ms += v;
    bd[cost_cat_name(CostCat(c))] = v;
    instr[cost_cat_name(CostCat(c))] = uint64_t(double(cycles) / dev.costs().costs().cpi(mhz) + 0.5);
  }
  r["handshake_instructions"] = instr;  // chip instructions per kind (cycles / CPI): what the fit scales
  bd["network_and_platform"] = std::max(0.0, double(r["time_ms"]["tls_handshake"]) - compute_ms);
  r["time_ms"]["breakdown"] = bd;
  r["memory"] = {{"client_context", ctx},
                 {"buffers", buffers},
                 {"thunk_stack", thunk},
                 {"thunk_peak", cap.thunk_used_logged},
                 {"decoder", decoder},
                 {"mqtt_buffer", mqtt},
                 {"steady_total", ctx + buffers},
                 {"handshake_total", thunk + decoder},
                 {"free_before_connect", cap.free_before_connect},
                 {"free_min", cap.free_min == UINT32_MAX ? 0 : cap.free_min},
                 {"largest_block", largest}};
  if (!dev.chip().thunk) {  // BearSSL on the loop task's stack: its deepest estimated use
    r["memory"]["loop_stack"] = dev.program_stack_bytes();
    r["memory"]["loop_stack_peak"] = dev.platform().loop_stack_peak();
    r["predicted"] = "no published handshake times for this chip: the time rows are the model's predictions";
  }
  return r;
}

int cmd_profile(const ProfileOptions& o) {
  try {
    if (!o.firmware.empty() && is_nodemcu_profile(o.firmware)) {
      if (o.chip != Chip::esp8266) throw std::runtime_error("--firmware nodemcu runs on the esp8266 only");
      if (!o.libraries.empty()) throw std::runtime_error("--library goes with a sketch, not NodeMCU");
      nlohmann::ordered_json r = run_nodemcu_profile(o);
      if (o.json)
        std::cout << r.dump(2) << "\n";
      else
        print_nodemcu_profile(r);
      return 0;
    }
    if (!o.firmware.empty()) {
      if (o.chip != Chip::esp8266)
        throw std::runtime_error(
            "--firmware runs an ESP8266 Arduino sketch: --chip esp32c3 is for the built-in firmware");
      nlohmann::ordered_json r = run_sketch_profile(o);
      if (o.json)
        std::cout << r.dump(2) << "\n";
      else
        print_sketch_profile(r);
      return 0;
    }
    if (!o.heap.empty() || !o.libraries.empty())
      throw std::runtime_error("--heap and --library go with --firmware (a sketch's profile)");
    nlohmann::ordered_json r = run_profile(o);
    if (o.json) {
      std::cout << r.dump(2) << "\n";
      return 0;
    }
    const auto& t = r["time_ms"];
    const auto& m = r["memory"];
    std::printf("espfleet profile: %s at %u MHz, %s validation%s, %s server key, %s key exchange, RTT %s\n\n",
                std::string(enum_name(kChipNames, o.chip)).c_str(), unsigned(r["config"]["cpu_mhz"]),
                std::string(enum_name(kValidationNames, o.validation)).c_str(),
                o.client_cert ? ", client certificate" : "", std::string(key_type_name(o.server_key)).c_str(),
                std::string(enum_name(kKeyExchangeNames, o.key_exchange)).c_str(), o.rtt.c_str());
    std::printf("Memory (free-heap drop of each allocation, bytes)\n");
    std::printf("  BearSSL client context   %6u\n", unsigned(m["client_context"]));
    std::printf("  I/O buffers (in + out)   %6u\n", unsigned(m["buffers"]));
    std::printf("  steady total             %6u   (held while connected)\n", unsigned(m["steady_total"]));
    if (m.contains("loop_stack"))
      std::printf("  loop task stack          %6u   (not from the heap at connect; BearSSL's peak ~%u)\n",
                  unsigned(m["loop_stack"]), unsigned(m["loop_stack_peak"]));
    else
      std::printf("  thunk stack              %6u   (peak used %u)\n", unsigned(m["thunk_stack"]),
                  unsigned(m["thunk_peak"]));
    std::printf("  X.509 decoder context    %6u\n", unsigned(m["decoder"]));
    std::printf("  handshake total          %6u   (held during the handshake only)\n", unsigned(m["handshake_total"]));
    std::printf("  MQTT buffer              %6u\n", unsigned(m["mqtt_buffer"]));
    std::printf("  free heap before connect %6u, minimum during it %u, largest block needed %u\n\n",
                unsigned(m["free_before_connect"]), unsigned(m["free_min"]), unsigned(m["largest_block"]));
    std::printf("Time (device clock, ms)\n");
    std::printf("  TCP connect              %8.1f\n", double(t["tcp_connect"]));
    std::printf("  TLS handshake            %8.1f\n", double(t["tls_handshake"]));
    for (auto& [k, v] : t["breakdown"].items()) std::printf("    %-22s %8.1f\n", k.c_str(), double(v));
    std::printf("  MQTT CONNACK             %8.1f\n", double(t["mqtt_connack"]));
    std::printf("  total                    %8.1f   (firmware's \"TLS: connected in\" %u ms)\n", double(t["total"]),
                unsigned(t["tls_connect_logged"]));
    if (r.contains("predicted")) std::printf("\n  (%s)\n", std::string(r["predicted"]).c_str());
    return 0;
  } catch (const std::exception& e) {
    return report_command_error("profile", e);
  }
}

}  // namespace espfleet
