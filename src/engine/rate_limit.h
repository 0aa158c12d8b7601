// Per-host request budget (one per host and credential). It starts from the
// configured or connector default budget ("300 requests per 5 minutes") and
// is corrected by what the server says in its responses:
//
//   X-RateLimit-Limit / -Remaining / -Reset   Mastodon, GoToSocial, PeerTube
//   RateLimit-Limit / -Remaining / -Reset / -Policy   atproto (Bluesky)
//   x-rate-limit-limit / -remaining / -reset   X API v2
//   Retry-After (seconds or HTTP-date)          429 and 503 answers
//
// Reset values come as ISO-8601 timestamps (Mastodon), epoch seconds
// (atproto, PeerTube, X) or delta seconds (IETF RateLimit draft); all three
// are accepted. Server timestamps are corrected by the server's Date header
// (clock skew).
//
// Never trust a server's figure further than the platform documents: every
// wait a server announces (a reset, a policy window, Retry-After) is capped
// at max_wait() (the configured maximum, else the larger of the platform's
// documented window and 15 minutes). A figure beyond it is absurd:
// it is capped, counted and described (take_absurd_note) for the log.
//
// And never let a server make us hammer it: every 429 pauses the host for
// at least a second, a 429 with no usable hint (none, 0, in the past,
// absurd) for the hint-less backoff (30 s doubling, jittered), and from the
// second 429 in a row on, whatever the header says, for at least the
// hint-less backoff of the run so far.
//
// Pure bookkeeping: time comes in as arguments.
#pragma once

#include <algorithm>
#include <optional>
#include <string>

#include "core/time_util.h"
#include "engine/http.h"

namespace muni {

// The configured maximum a server may impose when nothing else is set.
constexpr DurationMs kDefaultMaxServerWait = 15 * kMinuteMs;

struct RateBudgetDefaults {
  int requests = 0;  // 0: no budget known, only the concurrency cap applies
  DurationMs window_ms = 0;
  // The configured cap on server-announced waits (platforms.<id>.max_server_wait);
  // 0: the larger of the documented window and kDefaultMaxServerWait.
  DurationMs max_wait_ms = 0;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateBudgetDefaults defaults) : defaults_(defaults) {}

  // Returns 0 and counts the request when one may be sent now; otherwise
  // the time at which to ask again.
  TimeMs try_acquire(TimeMs now, int in_flight);
  // Reads the rate-limit headers of any response. `now` is the caller's
  // timer time (monotonic); `wall_now` the wall clock at the same instant:
  // absolute server times (epoch resets, HTTP-dates) are converted by the
  // server's Date header when it sends one, else by the wall clock.
  void observe(const HttpResponse& response, TimeMs now, TimeMs wall_now);
  void observe(const HttpResponse& response, TimeMs now) { observe(response, now, now); }
  // A 429 answer to a request sent at `sent_at`: hold all requests until the
  // announced reset (Retry-After, or a reset header still ahead; capped at
  // max_wait()), retry after a second when that reset has just passed, or
  // pause for the hint-less backoff when the server gives no usable hint
  // (none, 0, a time in the past, an absurd value). From the second 429 in a
  // row on, the pause is at least the hint-less backoff whatever the server
  // says. 429s of requests sent before the previous 429 arrived do not count
  // as consecutive. `jitter01` (uniform in [0, 1), from the engine's Random)
  // lengthens the hint-less pause by up to a fifth, so that many daemons
  // refused at once do not come back at once.
  void on_too_many_requests(const HttpResponse& response, TimeMs now, TimeMs sent_at,
                            TimeMs wall_now, double jitter01 = 0);
  void on_too_many_requests(const HttpResponse& response, TimeMs now, TimeMs sent_at) {
    on_too_many_requests(response, now, sent_at, now);
  }
  void on_too_many_requests(const HttpResponse& response, TimeMs now) {
    on_too_many_requests(response, now, now, now);
  }
  // The hint-less pause after `consecutive` 429s in a row (1, 2, ...): 30 s
  // doubling, at most 15 minutes, the known window and max_wait().
  DurationMs hintless_pause(int consecutive) const;

  // The platform said to wait (a throttle read from an error body).
  void hold_until(TimeMs until) { blocked_until_ = std::max(blocked_until_, until); }

  // What is in force, for `muniscope status` and the metrics endpoint.
  int limit() const;
  int remaining() const;  // -1 when unknown
  DurationMs window_ms() const;
  std::optional<TimeMs> reset_at(TimeMs now) const;
  std::optional<TimeMs> blocked_until(TimeMs now) const;
  std::string source() const;  // "headers", "config", "none"
  // Share of the budget left in the current window (1 when unknown).
  double headroom(TimeMs now) const;
  int64_t clamped_resets() const { return clamped_resets_; }
  // The longest wait a server may impose: the configured maximum, else the
  // larger of the documented window and kDefaultMaxServerWait.
  DurationMs max_wait() const;
  // What the last absurd server figure was and what was done instead, once
  // ("RateLimit-Reset 86400 s ahead is beyond the 15 min cap; capped"), for
  // the engine's log; "" when nothing new.
  std::string take_absurd_note();
  // After a spent window's announced reset, before sending again.
  static constexpr DurationMs kResetMarginMs = 250;

 private:
  // Converts a reset header value to timer time (nullopt if unparseable).
  // `skew` is the server's (or wall) clock minus the timer.
  std::optional<TimeMs> parse_reset(const std::string& value, TimeMs now, TimeMs skew) const;
  TimeMs clamp_reset(TimeMs reset, TimeMs now, const char* what);
  void note_absurd(std::string note);

  RateBudgetDefaults defaults_;
  // Local accounting for the configured budget.
  TimeMs window_start_ = 0;
  int used_in_window_ = 0;
  // Latest server view.
  std::optional<int> header_limit_;
  std::optional<int> header_remaining_;
  std::optional<TimeMs> header_reset_;
  std::optional<DurationMs> header_window_;
  TimeMs blocked_until_ = 0;
  int consecutive_429_ = 0;
  TimeMs last_429_at_ = 0;  // arrival of the latest 429 since the last other answer
  int64_t clamped_resets_ = 0;
  std::string absurd_note_;
};

// Parses Retry-After: delta seconds or an HTTP-date. Returns the time to
// wait until on the caller's timeline; an HTTP-date is converted with
// `skew` (the clock the date was written by, minus the caller's `now`).
std::optional<TimeMs> parse_retry_after(const std::string& value, TimeMs now, TimeMs skew = 0);

// Server clock minus `now`: by the response's Date header when present, else
// by the wall clock (`wall_now`).
TimeMs server_skew(const HttpResponse& response, TimeMs now, TimeMs wall_now);

}  // namespace muni
