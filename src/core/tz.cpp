#include "core/tz.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

namespace muni {

namespace {

// One DST switch rule of a POSIX TZ string: "M3.5.0/3" etc.
struct RuleDate {
  enum Kind { kMonthWeekDay, kJulianNoLeap, kJulianZero } kind = kMonthWeekDay;
  int month = 0, week = 0, weekday = 0;  // M: weekday 0 = Sunday (POSIX)
  int day = 0;                           // J or plain n
  int time_seconds = 7200;               // local time of the switch, default 02:00
};

struct PosixRule {
  int std_offset = 0;  // seconds east of UTC (sign already flipped from POSIX)
  bool has_dst = false;
  int dst_offset = 0;
  RuleDate start, end;
};

bool parse_name(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    const size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n < 3) return false;
  s.remove_prefix(n);
  return true;
}

bool parse_number(std::string_view& s, int& out) {
  size_t n = 0;
  int v = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) {
    v = v * 10 + (s[n] - '0');
    ++n;
  }
  if (n == 0) return false;
  s.remove_prefix(n);
  out = v;
  return true;
}

// [+-]hh[:mm[:ss]] -> seconds (sign as written)
bool parse_hms(std::string_view& s, int& out) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int h = 0, m = 0, sec = 0;
  if (!parse_number(s, h)) return false;
  if (!s.empty() && s[0] == ':') {
    s.remove_prefix(1);
    if (!parse_number(s, m)) return false;
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      if (!parse_number(s, sec)) return false;
    }
  }
  out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

bool parse_rule_date(std::string_view& s, RuleDate& r) {
  if (s.empty()) return false;
  if (s[0] == 'M') {
    s.remove_prefix(1);
    r.kind = RuleDate::kMonthWeekDay;
    if (!parse_number(s, r.month) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!parse_number(s, r.week) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!parse_number(s, r.weekday)) return false;
    if (r.month < 1 || r.month > 12 || r.week < 1 || r.week > 5 || r.weekday > 6) return false;
  } else if (s[0] == 'J') {
    s.remove_prefix(1);
    r.kind = RuleDate::kJulianNoLeap;
    if (!parse_number(s, r.day)) return false;
  } else {
    r.kind = RuleDate::kJulianZero;
    if (!parse_number(s, r.day)) return false;
  }
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!parse_hms(s, r.time_seconds)) return false;
  }
  return true;
}

