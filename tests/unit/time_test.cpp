#include <doctest/doctest.h>

#include "core/time_util.h"
#include "core/tz.h"

using namespace muni;

TEST_CASE("time: parse_iso8601 reads the forms platforms send") {
  CHECK(parse_iso8601("2026-08-01T13:52:34.108Z") == 1785592354108);
  // Microseconds (Bluesky sample) are truncated to milliseconds.
  CHECK(parse_iso8601("2024-06-05T21:01:56.189717Z") == 1717621316189);
  CHECK(parse_iso8601("2023-02-28T08:48:01+00:00") == 1677574081000);
  CHECK(parse_iso8601("2019-07-15T18:29:57.191+00:00") == 1563215397191);
  // Offsets are applied: 15:52:34 at +02:00 is 13:52:34 UTC.
  CHECK(parse_iso8601("2026-08-01T15:52:34.108+02:00") == 1785592354108);
  // A bare date is midnight UTC (Mastodon last_status_at).
  CHECK(parse_iso8601("2026-08-01") == 1785542400000);
  CHECK_FALSE(parse_iso8601("2026-08-01T13:52:34").has_value());  // no zone: ambiguous
  CHECK_FALSE(parse_iso8601("2026-02-30T00:00:00Z").has_value());
  CHECK_FALSE(parse_iso8601("").has_value());
  CHECK_FALSE(parse_iso8601("yesterday").has_value());
}

TEST_CASE("time: format_iso8601 round-trips and drops a zero fraction") {
  CHECK(format_iso8601(1785592354108) == "2026-08-01T13:52:34.108Z");
  CHECK(format_iso8601(1785542400000) == "2026-08-01T00:00:00Z");
  CHECK(format_iso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(parse_iso8601(format_iso8601(-1234567)) == -1234567);
}

TEST_CASE("time: HTTP dates") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777000);
  CHECK(format_http_date(784111777000) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK_FALSE(parse_http_date("06 Nov 1994").has_value());
}

TEST_CASE("time: durations") {
  CHECK(parse_duration("90s") == 90 * kSecondMs);
  CHECK(parse_duration("15m") == 15 * kMinuteMs);
  CHECK(parse_duration("1h30m") == 90 * kMinuteMs);
  CHECK(parse_duration("7d") == 7 * kDayMs);
  CHECK(parse_duration("2w") == 14 * kDayMs);
  CHECK(parse_duration("300") == 300 * kSecondMs);
  CHECK_FALSE(parse_duration("1h30").has_value());
  CHECK_FALSE(parse_duration("soon").has_value());
  CHECK(format_duration(90 * kMinuteMs) == "1h30m");
  CHECK(format_duration(3 * kDayMs) == "3d");
  CHECK(format_duration(0) == "0s");
}

TEST_CASE("time: civil date arithmetic") {
  CHECK(days_from_civil({1970, 1, 1}) == 0);
  CHECK(days_from_civil({2000, 3, 1}) == 11017);
  CHECK(civil_from_days(11017) == CivilDate{2000, 3, 1});
  CHECK(weekday_from_days(0) == 3);                                // a Thursday
  CHECK(weekday_from_days(days_from_civil({2026, 11, 23})) == 0);  // a Monday
  CHECK(days_in_month(2024, 2) == 29);
  CHECK(days_in_month(2100, 2) == 28);
}

TEST_CASE("tz: Europe/Berlin switches at 01:00 UTC on the last Sundays of March and October") {
  auto tz = TimeZone::load("Europe/Berlin");
  REQUIRE(tz.ok());
  const TimeMs spring = 1743296400000;  // 2025-03-30T01:00:00Z
  const TimeMs autumn = 1761440400000;  // 2025-10-26T01:00:00Z
  CHECK(tz->offset_seconds_at(spring - 1000) == 3600);
  CHECK(tz->offset_seconds_at(spring) == 7200);
  CHECK(tz->offset_seconds_at(autumn - 1000) == 7200);
  CHECK(tz->offset_seconds_at(autumn) == 3600);
  const LocalTime lt = tz->to_local(spring);
  CHECK(lt.date == CivilDate{2025, 3, 30});
  CHECK(lt.hour == 3);
  CHECK(lt.weekday == 6);  // Sunday
  // Local midnights on either side of the change.
  CHECK(tz->from_local({2025, 3, 30}) == parse_iso8601("2025-03-29T23:00:00Z"));
  CHECK(tz->from_local({2025, 3, 31}) == parse_iso8601("2025-03-30T22:00:00Z"));
  // 02:30 does not exist that night; it is read as 03:30 CEST.
  CHECK(tz->from_local({2025, 3, 30}, 2, 30) == parse_iso8601("2025-03-30T01:30:00Z"));
  // 02:30 exists twice in October; the earlier instant is chosen.
  CHECK(tz->from_local({2025, 10, 26}, 2, 30) == parse_iso8601("2025-10-26T00:30:00Z"));
}

TEST_CASE("tz: the built-in EU rule matches the zone file, and bad names fail") {
  auto rule = TimeZone::load("CET-1CEST,M3.5.0,M10.5.0/3");
  auto file = TimeZone::load("Europe/Berlin");
  REQUIRE(rule.ok());
  REQUIRE(file.ok());
  for (TimeMs t = parse_iso8601("2019-01-01T00:00:00Z").value();
       t < parse_iso8601("2027-01-01T00:00:00Z").value(); t += 6 * kHourMs) {
    REQUIRE(rule->offset_seconds_at(t) == file->offset_seconds_at(t));
  }
  CHECK(TimeZone::load("UTC")->offset_seconds_at(0) == 0);
  CHECK_FALSE(TimeZone::load("Mars/Olympus_Mons").ok());
  CHECK_FALSE(TimeZone::load("Nonsense").ok());
  CHECK_FALSE(TimeZone::load("X9Y,Q").ok());  // digits, but no rule
  // YouTube's quota resets at midnight Pacific Time (IANA database).
  auto la = TimeZone::load("America/Los_Angeles");
  REQUIRE(la.ok());
  CHECK(la->from_local({2026, 12, 1}) == parse_iso8601("2026-12-01T08:00:00Z").value());
  CHECK(la->from_local({2026, 7, 1}) == parse_iso8601("2026-07-01T07:00:00Z").value());
  CHECK_FALSE(TimeZone::load("../../etc/passwd").ok());
}
