// Logging through spdlog to stderr. Under systemd (JOURNAL_STREAM set) lines
// carry no timestamp of their own and start with a syslog priority prefix
// ("<4>") so journald files them at the right level; in a terminal they carry
// a local timestamp. Loggers: "daemon", "engine", "store".
#pragma once

#include <string>

namespace muni {

// level: trace, debug, info, warn, error, critical, off.
void setup_logging(const std::string& level);
void set_log_level(const std::string& level);

}  // namespace muni
