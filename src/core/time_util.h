// Time values and their text forms.
//
// Every instant muniscope stores or computes with is a TimeMs: milliseconds
// since the Unix epoch, UTC. Local (calendar) time only appears when periods
// and office hours are evaluated, through TimeZone (tz.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace muni {

using TimeMs = int64_t;
using DurationMs = int64_t;

constexpr DurationMs kSecondMs = 1000;
constexpr DurationMs kMinuteMs = 60 * kSecondMs;
constexpr DurationMs kHourMs = 60 * kMinuteMs;
constexpr DurationMs kDayMs = 24 * kHourMs;
constexpr DurationMs kWeekMs = 7 * kDayMs;

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  auto operator<=>(const CivilDate&) const = default;
};

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(CivilDate date);
CivilDate civil_from_days(int64_t days);
// 0 = Monday ... 6 = Sunday (ISO 8601 numbering minus one).
int weekday_from_days(int64_t days);
int days_in_month(int year, int month);

// Parses RFC 3339 / ISO 8601 timestamps as the platforms send them:
//   2026-08-01T13:52:34.108Z, 2024-06-05T21:01:56.189717Z (any fraction
//   length, truncated to ms), 2023-02-28T08:48:01+00:00, 2019-07-15T18:29:57.191+00:00,
//   and a bare date 2026-08-01 (midnight UTC, as Mastodon's last_status_at).
std::optional<TimeMs> parse_iso8601(std::string_view text);

// The same for a time the API documents as UTC but writes without a zone
// (WordPress `date_gmt`: "2026-08-01T13:52:34"); zoned times as above.
std::optional<TimeMs> parse_iso8601_utc(std::string_view text);

// RFC 822 / RFC 2822 dates as RSS 2.0 writes them: "Thu, 05 Sep 2002
// 00:00:01 GMT", with a numeric offset ("+0200"), "UT"/"GMT"/"Z", the
// North-American zone names (EST, EDT, CST, CDT, MST, MDT, PST, PDT), the
// day name and seconds optional, two-digit years as RFC 2822 4.3 says.
std::optional<TimeMs> parse_rfc822_date(std::string_view text);

// A date in a feed: ISO 8601 / RFC 3339 (Atom, dc:date) or RFC 822 (RSS).
std::optional<TimeMs> parse_feed_date(std::string_view text);

// Parses a calendar date YYYY-MM-DD only.
std::optional<CivilDate> parse_civil_date(std::string_view text);

// IMF-fixdate as in HTTP Date / Retry-After / Last-Modified headers:
// "Mon, 19 May 2025 17:41:26 GMT".
std::optional<TimeMs> parse_http_date(std::string_view text);

// "2026-08-01T13:52:34.108Z"; the fraction is left out when it is zero.
std::string format_iso8601(TimeMs t);
// "2026-08-01"
std::string format_civil_date(CivilDate d);
// IMF-fixdate, for If-Modified-Since.
std::string format_http_date(TimeMs t);

// Durations in config and on the command line: "90s", "5m", "1h", "7d", "2w",
// also combined "1h30m". A bare number is seconds.
std::optional<DurationMs> parse_duration(std::string_view text);
// Human form for tables and logs: "5m", "1h30m", "3d".
std::string format_duration(DurationMs d);

}  // namespace muni
