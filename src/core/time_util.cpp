#include "core/time_util.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

#include "core/strings.h"

namespace muni {

int64_t days_from_civil(CivilDate date) {
  // Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
  int64_t y = date.year;
  const unsigned m = static_cast<unsigned>(date.month);
  const unsigned d = static_cast<unsigned>(date.day);
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

int weekday_from_days(int64_t days) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  int64_t w = (days + 3) % 7;
  if (w < 0) w += 7;
  return static_cast<int>(w);
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[static_cast<size_t>(month - 1)];
}

namespace {

// Reads exactly `n` digits at `pos`; advances pos.
bool read_digits(std::string_view s, size_t& pos, int n, int& out) {
  if (pos + static_cast<size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<size_t>(n);
  out = v;
  return true;
}

bool valid_date(int y, int m, int d) {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

}  // namespace

std::optional<CivilDate> parse_civil_date(std::string_view s) {
  size_t pos = 0;
  int y = 0, m = 0, d = 0;
  if (!read_digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, m) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, d) || pos != s.size()) {
    return std::nullopt;
  }
  if (!valid_date(y, m, d)) return std::nullopt;
  return CivilDate{y, m, d};
}

std::optional<TimeMs> parse_iso8601_utc(std::string_view s) {
  // A zone-less time the API documents as UTC (WordPress date_gmt): read it
  // with "Z" appended; a time that has a zone is read as it is.
  const std::string_view t = trim(s);
  if (auto zoned = parse_iso8601(t)) return zoned;
  return parse_iso8601(std::string(t) + "Z");
}

namespace {

// RFC 822 / 2822 zone names, the North-American ones RFC 822 lists and
// those in use beyond it (AST ADT AKST AKDT HST HDT NST NDT), and the
// European ones German sites write: CET/MEZ and MET (+1), CEST/MESZ and
// MEST (+2), WET/WEST, EET/EEST, BST. Military letters: RFC 2822 4.3 says
// RFC 822 defined them with the wrong sign and they carry no reliable
// information, "-0000" (UTC, zone unknown); so they are read as UTC.
std::optional<int> rfc822_zone_minutes(std::string_view z) {
  if (z.empty()) return std::nullopt;  // RFC 822 requires a zone: no guess
  if (z[0] == '+' || z[0] == '-') {
    // "+0100", and "+01:00" as some templates write it.
    std::string digits;
    for (size_t i = 1; i < z.size(); ++i) {
      if (z[i] == ':' && i == 3) continue;
      if (!std::isdigit(static_cast<unsigned char>(z[i]))) return std::nullopt;
      digits += z[i];
    }
    if (digits.size() != 4) return std::nullopt;
    const int hh = (digits[0] - '0') * 10 + (digits[1] - '0');
    const int mm = (digits[2] - '0') * 10 + (digits[3] - '0');
    if (hh > 23 || mm > 59) return std::nullopt;
    return (z[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  }
  const std::string u = to_lower_ascii(z);
  static const std::array<std::pair<const char*, int>, 33> kNames = {{
      {"ut", 0},         {"utc", 0},        {"gmt", 0},       {"z", 0},         {"est", -5 * 60},
      {"edt", -4 * 60},  {"cst", -6 * 60},  {"cdt", -5 * 60}, {"mst", -7 * 60}, {"mdt", -6 * 60},
      {"pst", -8 * 60},  {"pdt", -7 * 60},  {"ast", -4 * 60}, {"adt", -3 * 60}, {"akst", -9 * 60},
      {"akdt", -8 * 60}, {"hst", -10 * 60}, {"hdt", -9 * 60}, {"nst", -210},    {"ndt", -150},
      {"cet", 60},       {"cest", 120},     {"met", 60},      {"mest", 120},    {"mez", 60},
      {"mesz", 120},     {"wet", 0},        {"west", 60},     {"eet", 120},     {"eest", 180},
      {"bst", 60},       {"utc+0", 0},      {"gmt+0", 0},
  }};
  for (const auto& [name, minutes] : kNames) {
    if (u == name) return minutes;
  }
  if (u.size() == 1 && u[0] >= 'a' && u[0] <= 'z' && u[0] != 'j') return 0;  // military
  return std::nullopt;
}

// A month name in English or German, full or abbreviated, any case, with
// or without a trailing dot: "Dec", "December", "Dez.", "Dezember", "Mär",
// "Mrz", "Maerz", "Mai", "Okt", "Jän" (Austrian). 0 when unknown.
int month_number(std::string_view word) {
  std::string w = to_lower_ascii(word);
  while (!w.empty() && w.back() == '.') w.pop_back();
  // "Ä" / "ä" in UTF-8: fold to "ä".
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == '\xC3' && w[i + 1] == '\x84') w[i + 1] = '\xA4';
  }
  static const std::array<std::pair<const char*, int>, 36> kMonths = {{
      {"jan", 1},           {"january", 1}, {"januar", 1},     {"j\xC3\xA4n", 1},
      {"j\xC3\xA4nner", 1}, {"feb", 2},     {"february", 2},   {"februar", 2},
      {"mar", 3},           {"march", 3},   {"m\xC3\xA4r", 3}, {"m\xC3\xA4rz", 3},
      {"mrz", 3},           {"maerz", 3},   {"apr", 4},        {"april", 4},
      {"may", 5},           {"mai", 5},     {"jun", 6},        {"june", 6},
      {"juni", 6},          {"jul", 7},     {"july", 7},       {"juli", 7},
      {"aug", 8},           {"august", 8},  {"sep", 9},        {"sept", 9},
      {"september", 9},     {"oct", 10},    {"october", 10},   {"okt", 10},
      {"oktober", 10},      {"nov", 11},    {"dec", 12},       {"dez", 12},
  }};
  for (const auto& [name, number] : kMonths) {
    if (w == name) return number;
  }
  if (w == "november") return 11;
  if (w == "december" || w == "dezember") return 12;
  return 0;
}

// A day name in English or German ("Tue", "Tuesday", "Di", "Dienstag",
// "Mi.", "Do"), any case.
bool is_day_name(std::string_view word) {
  std::string w = to_lower_ascii(word);
  while (!w.empty() && (w.back() == '.' || w.back() == ',')) w.pop_back();
  for (const char* d :
       {"mon",     "tue",     "wed",       "thu",      "fri",      "sat",      "sun",
        "monday",  "tuesday", "wednesday", "thursday", "friday",   "saturday", "sunday",
        "tues",    "thur",    "thurs",     "mo",       "di",       "mi",       "do",
        "fr",      "sa",      "so",        "montag",   "dienstag", "mittwoch", "donnerstag",
        "freitag", "samstag", "sonnabend", "sonntag"}) {
    if (w == d) return true;
  }
  return false;
}

std::optional<int64_t> small_number(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

int expand_two_digit_year(int yy) { return yy < 50 ? 2000 + yy : 1900 + yy; }

std::optional<TimeMs> parse_rfc822_date(std::string_view text) {
  // [day-name [","]] day month year hour ":" minute [":" second] zone
  std::vector<std::string> parts;
  for (const std::string& p : split(trim(text), ' ')) {
    if (!p.empty()) parts.push_back(p);
  }
  // "Tue,03 Dec": a comma glued to the day.
  if (!parts.empty() && parts[0].find(',') != std::string::npos &&
      parts[0].find(',') + 1 < parts[0].size()) {
    const size_t comma = parts[0].find(',');
    std::string day = parts[0].substr(comma + 1);
    parts[0].resize(comma + 1);
    parts.insert(parts.begin() + 1, day);
  }
  if (!parts.empty() && (parts[0].back() == ',' || is_day_name(parts[0]))) {
    if (!is_day_name(parts[0])) return std::nullopt;
    parts.erase(parts.begin());
  }
  if (parts.size() != 5) return std::nullopt;  // the zone is required (RFC 822 5.1)
  std::string day_text = parts[0];
  if (!day_text.empty() && day_text.back() == '.') day_text.pop_back();  // "03. Dez"
  const auto day = small_number(day_text, 2);
  const int month = month_number(parts[1]);
  auto year = small_number(parts[2], 4);
  if (!day || month == 0 || !year) return std::nullopt;
  if (parts[2].size() == 2) *year = expand_two_digit_year(static_cast<int>(*year));  // RFC 2822 4.3
  if (parts[2].size() == 3) *year += 1900;
  if (parts[2].size() == 1) return std::nullopt;
  const std::vector<std::string> hms = split(parts[3], ':');
  if (hms.size() < 2 || hms.size() > 3) return std::nullopt;
  const auto h = small_number(hms[0], 2);
  const auto mi = hms[1].size() == 2 ? small_number(hms[1], 2) : std::nullopt;
  const auto sec = hms.size() == 3 ? (hms[2].size() == 2 ? small_number(hms[2], 2) : std::nullopt)
                                   : std::optional<int64_t>(0);
  if (!h || !mi || !sec || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  const auto zone = rfc822_zone_minutes(parts[4]);
  if (!zone) return std::nullopt;
  if (*year < 1 || *year > 9999 ||
      !valid_date(static_cast<int>(*year), month, static_cast<int>(*day)))
    return std::nullopt;
  const int64_t days = days_from_civil({static_cast<int>(*year), month, static_cast<int>(*day)});
  const int64_t secs = days * 86400 + *h * 3600 + *mi * 60 + (*sec == 60 ? 59 : *sec) - *zone * 60;
  return secs * 1000;
}

std::optional<TimeMs> parse_w3cdtf(std::string_view text) {
  const std::string_view s = trim(text);
  size_t pos = 0;
  int y = 0, mo = 1, d = 1;
  // The year: four digits, or two as ISO 8601:1988 allowed ("24-12-03"),
  // expanded as RFC 2822 4.3 does for RFC 822 (00-49 -> 20xx, 50-99 -> 19xx).
  size_t year_digits = 0;
  while (year_digits < s.size() && std::isdigit(static_cast<unsigned char>(s[year_digits])))
    ++year_digits;
  const bool basic = year_digits == 8;  // "20241203T100000Z"
  if (basic) {
    if (!read_digits(s, pos, 4, y) || !read_digits(s, pos, 2, mo) || !read_digits(s, pos, 2, d))
      return std::nullopt;
  } else if (year_digits == 4) {
    read_digits(s, pos, 4, y);
    if (pos < s.size() && s[pos] != '-') return std::nullopt;
  } else if (year_digits == 2 && s.size() >= 8 && s[2] == '-') {
    read_digits(s, pos, 2, y);
    y = expand_two_digit_year(y);
  } else {
    return std::nullopt;
  }
  if (!basic && pos < s.size() && s[pos] == '-') {
    ++pos;
    if (!read_digits(s, pos, 2, mo)) return std::nullopt;
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      if (!read_digits(s, pos, 2, d)) return std::nullopt;
    } else if (pos != s.size()) {
      return std::nullopt;
    }
  }
  if (!valid_date(y, mo, d)) return std::nullopt;
  const int64_t days = days_from_civil({y, mo, d});
  // A date alone ("2024", "2024-12", "2024-12-03"): the start of it, UTC.
  if (pos == s.size()) return days * kDayMs;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  int h = 0, mi = 0, sec = 0;
  if (!read_digits(s, pos, 2, h)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':')
    ++pos;
  else if (!basic)
    return std::nullopt;
  if (!read_digits(s, pos, 2, mi)) return std::nullopt;
  if (pos < s.size() &&
      (s[pos] == ':' || (basic && std::isdigit(static_cast<unsigned char>(s[pos]))))) {
    if (s[pos] == ':') ++pos;
    if (!read_digits(s, pos, 2, sec)) return std::nullopt;
  }
  if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi != 0 || sec != 0))) return std::nullopt;
  int64_t ms = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  // W3C-DTF: "a time zone designator (TZD) must be given" with a time; a
  // zone-less time is local to someone unknown: no instant, no guess.
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(s, pos, 2, oh)) return std::nullopt;
    if (pos < s.size()) {
      if (s[pos] == ':') ++pos;
      if (!read_digits(s, pos, 2, om)) return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;  // "+05:75" is no offset
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t secs =
      days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - offset_minutes * 60;
  return secs * 1000 + ms;
}

