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
// 00:00:01 GMT", and as German sites write them: "Di, 03 Dez 2024 10:00:00
// MEZ". The day name (English or German, with or without a comma) and the
// seconds are optional; month names are English or German, full or short
// ("Dec", "Dezember", "Dez.", "Mär", "Mrz", "Mai", "Okt"). The zone is
// required: "+0200" (or "+02:00"), UT/UTC/GMT/Z, the North-American names
// (EST EDT CST CDT MST MDT PST PDT AST ADT AKST AKDT HST HDT NST NDT), the
// European ones (CET CEST MET MEST MEZ MESZ WET WEST EET EEST BST), and the
// military letters, read as UTC as RFC 2822 4.3 says (their sign was
// wrong in RFC 822). Offsets beyond 23:59 are refused. Two-digit years as
// RFC 2822 4.3: 00-49 are 20xx, 50-99 are 19xx; three-digit years + 1900.
std::optional<TimeMs> parse_rfc822_date(std::string_view text);

// The pivot for two-digit years (RFC 2822 4.3): 00-49 -> 2000-2049,
// 50-99 -> 1950-1999.
int expand_two_digit_year(int yy);

// W3C-DTF (www.w3.org/TR/NOTE-datetime) and the ISO 8601 forms feeds use:
// "2024", "2024-12", "2024-12-03" (the start of that period, UTC),
// "2024-12-03T10:00+01:00" (no seconds), "...T10:00:00.5Z" (fractions,
// truncated to ms), "2024-12-03 10:00:00 +0100", the basic form
// "20241203T100000Z", offsets "+01:00", "+0100" or "+01", and the two-digit
// year "24-12-03" (pivot as expand_two_digit_year). A time without a zone
// designator is refused: W3C-DTF requires one, and a local time of an
// unknown zone is no instant (Atom 0.3's zone-less <issued> stays unknown).
// Offsets beyond 23:59 ("+05:75") are refused.
std::optional<TimeMs> parse_w3cdtf(std::string_view text);

// A date in a feed: W3C-DTF / ISO 8601 / RFC 3339 (Atom, dc:date,
// dcterms:*), else RFC 822 (RSS). nullopt when neither reads it: a date
// that cannot be read stays unknown, it is never guessed.
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
