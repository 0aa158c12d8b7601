// sd_notify(3) messages for Type=notify services: READY=1, STATUS=...,
// WATCHDOG=1, STOPPING=1, RELOADING=1. Outside systemd (no NOTIFY_SOCKET)
// every call is a cheap no-op.
#pragma once

#include <cstdint>
#include <string>

namespace muni {

class SystemdNotifier {
 public:
  SystemdNotifier();
  void ready(const std::string& status);
  void status(const std::string& status);
  void reloading();
  void stopping();
  // Sends WATCHDOG=1 when the watchdog is enabled and half its period has
  // passed since the last ping; `now_ms` is monotonic time (Clock::monotonic).
  void watchdog_tick(int64_t now_ms);
  bool watchdog_enabled() const { return watchdog_usec_ > 0; }

 private:
  uint64_t watchdog_usec_ = 0;
  int64_t last_ping_ms_ = 0;
};

}  // namespace muni
