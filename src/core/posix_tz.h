// POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3") through Howard Hinnant's
// Posix::time_zone (date/ptz.h, Debian's libhowardhinnant-date-dev): the
// fallback of core/tz.h when the IANA database is not installed, and for
// rule strings given as a zone. A separate translation unit compiled as
// C++17: ptz.h's hh_mm_ss is ambiguous with C++20's std::chrono::hh_mm_ss.
// Plain types only in this interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace muni {

class PosixRule {
 public:
  // nullptr when `rule` does not parse.
  static std::shared_ptr<const PosixRule> parse(const std::string& rule);
  virtual ~PosixRule() = default;
  // Seconds east of UTC in force at the UTC instant (seconds since 1970).
  virtual int offset_at_utc(int64_t utc_seconds) const = 0;
  // The offset to read a local wall time with: the unique one; the earlier
  // instant's when ambiguous; the one before the gap when it does not exist.
  virtual int offset_for_local(int64_t local_seconds) const = 0;
};

}  // namespace muni
