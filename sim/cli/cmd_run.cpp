// sim/cli/cmd_run.cpp — `espfleet run`: scenario → run directory → broker → devices → engine →
// outputs. Signals (SIGINT, SIGTERM, SIGHUP) are handled for the whole command: whatever phase
// one arrives in, the run stops there and everything measured so far is written.
#include "cmd_run.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "broker.h"
#include "broker_watch.h"
#include "fleet.h"
#include "flash_image.h"
#include "heap_map.h"
#include "heap_timeline.h"
#include "host_usage.h"
#include "local_broker.h"
#include "cli_error.h"
#include "input_file.h"
#include "output_file.h"
#include "pki.h"
#include "report.h"
#include "run_dir.h"
#include "run_record.h"
#include "run_signals.h"
#include "scenario.h"
#include "session.h"
#include "tape.h"
#include "settings.h"

namespace fs = std::filesystem;

namespace espfleet {

namespace {

// After the broker stopped: every device connection has seen its close.
bool all_sockets_closed_by_peer(const Fleet& fleet) {
  for (auto& d : fleet.devices())
    if (d->net().awaits_peer_close()) return false;
  return true;
}

struct BrokerTarget {
  std::string host;
  uint16_t port = 0;
  std::vector<uint8_t> ca_der;  // what devices trust
};

BrokerTarget parse_broker(const std::string& spec) {
  std::string s = spec;
  for (const char* scheme : {"mqtts://", "mqtt://", "ssl://", "tcp://"})
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::strlen(scheme));
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    throw std::runtime_error("--broker '" + spec + "': expected HOST:PORT (e.g. localhost:8883)");
  BrokerTarget t;
  t.host = s.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(s.substr(colon + 1));
  } catch (...) {
  }
  if (port <= 0 || port > 65535) throw std::runtime_error("--broker '" + spec + "': bad port");
  t.port = uint16_t(port);
  return t;
}

// Every certificate of a PEM file (a bundle is fine), as DER back to back: the firmware's CA
// slot (TlsSettings.ca) holds at most kMaxFlashAnchors of them in sizeof(TlsSettings::ca) bytes.
std::vector<uint8_t> pem_file_to_der(const std::string& path) {
  std::string text;
  try {
    text = read_whole_file(path);
  } catch (const InputError& e) {
    throw CliError("--ca " + std::string(e.what()));
  }
  std::vector<std::vector<uint8_t>> certs;
  try {
    certs = pem_certificates(text);
  } catch (const PkiError& e) {
    throw CliError("--ca " + path + ": " + e.what());
  }
  const size_t count = certs.size();
  if (count == 0) throw CliError("--ca " + path + ": no PEM certificate in the file");
  std::vector<uint8_t> all;
  for (const auto& c : certs) all.insert(all.end(), c.begin(), c.end());
  if (count > kMaxFlashAnchors)
    throw std::runtime_error("--ca " + path + ": " + std::to_string(count) + " certificates, but the firmware holds at most " +
                             std::to_string(kMaxFlashAnchors) + " CA certificates (tls.builtin_anchors adds roots besides)");
  if (all.size() > sizeof(TlsSettings::ca))
    throw std::runtime_error("--ca " + path + ": " + std::to_string(count) + " certificate" + (count > 1 ? "s" : "") +
                             " take " + std::to_string(all.size()) + " bytes in DER, more than the firmware's " +
                             std::to_string(sizeof(TlsSettings::ca)) + "-byte trust anchor slot");
  return all;
}

// Every device holds a socket: raise the soft open-file limit to the hard one, and say clearly
// when the fleet cannot fit.
void ensure_fd_limit(uint32_t devices) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t need = rlim_t(devices) + 64;
  if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
    throw std::runtime_error("fleet.devices = " + std::to_string(devices) + " needs " + std::to_string(need) +
                             " open files, but this process may hold only " + std::to_string(rl.rlim_cur) +
                             " (hard limit); run the fleet in shards of at most " +
                             std::to_string(rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 0) + " devices");
}