std::optional<TimeMs> parse_feed_date(std::string_view text) {
  const std::string_view t = trim(text);
  if (auto iso = parse_w3cdtf(t)) return iso;
  if (auto rfc = parse_rfc822_date(t)) return rfc;
  return std::nullopt;
}

std::optional<TimeMs> parse_iso8601(std::string_view s) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0;
  if (!read_digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, mo) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, d)) {
    return std::nullopt;
  }
  if (!valid_date(y, mo, d)) return std::nullopt;
  const int64_t days = days_from_civil({y, mo, d});
  if (pos == s.size()) return days * kDayMs;  // bare date: midnight UTC
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  int h = 0, mi = 0, sec = 0;
  if (!read_digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' ||
      !read_digits(s, pos, 2, mi)) {
    return std::nullopt;
  }
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!read_digits(s, pos, 2, sec)) return std::nullopt;
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  int64_t ms = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos >= s.size()) return std::nullopt;  // a time without zone is ambiguous
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(s, pos, 2, oh)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (!read_digits(s, pos, 2, om)) return std::nullopt;
    if (oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t secs =
      days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - offset_minutes * 60;
  return secs * 1000 + ms;
}

std::optional<TimeMs> parse_http_date(std::string_view s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const size_t comma = s.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  size_t pos = comma + 2;
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, pos, 2, d) || pos >= s.size() || s[pos++] != ' ') return std::nullopt;
  if (pos + 4 > s.size()) return std::nullopt;
  const std::string_view mon = s.substr(pos, 3);
  int m = 0;
  for (int i = 0; i < 12; ++i) {
    if (mon == kMonths[static_cast<size_t>(i)]) m = i + 1;
  }
  if (m == 0 || s[pos + 3] != ' ') return std::nullopt;
  pos += 4;
  if (!read_digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != ' ' ||
      !read_digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' ||
      !read_digits(s, pos, 2, mi) || pos >= s.size() || s[pos++] != ':' ||
      !read_digits(s, pos, 2, sec)) {
    return std::nullopt;
  }
  if (s.substr(pos) != " GMT" || !valid_date(y, m, d)) return std::nullopt;
  return (days_from_civil({y, m, d}) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
}

