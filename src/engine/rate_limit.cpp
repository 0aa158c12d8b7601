#include "engine/rate_limit.h"

#include <algorithm>
#include <utility>

#include "core/strings.h"

namespace muni {

namespace {

// Looks a header up under each of the spellings platforms use.
std::optional<std::string> first_header(const HttpResponse& r,
                                        std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto v = r.header(n)) return v;
  }
  return std::nullopt;
}

// Seconds from a header, clamped before they become milliseconds: a value
// such as 9223372036854775807 must mean "a long time", not overflow into the
// past. Ten years is far beyond any wait the limiter accepts anyway.
DurationMs seconds_to_ms_clamped(int64_t secs) {
  constexpr int64_t kMaxSeconds = 10LL * 366 * 24 * 3600;
  return std::clamp<int64_t>(secs, 0, kMaxSeconds) * kSecondMs;
}

}  // namespace

std::optional<TimeMs> parse_retry_after(const std::string& value, TimeMs now, TimeMs skew) {
  if (auto secs = parse_int64(trim(value))) {
    if (*secs < 0) return std::nullopt;
    return now + seconds_to_ms_clamped(*secs);
  }
  if (auto date = parse_http_date(std::string(trim(value)))) return *date - skew;
  return std::nullopt;
}

TimeMs server_skew(const HttpResponse& r, TimeMs now, TimeMs wall_now) {
  if (auto date = r.header("Date")) {
    if (auto server_now = parse_http_date(*date)) return *server_now - now;
  }
  return wall_now - now;
}

