// sim/cli/session.cpp — the commands' shared setup (session.h).
#include "session.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "broker.h"
#include "device.h"
#include "flash_image.h"
#include "pem.h"
#include "pki.h"
#include "rng.h"

namespace espfleet {

std::shared_ptr<spdlog::logger> device_logger(const std::filesystem::path& file, const char* name) {
  std::shared_ptr<spdlog::logger> log;
  if (file.empty())
    log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
  else
    log = std::make_shared<spdlog::logger>(name,
                                           std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), true));
  log->set_pattern("%v");
  log->flush_on(spdlog::level::warn);
  return log;
}

void stop_stale_brokers_saying_so() {
  for (const StaleBroker& s : stop_stale_brokers())
    std::fprintf(stderr,
                 "espfleet: stopped a stale embedded mosquitto (pid %d, %s), left by espfleet pid %d, which is gone\n",
                 int(s.pid), s.config.c_str(), int(s.owner));
}

namespace {
std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
}  // namespace

std::vector<uint8_t> provision_device(uint32_t id, uint64_t fleet_seed, const DeviceConfig& c,
                                      const BrokerEndpoint& broker, CertificateAuthority* ca, uint32_t utc_at_boot,
                                      bool sketch_files, const std::vector<FlashFile>* extra_files) {
  FlashInputs fi;
  if (extra_files) fi.files = *extra_files;
  fi.mqtt_host = broker.host;
  fi.mqtt_port = c.tls_enabled ? broker.tls_port : broker.plain_port;
  fi.utc_at_boot = utc_at_boot;
  if (c.tls_enabled) {
    fi.ca_der = broker.ca_der;
    if (c.client_cert && ca) {
      // From the device's global id, so the same device gets the same certificate in any shard.
      const uint64_t device_seed = mix_seed(fleet_seed, id);
      DeviceCert dc = ca->issue_device(
          client_id_for(chip_id_for(id, fleet_seed)),
          CertificateAuthority::Reproducible{mix_seed(device_seed, uint64_t(SeedPurpose::device_key)),
                                             mix_seed(device_seed, uint64_t(SeedPurpose::device_serial))});
      fi.client_key.assign(dc.private_scalar.begin(), dc.private_scalar.end());
      fi.client_cert = dc.cert_der;
      if (sketch_files) {
        fi.files.push_back({"/client.crt", bytes_of(dc.cert_pem)});
        fi.files.push_back({"/client.der", dc.cert_der});
        fi.files.push_back({"/client.key", bytes_of(dc.key_pem)});
      }
    }
    if (sketch_files && !broker.ca_der.empty()) {
      std::string pem;
      for (size_t at = 0; at < broker.ca_der.size();) {  // the anchors: DER certificates one after another
        std::vector<uint8_t> rest(broker.ca_der.begin() + long(at), broker.ca_der.end());
        const size_t n = der_sequence_length(rest);
        if (!n) break;
        pem += der_to_pem(std::vector<uint8_t>(rest.begin(), rest.begin() + long(n)), "CERTIFICATE");
        at += n;
      }
      fi.files.push_back({"/ca.crt", bytes_of(pem)});
      fi.files.push_back({"/ca.der", broker.ca_der});
    }
  }
  return build_flash_image(c, fi);
}

}  // namespace espfleet
