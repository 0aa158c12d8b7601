// Time zones for evaluating periods and office hours in local time.
//
// GCC 12's libstdc++ has no std::chrono::tzdb, so muniscope reads the IANA
// database itself: a TZif file from /usr/share/zoneinfo (Debian's tzdata
// package), using its transition table for past instants and the POSIX TZ
// rule in its footer beyond the table. When tzdata is missing, "UTC" and
// "Europe/Berlin" still work from built-in POSIX rules
// ("CET-1CEST,M3.5.0,M10.5.0/3", the EU rule in force in Germany since 1996).
//
// A TimeZone is immutable and cheap to copy (shared data); safe to share
// between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time_util.h"

namespace muni {

struct LocalTime {
  CivilDate date;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int weekday = 0;  // 0 = Monday ... 6 = Sunday
  int utc_offset_seconds = 0;
};

class TimeZone {
 public:
  // Loads an IANA zone ("Europe/Berlin") or a POSIX TZ rule string.
  // Fails with kInvalidArgument when the name is unknown and no rule parses.
  static Result<TimeZone> load(std::string_view name);
  static TimeZone utc();

  const std::string& name() const;
  int offset_seconds_at(TimeMs utc) const;
  LocalTime to_local(TimeMs utc) const;
  // The UTC instant of a local wall-clock time. For a time that does not exist
  // (spring-forward gap) it is read with the offset before the gap, i.e.
  // shifted forward by the gap length; for an
  // ambiguous one (fall-back) the earlier instant.
  TimeMs from_local(CivilDate date, int hour = 0, int minute = 0, int second = 0) const;

  struct Data;  // defined in tz.cpp

 private:
  explicit TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

}  // namespace muni