std::optional<PosixRule> parse_posix_rule(std::string_view s) {
  PosixRule rule;
  if (!parse_name(s)) return std::nullopt;
  int off = 0;
  if (!parse_hms(s, off)) return std::nullopt;
  rule.std_offset = -off;
  if (s.empty()) return rule;
  if (!parse_name(s)) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (!s.empty() && s[0] != ',') {
    if (!parse_hms(s, off)) return std::nullopt;
    rule.dst_offset = -off;
  }
  if (s.empty()) {
    // No rule given: POSIX leaves it implementation-defined; use the EU/US
    // style default of glibc? Rather refuse than guess.
    return std::nullopt;
  }
  if (s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!parse_rule_date(s, rule.start) || s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!parse_rule_date(s, rule.end) || !s.empty()) return std::nullopt;
  return rule;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Day (days since epoch) on which the rule switches in `year`.
int64_t rule_day(const RuleDate& r, int year) {
  switch (r.kind) {
    case RuleDate::kJulianNoLeap: {
      // 1..365, February 29 never counted.
      int64_t d = days_from_civil({year, 1, 1}) + r.day - 1;
      if (is_leap(year) && r.day >= 60) ++d;
      return d;
    }
    case RuleDate::kJulianZero:
      return days_from_civil({year, 1, 1}) + r.day;
    case RuleDate::kMonthWeekDay: {
      const int64_t first = days_from_civil({year, r.month, 1});
      // weekday_from_days: 0 = Monday; POSIX: 0 = Sunday.
      const int first_wd_posix = (weekday_from_days(first) + 1) % 7;
      int64_t d = first + (r.weekday - first_wd_posix + 7) % 7 + (r.week - 1) * 7;
      const int64_t next_month_first = r.month == 12 ? days_from_civil({year + 1, 1, 1})
                                                     : days_from_civil({year, r.month + 1, 1});
      while (d >= next_month_first) d -= 7;  // week 5 = "last"
      return d;
    }
  }
  return 0;
}

int rule_offset_at(const PosixRule& rule, TimeMs utc_ms) {
  if (!rule.has_dst) return rule.std_offset;
  const int64_t t = utc_ms / 1000;
  const int year =
      civil_from_days((t + rule.std_offset) / 86400 - ((t + rule.std_offset) % 86400 < 0)).year;
  // Start switch happens at local standard time; end switch at local DST time.
  const int64_t start =
      rule_day(rule.start, year) * 86400 + rule.start.time_seconds - rule.std_offset;
  const int64_t end = rule_day(rule.end, year) * 86400 + rule.end.time_seconds - rule.dst_offset;
  const bool in_dst = start < end ? (t >= start && t < end) : (t < end || t >= start);
  return in_dst ? rule.dst_offset : rule.std_offset;
}

int64_t read_be(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

}  // namespace

struct TimeZone::Data {
  std::string name;
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int> offsets_after;    // offset in force from transitions[i]
  int initial_offset = 0;            // before the first transition
  std::optional<PosixRule> footer;   // beyond the last transition
};

namespace {

// Parses a TZif (RFC 8536) file, version 2 or later (64-bit section).
std::optional<TimeZone::Data> parse_tzif(const std::string& bytes, std::string name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  auto header_ok = [&](size_t at) {
    return at + 44 <= size && std::memcmp(p + at, "TZif", 4) == 0;
  };
  if (!header_ok(0)) return std::nullopt;
  struct Counts {
    int64_t isut, isstd, leap, time, type, chars;
  };
  auto counts_at = [&](size_t at) {
    return Counts{read_be(p + at + 20, 4), read_be(p + at + 24, 4), read_be(p + at + 28, 4),
                  read_be(p + at + 32, 4), read_be(p + at + 36, 4), read_be(p + at + 40, 4)};
  };
  const char version = static_cast<char>(p[4]);
  Counts c = counts_at(0);
  size_t at = 44;
  int time_size = 4;
  if (version >= '2') {
    // Skip the v1 block; the v2 block repeats everything with 64-bit times.
    at += static_cast<size_t>(c.time * 5 + c.type * 6 + c.chars + c.leap * 8 + c.isstd + c.isut);
    if (!header_ok(at)) return std::nullopt;
    c = counts_at(at);
    at += 44;
    time_size = 8;
  }
  const size_t block = static_cast<size_t>(c.time * time_size + c.time + c.type * 6 + c.chars +
                                           c.leap * (time_size + 4) + c.isstd + c.isut);
  if (at + block > size || c.type < 1) return std::nullopt;
  TimeZone::Data data;
  data.name = std::move(name);
  std::vector<int64_t> times(static_cast<size_t>(c.time));
  for (size_t i = 0; i < times.size(); ++i)
    times[i] = read_be(p + at + i * static_cast<size_t>(time_size), time_size);
  const unsigned char* idx = p + at + static_cast<size_t>(c.time * time_size);
  const unsigned char* types = idx + c.time;
  std::vector<int> type_offsets(static_cast<size_t>(c.type));
  std::vector<bool> type_dst(static_cast<size_t>(c.type));
  for (size_t i = 0; i < type_offsets.size(); ++i) {
    type_offsets[i] = static_cast<int>(read_be(types + i * 6, 4));
    type_dst[i] = types[i * 6 + 4] != 0;
  }
  data.transitions = times;
  for (size_t i = 0; i < times.size(); ++i) {
    const size_t t = idx[i];
    if (t >= type_offsets.size()) return std::nullopt;
    data.offsets_after.push_back(type_offsets[t]);
  }
  // RFC 8536 3.2: local time before the first transition uses type 0.
  data.initial_offset = type_offsets[0];
  if (version >= '2') {
    const size_t footer_start = at + block;
    if (footer_start < size && p[footer_start] == '\n') {
      const size_t footer_end = bytes.find('\n', footer_start + 1);
      if (footer_end != std::string::npos) {
        data.footer = parse_posix_rule(
            std::string_view(bytes).substr(footer_start + 1, footer_end - footer_start - 1));
      }
    }
  }
  return data;
}

std::shared_ptr<const TimeZone::Data> from_rule(std::string name, const PosixRule& rule) {
  auto data = std::make_shared<TimeZone::Data>();
  data->name = std::move(name);
  data->initial_offset = rule.std_offset;
  data->footer = rule;
  return data;
}

}  // namespace

Result<TimeZone> TimeZone::load(std::string_view name) {
  const std::string n(name);
  if (n.empty()) return make_error(ErrorCode::kInvalidArgument, "empty time zone name");
  if (n == "UTC" || n == "Etc/UTC" || n == "Z") return utc();
  const bool safe_name = n.find("..") == std::string::npos && n[0] != '/';
  if (safe_name) {
    for (const char* dir : {"/usr/share/zoneinfo/", "/usr/lib/zoneinfo/"}) {
      std::ifstream in(std::string(dir) + n, std::ios::binary);
      if (!in) continue;
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (auto data = parse_tzif(bytes, n))
        return TimeZone(std::make_shared<const Data>(std::move(*data)));
      return make_error(ErrorCode::kInvalidArgument,
                        "time zone file for '" + n + "' is not valid TZif");
    }
  }
  if (n == "Europe/Berlin") {
    // Built-in fallback when tzdata is not installed: the EU rule (last Sunday
    // of March 01:00 UTC to last Sunday of October 01:00 UTC), in force in
    // Germany since 1996 (EU Directive 2000/84/EC continues it).
    return TimeZone(from_rule(n, *parse_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3")));
  }
  if (auto rule = parse_posix_rule(n)) return TimeZone(from_rule(n, *rule));
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown time zone '" + n +
                        "' (use an IANA name such as Europe/Berlin; is tzdata installed?)");
}

TimeZone TimeZone::utc() {
  static const auto kUtc = from_rule("UTC", PosixRule{});
  return TimeZone(kUtc);
}

const std::string& TimeZone::name() const { return data_->name; }

int TimeZone::offset_seconds_at(TimeMs utc_ms) const {
  const Data& d = *data_;
  const int64_t t = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
  if (d.transitions.empty()) return d.footer ? rule_offset_at(*d.footer, utc_ms) : d.initial_offset;
  if (t < d.transitions.front()) return d.initial_offset;
  if (t >= d.transitions.back() && d.footer) return rule_offset_at(*d.footer, utc_ms);
  const auto it = std::upper_bound(d.transitions.begin(), d.transitions.end(), t);
  return d.offsets_after[static_cast<size_t>(it - d.transitions.begin()) - 1];
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
  const TimeMs local = (days_from_civil(date) * 86400 + hour * 3600 + minute * 60 + second) * 1000;
  // Try the offsets in force a day before and a day after; a valid candidate
  // maps back to the same wall time. Prefer the earlier instant.
  const int off_before = offset_seconds_at(local - kDayMs);
  const int off_after = offset_seconds_at(local + kDayMs);
  const TimeMs cand1 = local - static_cast<TimeMs>(off_before) * 1000;
  const TimeMs cand2 = local - static_cast<TimeMs>(off_after) * 1000;
  const bool ok1 = offset_seconds_at(cand1) == off_before;
  const bool ok2 = offset_seconds_at(cand2) == off_after;
  if (ok1 && ok2) return std::min(cand1, cand2);
  if (ok1) return cand1;
  if (ok2) return cand2;
  // In a spring-forward gap the wall time does not exist. Interpreting it
  // with the offset in force before the gap moves it forward by the gap's
  // length (02:30 on the changeover night becomes 03:30 CEST), as mktime does.
  return cand1;
}

}  // namespace muni
