#include "daemon/systemd_notify.h"

#include <systemd/sd-daemon.h>

namespace muni {

SystemdNotifier::SystemdNotifier() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_usec_ = usec;
}

void SystemdNotifier::ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}
void SystemdNotifier::status(const std::string& status) {
  sd_notifyf(0, "STATUS=%s", status.c_str());
}
void SystemdNotifier::reloading() { sd_notify(0, "RELOADING=1"); }
void SystemdNotifier::stopping() { sd_notify(0, "STOPPING=1"); }

void SystemdNotifier::watchdog_tick(int64_t now_ms) {
  if (watchdog_usec_ == 0) return;
  const auto half_period_ms = static_cast<int64_t>(watchdog_usec_ / 2000);
  if (now_ms - last_ping_ms_ < half_period_ms) return;
  sd_notify(0, "WATCHDOG=1");
  last_ping_ms_ = now_ms;
}

}  // namespace muni