std::string format_iso8601(TimeMs t) {
  int64_t days = t / kDayMs;
  int64_t rem = t % kDayMs;
  if (rem < 0) {
    rem += kDayMs;
    --days;
  }
  const CivilDate d = civil_from_days(days);
  const int64_t secs = rem / 1000;
  const int64_t ms = rem % 1000;
  char buf[40];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day,
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                  static_cast<int>(secs % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", d.year, d.month, d.day,
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                  static_cast<int>(secs % 60), static_cast<int>(ms));
  }
  return buf;
}

std::string format_civil_date(CivilDate d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::string format_http_date(TimeMs t) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr std::array<const char*, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
  int64_t days = t / kDayMs;
  int64_t rem = t % kDayMs;
  if (rem < 0) {
    rem += kDayMs;
    --days;
  }
  const CivilDate d = civil_from_days(days);
  const int64_t secs = rem / 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[static_cast<size_t>(weekday_from_days(days))], d.day,
                kMonths[static_cast<size_t>(d.month - 1)], d.year, static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::optional<DurationMs> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  DurationMs total = 0;
  size_t pos = 0;
  bool any = false;
  while (pos < s.size()) {
    int64_t n = 0;
    size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      n = n * 10 + (s[pos] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    DurationMs unit = kSecondMs;
    if (pos < s.size()) {
      if (s.substr(pos, 2) == "ms") {
        unit = 1;
        pos += 2;
      } else {
        switch (s[pos]) {
          case 's':
            unit = kSecondMs;
            break;
          case 'm':
            unit = kMinuteMs;
            break;
          case 'h':
            unit = kHourMs;
            break;
          case 'd':
            unit = kDayMs;
            break;
          case 'w':
            unit = kWeekMs;
            break;
          default:
            return std::nullopt;
        }
        ++pos;
      }
    } else if (any) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    total += n * unit;
    any = true;
  }
  return total;
}

std::string format_duration(DurationMs d) {
  if (d == 0) return "0s";
  std::string out;
  if (d < 0) {
    out = "-";
    d = -d;
  }
  if (d < kSecondMs) return out + std::to_string(d) + "ms";
  struct Unit {
    DurationMs ms;
    char suffix;
  };
  static constexpr std::array<Unit, 4> kUnits = {
      {{kDayMs, 'd'}, {kHourMs, 'h'}, {kMinuteMs, 'm'}, {kSecondMs, 's'}}};
  int parts = 0;
  for (const Unit& u : kUnits) {
    if (d >= u.ms && parts < 2) {
      out += std::to_string(d / u.ms);
      out += u.suffix;
      d %= u.ms;
      ++parts;
    } else if (parts > 0) {
      ++parts;  // only the two largest adjacent units: "1h30m", never "1d0h5m"
    }
  }
  return out;
}

}  // namespace muni
