// sim/cli/session.cpp — the commands' shared setup (session.h).
#include "session.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

namespace espfleet {

std::shared_ptr<spdlog::logger> device_logger(const std::filesystem::path& file, const char* name) {
  std::shared_ptr<spdlog::logger> log;
  if (file.empty())
    log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
  else
    log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), true));
  log->set_pattern("%v");
  log->flush_on(spdlog::level::warn);
  return log;
}

}  // namespace espfleet
