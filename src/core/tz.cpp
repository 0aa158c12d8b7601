#include "core/tz.h"

#include "core/posix_tz.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>

namespace muni {

// An IANA zone from the system database, or a POSIX TZ rule.
struct TimeZone::Data {
  std::string name;
  const date::time_zone* iana = nullptr;
  std::shared_ptr<const PosixRule> posix;
};

namespace {

std::shared_ptr<const TimeZone::Data> from_posix(std::string name, const std::string& rule) {
  auto data = std::make_shared<TimeZone::Data>();
  data->name = std::move(name);
  data->posix = PosixRule::parse(rule);
  if (!data->posix) return nullptr;
  return data;
}

// Floor division to whole seconds (instants before 1970 included).
std::chrono::seconds seconds_of(TimeMs ms) {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(ms));
}

}  // namespace

Result<TimeZone> TimeZone::load(std::string_view name) {
  const std::string n(name);
  if (n.empty()) return make_error(ErrorCode::kInvalidArgument, "empty time zone name");
  if (n == "UTC" || n == "Etc/UTC" || n == "Z") return utc();
  // A name with a slash or letters only is an IANA zone ("Europe/Berlin",
  // "Japan"); the database is read from /usr/share/zoneinfo (tzdata).
  try {
    if (const date::time_zone* zone = date::locate_zone(n)) {
      auto data = std::make_shared<Data>();
      data->name = n;
      data->iana = zone;
      return TimeZone(std::move(data));
    }
  } catch (const std::exception&) {
    // Unknown zone, or no tzdata on this machine: the fallbacks below.
  }
  try {
  } catch (const std::exception&) {
  }
  if (n == "Europe/Berlin") {
    // Built-in fallback when tzdata is not installed: the EU rule (last
    // Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC), in
    // force in Germany since 1996 (EU Directive 2000/84/EC continues it).
    return TimeZone(from_posix(n, "CET-1CEST,M3.5.0,M10.5.0/3"));
  }
  // A POSIX TZ rule needs digits (an offset); a bare word is a zone name
  // nobody knows, not a rule.
  if (std::any_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (auto data = from_posix(n, n)) return TimeZone(std::move(data));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown time zone '" + n +
                        "' (use an IANA name such as Europe/Berlin; is tzdata installed?)");
}

TimeZone TimeZone::utc() {
  static const auto kUtc = [] {
    auto data = std::make_shared<Data>();
    data->name = "UTC";
    data->posix = PosixRule::parse("UTC0");
    return std::shared_ptr<const Data>(std::move(data));
  }();
  return TimeZone(kUtc);
}

const std::string& TimeZone::name() const { return data_->name; }

int TimeZone::offset_seconds_at(TimeMs utc_ms) const {
  const std::chrono::seconds s = seconds_of(utc_ms);
  if (!data_->iana) return data_->posix->offset_at_utc(s.count());
  return static_cast<int>(data_->iana->get_info(date::sys_seconds{s}).offset.count());
}

LocalTime TimeZone::to_local(TimeMs utc_ms) const {
  LocalTime lt;
  lt.utc_offset_seconds = offset_seconds_at(utc_ms);
  const int64_t local = utc_ms + static_cast<int64_t>(lt.utc_offset_seconds) * 1000;
  int64_t days = local / kDayMs;
  int64_t rem = local % kDayMs;
  if (rem < 0) {
    rem += kDayMs;
    --days;
  }
  lt.date = civil_from_days(days);
  lt.weekday = weekday_from_days(days);
  const int64_t secs = rem / 1000;
  lt.hour = static_cast<int>(secs / 3600);
  lt.minute = static_cast<int>(secs / 60 % 60);
  lt.second = static_cast<int>(secs % 60);
  return lt;
}

TimeMs TimeZone::from_local(CivilDate date, int hour, int minute, int second) const {
  const int64_t local_s = days_from_civil(date) * 86400 + hour * 3600 + minute * 60 + second;
  const int64_t offset =
      data_->iana
          ? data_->iana->get_info(date::local_seconds{std::chrono::seconds(local_s)}).first.offset.count()
          : data_->posix->offset_for_local(local_s);
  // unique: its offset. ambiguous (fall-back): `first` is the earlier
  // instant. nonexistent (spring-forward gap): `first` is the offset before
  // the gap, which moves the wall time forward by the gap's length (02:30 on
  // the changeover night becomes 03:30 CEST), as mktime does.
  return (local_s - offset) * 1000;
}

}  // namespace muni
