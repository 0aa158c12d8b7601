#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace muni {

namespace {

// "%*": sd-daemon(3) priority prefix for journald.
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const auto i = static_cast<size_t>(msg.level);
    const char* p = i < 7 ? kPrefix[i] : "<6>";
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

void setup_logging(const std::string& level) {
  const char* journal = std::getenv("JOURNAL_STREAM");
  const bool under_journald = journal != nullptr && *journal != '\0';
  spdlog::sink_ptr sink;
  if (under_journald) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();  // colours only on a terminal
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (under_journald) {
    formatter->add_flag<PriorityFlag>('*').set_pattern("%*%n: %v");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %n: %v");
  }
  sink->set_formatter(std::move(formatter));
  spdlog::drop_all();
  for (const char* name : {"muniscope", "daemon", "engine", "store"}) {
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    spdlog::register_logger(logger);
  }
  spdlog::set_default_logger(spdlog::get("muniscope"));
  set_log_level(level);
}

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace muni