// The CLI's own overrides become scenario overrides, each named in messages as it was given.
struct Overrides {
  std::vector<std::string> sets, shown;
  void add(std::string set, std::string as = {}) {
    sets.push_back(std::move(set));
    shown.push_back(std::move(as));
  }
};

Overrides overrides_of(const RunOptions& o) {
  Overrides ov;
  for (const std::string& s : o.sets) ov.add(s);
  if (!o.devices.empty()) ov.add("fleet.devices=" + o.devices, "--devices " + o.devices);
  if (!o.duration.empty()) ov.add("fleet.duration=\"" + o.duration + "\"", "--duration " + o.duration);
  if (!o.seed.empty()) ov.add("fleet.seed=" + o.seed, "--seed " + o.seed);
  if (!o.mode.empty()) ov.add("fleet.mode=\"" + o.mode + "\"", "--mode " + o.mode);
  return ov;
}

double now_s(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void add_run_options(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("SCENARIO", o.scenario, "Scenario file (TOML); see docs/scenario-reference.md")->required();
  cmd.add_option("--devices", o.devices, "Number of devices (overrides fleet.devices)");
  cmd.add_option("--duration", o.duration, "Run length in device time, e.g. 60s, 5m (overrides fleet.duration)");
  cmd.add_option("--seed", o.seed, "Master seed (overrides fleet.seed)");
  cmd.add_option("--mode", o.mode, "realtime (default: devices never run ahead of the wall clock) or fast");
  cmd.add_option("--broker", o.broker, "Use your broker at HOST:PORT instead of the embedded Mosquitto");
  cmd.add_option("--ca", o.ca, "Trust anchor (PEM CA certificate) for --broker");
  cmd.add_option("--device-ca-cert", o.device_ca_cert,
                 "CA certificate (PEM) that signs every device's client certificate (CN = client id), for your broker")
      ->check(CLI::ExistingFile);
  cmd.add_option("--device-ca-key", o.device_ca_key, "Private key (PEM) of --device-ca-cert")->check(CLI::ExistingFile);
  cmd.add_option("--out", o.out, "Run directory (default: runs/YYYYmmdd-HHMMSS); a directory holding a run is refused");
  cmd.add_flag("--force", o.force, "Reuse an --out directory that holds an earlier run: clear it first");
  cmd.add_option("--set", o.sets, "Override any scenario key, e.g. --set device.cpu_mhz=160 (repeatable)");
  cmd.add_flag("--quiet", o.quiet, "No live progress line");
  cmd.add_flag("--json", o.json, "Print summary.json to stdout instead of the table");
  cmd.add_flag("--no-tapes", o.no_tapes, "Keep no device tapes (RUN_DIR/tapes; `espfleet replay` needs them)");
  cmd.add_option("--timeline", o.timelines,
                 "Write heap timelines (RUN_DIR/heap/ID-timeline.svg and .csv) of these devices: ID[,ID...] or all");
  cmd.add_option("--max-heap-maps", o.max_heap_maps, "Write at most N crash heap maps (RUN_DIR/heap/ID-crash-K.svg)")
      ->check(CLI::NonNegativeNumber);
}

int cmd_run(const RunOptions& o) {
  RunSignals signals;  // from here on a signal stops the run; it never loses the outputs
  auto t_start = std::chrono::steady_clock::now();
  try {
    Overrides ov = overrides_of(o);
    Scenario sc = load_scenario(o.scenario, ov.sets, ov.shown);
    const uint32_t n = sc.fleet.devices;
    ensure_fd_limit(n);
    std::vector<bool> timeline_for = parse_device_list(o.timelines, n, "--timeline");
    std::string broker_url = o.broker.empty() ? sc.broker.url : o.broker;
    if (broker_url.empty()) {
      for (auto [opt, val] : {std::pair{"--ca", &o.ca}, {"--device-ca-cert", &o.device_ca_cert}, {"--device-ca-key", &o.device_ca_key}})
        if (!val->empty())
          throw std::runtime_error(std::string(opt) + " " + *val + ": is for a broker of yours (--broker or broker.url); " +
                                   "the embedded broker makes its own CA");
    }
    for (const StaleBroker& s : stop_stale_brokers())
      std::fprintf(stderr, "espfleet: stopped a stale embedded mosquitto (pid %d, %s), left by espfleet pid %d, which is gone\n",
                   int(s.pid), s.config.c_str(), int(s.owner));

    fs::path dir = prepare_run_dir(o.out, o.force);
    write_replay_inputs(dir, o.scenario, ov.sets);
    write_file_atomically(dir / "scenario.resolved.json", sc.resolved().dump(2) + "\n");
    auto dlog = device_logger(dir / "devices.log", "device");

    // Device configurations and the PKI they need.
    std::vector<DeviceConfig> cfgs;
    cfgs.reserve(n);
    bool any_plain = false, any_cert = false, any_ca_without_builtin = false;
    size_t max_heap = 0;
    for (uint32_t id = 0; id < n; ++id) {
      cfgs.push_back(sc.for_device(id));
      any_ca_without_builtin |= cfgs.back().tls_enabled && cfgs.back().validation == Validation::ca && !cfgs.back().builtin_anchors;
      any_plain |= !cfgs.back().tls_enabled;
      any_cert |= cfgs.back().tls_enabled && cfgs.back().client_cert;
      max_heap = std::max<size_t>(max_heap, cfgs.back().heap_bytes);
    }

    std::optional<CertificateAuthority> ca;
    std::unique_ptr<EmbeddedBroker> broker;
    BrokerTarget target;
    uint16_t plain_port = 0;
    if (broker_url.empty()) {
      LocalBrokerOptions lo;
      lo.pki_dir = dir / "pki";
      lo.broker_dir = dir / "broker";
      lo.ca_name = "espfleet run CA";
      lo.seed = sc.fleet.seed;
      lo.server_key = sc.broker.server_key;
      lo.require_certificate = sc.broker.require_certificate && any_cert;
      lo.plain_listener = any_plain;
      LocalBroker local = start_local_broker(lo);
      ca = std::move(local.ca);
      broker = std::move(local.broker);
      target.host = "localhost";
      target.port = broker->tls_port();
      plain_port = broker->plain_port();
      target.ca_der = ca->cert_der();
      std::fprintf(stderr, "espfleet: embedded mosquitto pid %d on %s:%u (TLS)%s\n", int(broker->pid()),
                   target.host.c_str(), unsigned(target.port),
                   any_plain ? (", plain " + std::to_string(plain_port)).c_str() : "");
    } else {
      target = parse_broker(broker_url);
      plain_port = target.port;
      if (!o.ca.empty()) {
        target.ca_der = pem_file_to_der(o.ca);
        // BearSSL's trust anchors carry no dates: an expired CA is still trusted by the devices.
        for (const std::string& p : validity_problems(target.ca_der))
          std::fprintf(stderr, "espfleet run: warning: --ca %s: %s; the devices still trust it (a BearSSL trust anchor carries no dates)\n",
                       o.ca.c_str(), p.c_str());
      } else if (any_ca_without_builtin) {
        throw std::runtime_error("--broker " + broker_url +
                                 ": devices validating by CA (tls.validation = \"ca\") need a trust anchor: pass --ca FILE "
                                 "(or select built-in roots with tls.builtin_anchors)");
      }
      if (o.device_ca_cert.empty() != o.device_ca_key.empty())
        throw std::runtime_error("--device-ca-cert and --device-ca-key go together");
      if (!o.device_ca_cert.empty()) ca = CertificateAuthority::load(o.device_ca_cert, o.device_ca_key, sc.fleet.seed);
      else if (any_cert)
        throw std::runtime_error("--broker " + broker_url +
                                 ": devices with tls.client_cert need a CA to sign their certificates: pass "
                                 "--device-ca-cert FILE --device-ca-key FILE (or set tls.client_cert = false)");
    }
    std::optional<BrokerWatch> watch;
    if (broker) watch.emplace(*broker);

    FleetOptions eo;
    eo.mode = sc.fleet.mode;
    eo.duration = VTime::from_us(sc.fleet.duration.us);
    eo.device_log = dlog;
    const bool record_tapes = !o.no_tapes;
    // The heap map of every crash (docs/heap.md): the heap is still the crashed one here.
    size_t heap_maps = 0, heap_maps_skipped = 0;
    std::vector<std::string> output_errors;
    eo.on_crash = [heap_dir = dir / "heap", &heap_maps, &heap_maps_skipped, &output_errors,
                   cap = size_t(o.max_heap_maps)](Device& d, ResetReason reason, const std::string& text, const std::string&) {
      if (heap_maps >= cap) {
        heap_maps_skipped++;
        return;
      }
      heap_maps++;
      size_t nth = d.life().crashes().size();
      std::string title = "dev " + std::to_string(d.id()) + " crash " + std::to_string(nth) + " (reset reason " +
                          std::to_string(reset_code(reason)) + "): " + text;
      try {
        make_directory(heap_dir);
        write_file_atomically(heap_dir / (std::to_string(d.id()) + "-crash-" + std::to_string(nth) + ".svg"),
                              render_heap_svg(heap_map_snapshot(d.heap().model(), d.heap().tags()), title));
      } catch (const std::exception& e) {
        output_errors.push_back(e.what());
      }
    };
    Fleet* engine_ptr = nullptr;
    auto log_restart = [&](pid_t pid) {
      if (pid > 0)
        std::fprintf(stderr, "espfleet: [%7.1fs] embedded mosquitto restarted, pid %d\n",
                     engine_ptr ? engine_ptr->now().seconds() : 0.0, int(pid));
    };
    if (broker && sc.broker.restart_every.us > 0) {
      const VTime every = VTime::from_us(sc.broker.restart_every.us), down = VTime::from_us(sc.broker.restart_down.us);
      for (VTime t = every; t < VTime::from_us(sc.fleet.duration.us); t = t + every) {
        eo.host_events.push_back(HostEvent{t, "broker stops", [&watch] { watch->planned_stop(); },
                                           [&engine_ptr] { return all_sockets_closed_by_peer(*engine_ptr); }});
        eo.host_events.push_back(HostEvent{t + down, "broker starts", [&] { log_restart(watch->planned_start()); }, {}});
      }
    }
    if (n > 20000)
      for (int i = 2; i < 32; ++i) eo.source_addresses.push_back("127.0.0." + std::to_string(i));
    Fleet engine(eo, n, max_heap);
    engine_ptr = &engine;
    std::vector<std::unique_ptr<Tape>> tapes;  // what each device received (replay/tape.h)

    uint64_t rss_before = rss_bytes();
    uint32_t utc = uint32_t(std::time(nullptr));
    Rng boot_rng(mix_seed(sc.fleet.seed, uint64_t(SeedPurpose::boot)));
    auto t0 = std::chrono::steady_clock::now();
    if (record_tapes) make_directory(dir / "tapes", 0700);  // the boot flash holds the device's key
    const char* interrupted_in = nullptr;  // the phase a signal stopped
    if (signals.interrupted()) interrupted_in = "setup";
    for (uint32_t id = 0; id < n && !interrupted_in; ++id) {
      if (signals.interrupted()) {
        interrupted_in = "provisioning";
        break;
      }
      const DeviceConfig& c = cfgs[id];
      FlashInputs fi;
      fi.mqtt_host = target.host;
      fi.mqtt_port = c.tls_enabled ? target.port : plain_port;
      fi.utc_at_boot = utc;
      if (c.tls_enabled) {
        fi.ca_der = target.ca_der;
        if (c.client_cert && ca) {
          DeviceCert dc = ca->issue_device(client_id_for(chip_id_for(id, sc.fleet.seed)));
          fi.client_key.assign(dc.private_scalar.begin(), dc.private_scalar.end());
          fi.client_cert = dc.cert_der;
        }
      }
      int64_t spread_us = sc.fleet.connect_spread.us;
      VTime boot_at = VTime::from_us(spread_us > 0 ? int64_t(boot_rng.below(uint64_t(spread_us))) : 0);
      std::vector<uint8_t> flash = build_flash_image(c, fi);
      if (record_tapes) write_boot_flash(boot_flash_path(dir, id).string(), flash);
      Device& dev = engine.add_device(DeviceSpec{id, c, sc.fleet.seed, std::move(flash), boot_at, kTasmotaProgram});
      if (record_tapes) {
        tapes.push_back(std::make_unique<Tape>());
        dev.net().set_recorder(tapes.back().get());
      }
      if (timeline_for[id]) dev.heap().keep_timeline(std::make_unique<HeapTimeline>());
    }
    double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu_before = cpu_seconds_self();  // the run itself, not provisioning (certificate signing)
    const uint32_t provisioned = uint32_t(engine.devices().size());
    if (!interrupted_in)
      std::fprintf(stderr, "espfleet: %u devices ready (%.2f s to provision), %s mode, %.0f s of device time\n", n,
                   setup_s, engine.realtime() ? "realtime" : "fast", eo.duration.seconds());

    std::optional<BrokerExit> broker_exit;
    VTime broker_exit_at{};
    double broker_exit_wall = 0;
    bool tty = isatty(STDERR_FILENO);
    engine.set_on_tick([&]() {
      if (signals.interrupted()) engine.request_stop();
      if (watch && !broker_exit)
        if ((broker_exit = watch->check())) {
          broker_exit_at = engine.now();
          broker_exit_wall = now_s(t_start);
          std::fprintf(stderr, "%sespfleet: [%7.1fs] the embedded mosquitto (pid %d) exited unplanned: %s; the run goes on without a broker\n",
                       tty && !o.quiet ? "\n" : "", broker_exit_at.seconds(), int(broker_exit->pid), broker_exit->how.c_str());
        }
      if (o.quiet) return;
      uint32_t conn = 0, fail = 0, crash = 0;
      uint64_t pub = 0;
      for (auto& d : engine.devices()) {
        conn += d->life().state() == DeviceState::connected;
        fail += d->console().connect_failures;
        crash += uint32_t(d->life().crashes().size());
        pub += d->console().published;
      }
      std::fprintf(stderr, "%s[%7.1fs] connected %u/%u  failures %u  crashes %u  published %llu%s",
                   tty ? "\r" : "", engine.now().seconds(), conn, n, fail, crash, (unsigned long long)pub,
                   tty ? "   " : "\n");
    });
    if (!interrupted_in) {
      engine.run();
      if (signals.interrupted()) interrupted_in = "run";
    }
    if (!o.quiet && tty) std::fprintf(stderr, "\n");
    const bool ran = !interrupted_in || std::string(interrupted_in) == "run";
    if (interrupted_in)
      std::fprintf(stderr, "espfleet: interrupted by %s during the %s at %.1f s of device time; writing the outputs\n",
                   RunSignals::name(signals.first()), interrupted_in, ran ? engine.now().seconds() : 0.0);

    // Outputs: the device records and the summary first, so nothing measured is lost to a
    // failure later on (a tape that cannot be written is reported, and the rest is kept).
    std::string devices_jsonl;
    for (auto& d : engine.devices()) devices_jsonl += device_record(*d).dump() + "\n";
    nlohmann::ordered_json summary = fleet_summary(engine.devices(), engine.stats());
    summary["interrupted"] = interrupted_in != nullptr;
    if (interrupted_in) {
      summary["interrupted_by"] = RunSignals::name(signals.first());
      summary["interrupted_during"] = interrupted_in;
      summary["devices_provisioned"] = provisioned;
    }
    summary["heap_maps_written"] = heap_maps;
    summary["heap_maps_skipped"] = heap_maps_skipped;
    summary["tapes"] = record_tapes ? (dir / "tapes").string() : "";
    if (broker) {
      if (watch && !broker_exit && (broker_exit = watch->check())) {  // died in the last moments
        broker_exit_at = ran ? engine.now() : VTime{};
        broker_exit_wall = now_s(t_start);
      }
      summary["broker_exited"] = broker_exit ? nlohmann::ordered_json{{"t_s", broker_exit_at.seconds()},
                                                                      {"wall_s", broker_exit_wall},
                                                                      {"pid", broker_exit->pid},
                                                                      {"how", broker_exit->how},
                                                                      {"signal", broker_exit->signal},
                                                                      {"exit_code", broker_exit->exit_code}}
                                             : nlohmann::ordered_json(nullptr);
    }
    {
      auto& h = summary["host"];
      uint64_t rss_after = rss_bytes();
      h["rss_bytes"] = rss_after;
      h["rss_per_device_bytes"] = n ? (rss_after > rss_before ? (rss_after - rss_before) / n : 0) : 0;
      h["cpu_s"] = cpu_seconds_self() - cpu_before;
      uint64_t tape_bytes = 0;
      for (auto& t : tapes) tape_bytes += t->size_bytes();
      h["tape_bytes_per_device"] = n ? tape_bytes / n : 0;
      h["provision_s"] = setup_s;
      double dev_s = double(n) * engine.stats().wall_seconds;
      h["cpu_us_per_device_second"] = dev_s > 0 ? double(h["cpu_s"]) * 1e6 / dev_s : 0.0;
      if (broker && broker->pid() > 0) {
        h["broker_rss_bytes"] = rss_bytes(broker->pid());
        h["broker_cpu_s"] = cpu_seconds_of(broker->pid());
      }
    }
    summary["run_dir"] = dir.string();
    summary["output_errors"] = output_errors;
    write_file_atomically(dir / "devices.jsonl", devices_jsonl);
    write_file_atomically(dir / "summary.json", summary.dump(2) + "\n");
    const size_t errors_before = output_errors.size();
    if (record_tapes)
      for (std::string& e : write_tapes(dir, engine, tapes, sc.fleet.seed, interrupted_in ? "interrupted" : "duration"))
        output_errors.push_back(std::move(e));
    try {
      write_timelines(dir / "heap", engine);
    } catch (const std::exception& e) {
      output_errors.push_back(e.what());
    }
    for (size_t i = 0; i < output_errors.size(); ++i)
      std::fprintf(stderr, "espfleet run: %s\n", output_errors[i].c_str());
    if (output_errors.size() != errors_before) {
      summary["output_errors"] = output_errors;
      write_file_atomically(dir / "summary.json", summary.dump(2) + "\n");
    }
    dlog->flush();
    if (broker) broker->stop();
    if (o.json) std::cout << summary.dump(2) << "\n";
    else std::cout << "espfleet run: " << o.scenario << "\n" << summary_table(summary) << "  outputs            " << dir.string() << "/{summary.json,devices.jsonl,devices.log}\n";
    if (interrupted_in) return signals.exit_code();
    if (broker_exit) return kExitBrokerExited;
    if (!output_errors.empty()) return kExitOutputsIncomplete;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "espfleet run: %s\n", e.what());
    return signals.interrupted() ? signals.exit_code() : 2;
  }
}

}  // namespace espfleet