std::optional<TimeMs> RateLimiter::parse_reset(const std::string& raw, TimeMs now,
                                               TimeMs skew) const {
  const std::string value(trim(raw));
  if (auto n = parse_int64(value)) {
    if (*n > 1'000'000'000) {
      // Epoch seconds, in server time. Beyond the year 5000 it is nonsense;
      // clamp_reset turns a far reset into one window.
      return std::min<int64_t>(*n, 100'000'000'000LL) * kSecondMs - skew;
    }
    if (*n >= 0) return now + seconds_to_ms_clamped(*n);  // delta seconds
    return std::nullopt;
  }
  if (auto d = parse_double(value); d && *d >= 0 && *d < 1e6)
    return now + static_cast<TimeMs>(*d * 1000);
  if (auto t = parse_iso8601(value)) return *t - skew;
  return std::nullopt;
}

DurationMs RateLimiter::max_wait() const {
  if (defaults_.max_wait_ms > 0) return defaults_.max_wait_ms;
  return std::max(defaults_.window_ms, kDefaultMaxServerWait);
}

void RateLimiter::note_absurd(std::string note) {
  ++clamped_resets_;
  absurd_note_ = std::move(note);
}

std::string RateLimiter::take_absurd_note() { return std::exchange(absurd_note_, std::string()); }

TimeMs RateLimiter::clamp_reset(TimeMs reset, TimeMs now, const char* what) {
  const DurationMs cap = max_wait();
  if (reset > now + cap) {
    // A clock that is hours off, or a bogus value: never wait longer than
    // the platform documents (a reset "tomorrow" once parked a host a day).
    note_absurd(std::string(what) + " " + std::to_string((reset - now) / kSecondMs) +
                " s ahead is beyond the " + std::to_string(cap / kSecondMs) +
                " s the platform documents or the configuration allows; waiting " +
                std::to_string(cap / kSecondMs) + " s instead");
    return now + cap;
  }
  if (reset < now - cap) {
    note_absurd(std::string(what) + " " + std::to_string((now - reset) / kSecondMs) +
                " s in the past; ignored");
    return now;
  }
  return reset;
}

DurationMs RateLimiter::hintless_pause(int consecutive) const {
  const DurationMs known_window =
      header_window_.value_or(defaults_.window_ms > 0 ? defaults_.window_ms : 15 * kMinuteMs);
  return std::max<DurationMs>(
      kSecondMs, std::min({15 * kMinuteMs, known_window, max_wait(),
                           30 * kSecondMs << std::clamp(consecutive - 1, 0, 5)}));
}

void RateLimiter::observe(const HttpResponse& r, TimeMs now, TimeMs wall_now) {
  const TimeMs skew = server_skew(r, now, wall_now);
  const auto limit =
      first_header(r, {"X-RateLimit-Limit", "RateLimit-Limit", "x-rate-limit-limit"});
  const auto remaining =
      first_header(r, {"X-RateLimit-Remaining", "RateLimit-Remaining", "x-rate-limit-remaining"});
  const auto reset =
      first_header(r, {"X-RateLimit-Reset", "RateLimit-Reset", "x-rate-limit-reset"});
  if (auto policy = r.header("RateLimit-Policy")) {
    // "3000;w=300": limit and window in seconds (atproto xrpc-server).
    const size_t w = policy->find("w=");
    if (w != std::string::npos) {
      const std::string rest = policy->substr(w + 2);
      if (auto secs = parse_int64(rest.substr(0, rest.find_first_of(";, ")))) {
        // A window beyond what the platform documents (w=86400, or
        // w=99999999999999999) would block the host for a day or forever.
        if (*secs > 0) {
          const DurationMs w = seconds_to_ms_clamped(*secs);
          if (w > max_wait()) {
            note_absurd("RateLimit-Policy window w=" + std::to_string(*secs) +
                        " s is beyond the " + std::to_string(max_wait() / kSecondMs) +
                        " s the platform documents or the configuration allows; capped");
          }
          header_window_ = std::min(w, max_wait());
        }
      }
    }
  }
  if (limit) {
    if (auto n = parse_int64(*limit); n && *n > 0)
      header_limit_ = static_cast<int>(std::min<int64_t>(*n, 1'000'000'000));
  }
  std::optional<TimeMs> new_reset;
  if (reset) {
    if (auto t = parse_reset(*reset, now, skew)) new_reset = clamp_reset(*t, now, "rate-limit reset");
  }
  std::optional<int> new_remaining;
  if (remaining) {
    if (auto n = parse_int64(*remaining); n && *n >= 0)
      new_remaining = static_cast<int>(std::min<int64_t>(*n, 1'000'000'000));
  }
  // Answers arrive out of order when several requests are in flight. Within
  // one window the smallest remaining is the newest truth (an answer sent
  // earlier must not raise it again); an answer about a window that has
  // already been replaced says nothing. Resets within a second count as the
  // same window (servers that send seconds-from-now drift by the latency).
  const bool current_window = header_reset_ && *header_reset_ > now;
  if (new_reset && current_window && *new_reset < *header_reset_ - kSecondMs) {
    // A late answer from the previous window.
  } else if (new_reset && current_window && *new_reset <= *header_reset_ + kSecondMs) {
    if (new_remaining)
      header_remaining_ =
          header_remaining_ ? std::min(*header_remaining_, *new_remaining) : *new_remaining;
  } else {
    if (new_remaining) header_remaining_ = new_remaining;
    if (new_reset) header_reset_ = new_reset;
  }
  if (r.status != 429 && r.status > 0) {
    consecutive_429_ = 0;
    last_429_at_ = 0;
  }
}

void RateLimiter::on_too_many_requests(const HttpResponse& r, TimeMs now, TimeMs sent_at,
                                       TimeMs wall_now, double jitter01) {
  observe(r, now, wall_now);
  // Requests already in flight when the first 429 arrived answer 429 too;
  // they say nothing new and must not lengthen the pause (four in flight
  // once turned a 30 s pause into 240 s).
  const bool after_last_429 = last_429_at_ == 0 || sent_at >= last_429_at_;
  if (after_last_429) ++consecutive_429_;
  last_429_at_ = std::max(last_429_at_, now);
  const DurationMs known_window =
      header_window_.value_or(defaults_.window_ms > 0 ? defaults_.window_ms : 15 * kMinuteMs);
  // The server's hint, if it is one: a time at least a second ahead.
  std::optional<TimeMs> until;
  if (auto ra = r.header("Retry-After")) {
    if (auto t = parse_retry_after(*ra, now, server_skew(r, now, wall_now))) {
      if (*t > now + max_wait()) {
        // An absurd value (hours or centuries away) is no hint at all: the
        // server is broken, not asking for a long pause. Pausing for it
        // would stall every account on the host; the hint-less rule below
        // pauses briefly and backs off if it repeats.
        note_absurd("Retry-After " + std::string(trim(*ra)).substr(0, 40) +
                    " is beyond the " + std::to_string(max_wait() / kSecondMs) +
                    " s the platform documents or the configuration allows; treated as no hint");
      } else if (*t >= now + kSecondMs) {
        until = *t;
      }
      // 0, or a date in the past: no hint (a server answering 429 forever
      // with Retry-After: 0 once drew 1,344 requests a minute).
    }
  }
  if (!until && header_reset_) {
    if (*header_reset_ > now) {
      until = header_reset_;
    } else if (now - *header_reset_ <= known_window) {
      // The announced reset has just passed (RateLimit-Reset is whole epoch
      // seconds, so it can be a few hundred ms old on arrival): the new
      // window is open, retry after a second.
      until = now + kSecondMs;
    }
  }
  // The hint-less backoff, jittered. It applies when the server gave no
  // usable hint, and from the second 429 in a row on whatever the hint says
  // (for the run so far), so a server that keeps refusing is asked less and
  // less often: at least one request per pause, never a loop.
  const auto jittered = [&](DurationMs pause) {
    return pause + static_cast<DurationMs>(static_cast<double>(pause) / 5 *
                                           std::clamp(jitter01, 0.0, 1.0));
  };
  if (!until) {
    until = now + jittered(hintless_pause(consecutive_429_));
  } else if (consecutive_429_ >= 2) {
    until = std::max(*until, now + jittered(hintless_pause(consecutive_429_ - 1)));
  }
  blocked_until_ = std::max(blocked_until_, std::max(*until, now + kSecondMs));
  header_remaining_ = 0;
}

TimeMs RateLimiter::try_acquire(TimeMs now, int in_flight) {
  if (blocked_until_ > now) return blocked_until_;
  // The server's view wins while it is current. Keep in-flight requests in
  // reserve: they will count against the remaining budget before their
  // responses update it. A spent window is waited out with a margin: the
  // server's clock is not ours (Reset comes in whole seconds, Date too), and
  // a request sent the moment the window turns may still land in the old one.
  const bool server_view = header_remaining_ && header_reset_;
  if (server_view && *header_remaining_ - std::max(in_flight, 0) <= 0 &&
      now < *header_reset_ + kResetMarginMs) {
    return *header_reset_ + kResetMarginMs;
  }
  if (server_view && *header_reset_ > now) {
    --*header_remaining_;
    return 0;
  }
  if (header_reset_ && *header_reset_ <= now) {
    // The server's window is over; until it tells us more, assume its limit.
    header_remaining_.reset();
    header_reset_.reset();
  }
  const int limit = header_limit_.value_or(defaults_.requests);
  const DurationMs window = header_window_.value_or(defaults_.window_ms);
  if (limit <= 0 || window <= 0) return 0;
  if (now >= window_start_ + window || window_start_ == 0) {
    window_start_ = now;
    used_in_window_ = 0;
  }
  if (used_in_window_ >= limit) return window_start_ + window;
  ++used_in_window_;
  return 0;
}

int RateLimiter::limit() const { return header_limit_.value_or(defaults_.requests); }

int RateLimiter::remaining() const {
  if (header_remaining_) return *header_remaining_;
  if (defaults_.requests > 0) return std::max(0, limit() - used_in_window_);
  return -1;
}

DurationMs RateLimiter::window_ms() const { return header_window_.value_or(defaults_.window_ms); }

std::optional<TimeMs> RateLimiter::reset_at(TimeMs now) const {
  if (header_reset_ && *header_reset_ > now) return header_reset_;
  if (window_start_ > 0 && window_ms() > 0 && window_start_ + window_ms() > now)
    return window_start_ + window_ms();
  return std::nullopt;
}

std::optional<TimeMs> RateLimiter::blocked_until(TimeMs now) const {
  if (blocked_until_ > now) return blocked_until_;
  return std::nullopt;
}

std::string RateLimiter::source() const {
  if (header_limit_ || header_remaining_) return "headers";
  if (defaults_.requests > 0) return "config";
  return "none";
}

double RateLimiter::headroom(TimeMs now) const {
  if (blocked_until_ > now) return 0;
  const int lim = limit();
  if (lim <= 0) return 1;
  const int rem = remaining();
  if (rem < 0) return 1;
  if (header_remaining_ && !(header_reset_ && *header_reset_ > now))
    return 1;  // stale: a new window began
  if (!header_remaining_ && window_start_ + window_ms() <= now) return 1;
  return static_cast<double>(rem) / lim;
}

}  // namespace muni
