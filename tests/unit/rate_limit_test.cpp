#include <doctest/doctest.h>

#include "engine/backoff.h"
#include "engine/rate_limit.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;

namespace {

HttpResponse with_headers(int status, std::vector<HttpHeader> headers) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

}  // namespace

TEST_CASE("rate limit: the configured budget holds requests until the window ends") {
  RateLimiter l({3, kMinuteMs});
  const TimeMs t0 = 1'000'000;
  CHECK(l.try_acquire(t0, 0) == 0);
  CHECK(l.try_acquire(t0 + 1, 0) == 0);
  CHECK(l.try_acquire(t0 + 2, 0) == 0);
  CHECK(l.try_acquire(t0 + 3, 0) == t0 + kMinuteMs);
  CHECK(l.remaining() == 0);
  CHECK(l.source() == "config");
  CHECK(l.try_acquire(t0 + kMinuteMs, 0) == 0);  // a new window
  RateLimiter unlimited({});
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.try_acquire(t0, 0) == 0);
}

TEST_CASE("rate limit: Mastodon headers (ISO-8601 reset) take over from the configured budget") {
  RateLimiter l({300, 5 * kMinuteMs});
  const TimeMs now = test::at("2026-08-01T13:50:00Z");
  l.observe(with_headers(200, {{"x-ratelimit-limit", "300"},
                               {"x-ratelimit-remaining", "1"},
                               {"x-ratelimit-reset", "2026-08-01T13:55:00.212100Z"}}),
            now);
  CHECK(l.source() == "headers");
  CHECK(l.remaining() == 1);
  CHECK(l.try_acquire(now, 0) == 0);
  // Budget spent: wait for the server's reset.
  CHECK(l.try_acquire(now + 1, 0) ==
        test::at("2026-08-01T13:55:00.212Z") + RateLimiter::kResetMarginMs);
  // In-flight requests count against what is left.
  RateLimiter m({});
  m.observe(with_headers(200, {{"X-RateLimit-Remaining", "2"},
                               {"X-RateLimit-Reset", "2026-08-01T13:55:00Z"}}),
            now);
  CHECK(m.try_acquire(now, 2) == test::at("2026-08-01T13:55:00Z") + RateLimiter::kResetMarginMs);
  CHECK(m.try_acquire(now, 1) == 0);
}

TEST_CASE("rate limit: atproto headers, epoch-second resets and the Date header's clock skew") {
  RateLimiter l({});
  const TimeMs now = test::at("2025-05-19T17:41:26Z");
  // The server's clock runs one hour ahead of ours; its reset is 30 s after its now.
  const TimeMs server_now = now + kHourMs;
  l.observe(
      with_headers(200, {{"Date", format_http_date(server_now)},
                         {"RateLimit-Limit", "3000"},
                         {"RateLimit-Remaining", "0"},
                         {"RateLimit-Reset", std::to_string((server_now + 30 * kSecondMs) / 1000)},
                         {"RateLimit-Policy", "3000;w=300"}}),
      now);
  CHECK(l.limit() == 3000);
  CHECK(l.window_ms() == 300 * kSecondMs);
  CHECK(l.try_acquire(now, 0) ==
        now + 30 * kSecondMs + RateLimiter::kResetMarginMs);  // in our time, not the server's
  CHECK(l.clamped_resets() == 0);
}

TEST_CASE("rate limit: an implausible reset is capped at what the platform documents or the configuration allows") {
  const TimeMs now = test::at("2026-01-01T00:00:00Z");
  const HttpResponse spent = with_headers(
      200, {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "2026-01-09T00:00:00Z"}});
  // Mastodon documents 5-minute windows; nothing configured: the cap is the
  // larger of that window and 15 minutes.
  RateLimiter l({300, 5 * kMinuteMs});
  CHECK(l.max_wait() == 15 * kMinuteMs);
  l.observe(spent, now);
  CHECK(l.clamped_resets() == 1);
  CHECK(l.try_acquire(now, 0) == now + 15 * kMinuteMs + RateLimiter::kResetMarginMs);
  const std::string note = l.take_absurd_note();
  CHECK(note.find("691200 s ahead") != std::string::npos);
  CHECK(note.find("waiting 900 s instead") != std::string::npos);
  CHECK(l.take_absurd_note().empty());  // said once
  // platforms.<id>.max_server_wait: 2m.
  RateLimiter configured({300, 5 * kMinuteMs, 2 * kMinuteMs});
  configured.observe(spent, now);
  CHECK(configured.try_acquire(now, 0) == now + 2 * kMinuteMs + RateLimiter::kResetMarginMs);
  // A platform documenting a longer window keeps it as its cap.
  RateLimiter daily({100, kDayMs});
  CHECK(daily.max_wait() == kDayMs);
}

TEST_CASE("rate limit: absurd Retry-After, reset and policy window together hold a host 15 minutes, not a day") {
  // Found: an absurd Retry-After (ignored) beside X-RateLimit-Reset a day
  // ahead and RateLimit-Policy w=86400 clamped the reset to one "window" of
  // a day: 0 requests until tomorrow.
  const TimeMs now = test::at("2026-03-01T12:00:00Z");
  RateLimiter l({300, 5 * kMinuteMs});
  l.on_too_many_requests(
      with_headers(429, {{"Retry-After", "9999999999"},
                         {"X-RateLimit-Remaining", "0"},
                         {"X-RateLimit-Reset", std::to_string(now / 1000 + 86400)},
                         {"RateLimit-Policy", "300;w=86400"}}),
      now);
  REQUIRE(l.blocked_until(now).has_value());
  CHECK(*l.blocked_until(now) <= now + 15 * kMinuteMs);
  CHECK(l.window_ms() <= 15 * kMinuteMs);
  CHECK(l.try_acquire(now + 15 * kMinuteMs + RateLimiter::kResetMarginMs, 0) == 0);
  CHECK(l.clamped_resets() >= 2);
  CHECK_FALSE(l.take_absurd_note().empty());
}

TEST_CASE("rate limit: a 429 with Retry-After 0 or a past date backs off like one without a hint") {
  // Found: a server answering 429 forever with Retry-After: 0 drew 1,344
  // requests in 60 s. Simulate a client that asks again the moment it may.
  const TimeMs start = test::at("2026-03-01T12:00:00Z");
  for (const std::string& hint : {std::string("0"), format_http_date(start - kHourMs)}) {
    RateLimiter l({300, 5 * kMinuteMs});
    TimeMs now = start;
    int requests = 0;
    while (now < start + kMinuteMs) {
      if (const TimeMs wait = l.try_acquire(now, 0); wait != 0) {
        now = wait;
        continue;
      }
      ++requests;
      l.on_too_many_requests(with_headers(429, {{"Retry-After", hint}}), now, now, now, 0.5);
    }
    CAPTURE(hint);
    CHECK(requests == 2);  // at 0 s and after the first hint-less pause (30 s + jitter)
    CHECK(*l.blocked_until(now) - now >= 60 * kSecondMs);  // the next pause is longer
  }
}

TEST_CASE("rate limit: from the second 429 in a row a short Retry-After is no licence to loop") {
  const TimeMs start = 50'000'000;
  RateLimiter l({});
  TimeMs now = start;
  std::vector<DurationMs> pauses;
  for (int i = 0; i < 4; ++i) {
    l.on_too_many_requests(with_headers(429, {{"Retry-After", "1"}}), now, now, now, 0);
    pauses.push_back(*l.blocked_until(now) - now);
    now = *l.blocked_until(now);
  }
  CHECK(pauses == std::vector<DurationMs>{kSecondMs, 30 * kSecondMs, 60 * kSecondMs,
                                          120 * kSecondMs});
  // Jitter lengthens the hint-less pause by up to a fifth, never shortens it.
  RateLimiter j({});
  j.on_too_many_requests(with_headers(429, {}), start, start, start, 0.999);
  CHECK(*j.blocked_until(start) - start > 30 * kSecondMs);
  CHECK(*j.blocked_until(start) - start <= 36 * kSecondMs);
}

TEST_CASE("rate limit: 429 waits until Retry-After, or for a growing pause without hints") {
  const TimeMs now = 10'000'000;
  RateLimiter l({});
  l.on_too_many_requests(with_headers(429, {{"Retry-After", "7"}}), now);
  CHECK(l.blocked_until(now) == now + 7000);
  CHECK(l.try_acquire(now + 6999, 0) == now + 7000);
  CHECK(l.try_acquire(now + 7000, 0) == 0);
  RateLimiter d({});
  d.on_too_many_requests(
      with_headers(429, {{"Retry-After", format_http_date(now + 90 * kSecondMs)}}), now);
  CHECK(d.blocked_until(now) == now + 90 * kSecondMs);
  RateLimiter silent({});
  silent.on_too_many_requests(with_headers(429, {}), now);
  CHECK(silent.blocked_until(now) == now + 30 * kSecondMs);
  silent.on_too_many_requests(with_headers(429, {}), now + 30 * kSecondMs);
  CHECK(silent.blocked_until(now + 30 * kSecondMs) ==
        now + 90 * kSecondMs);  // 60 s the second time
  // X API spelling of the reset, epoch seconds.
  const TimeMs today = test::at("2026-01-01T00:00:00Z");
  RateLimiter x({});
  x.on_too_many_requests(
      with_headers(429, {{"x-rate-limit-remaining", "0"},
                         {"x-rate-limit-reset", std::to_string((today + 600000) / 1000)}}),
      today);
  CHECK(x.blocked_until(today) == today + 600000);
}

TEST_CASE("rate limit: an absurd Retry-After is no hint, whatever window the server announced") {
  const TimeMs now = 10'000'000;
  // The server announced a 300 s window earlier (atproto RateLimit-Policy);
  // then a 429 says "retry after 2^63 - 1 seconds". Holding the host for a
  // whole window would stall every account on it: the pause is the
  // hint-less one (30 s), as if no Retry-After had been sent.
  RateLimiter l({});
  l.observe(with_headers(200, {{"RateLimit-Limit", "3000"},
                               {"RateLimit-Remaining", "2999"},
                               {"RateLimit-Policy", "3000;w=300"}}),
            now - kSecondMs);
  l.on_too_many_requests(with_headers(429, {{"Retry-After", "9223372036854775807"}}), now);
  CHECK(l.blocked_until(now) == now + 30 * kSecondMs);
  // The same without any earlier answer: the same short pause.
  RateLimiter fresh({});
  fresh.on_too_many_requests(with_headers(429, {{"Retry-After", "9223372036854775807"}}), now);
  CHECK(fresh.blocked_until(now) <= now + 30 * kSecondMs);
}

TEST_CASE("rate limit: headroom is the share of the budget left") {
  RateLimiter l({10, kMinuteMs});
  const TimeMs now = 5'000'000;
  CHECK(l.headroom(now) == 1.0);
  for (int i = 0; i < 8; ++i) REQUIRE(l.try_acquire(now, 0) == 0);
  CHECK(l.headroom(now) == doctest::Approx(0.2));
  CHECK(l.headroom(now + kMinuteMs) == 1.0);  // the window is over
}

TEST_CASE("backoff: full jitter between a floor and the capped exponential") {
  BackoffPolicy p{30 * kSecondMs, 10 * kMinuteMs, kSecondMs};
  test::FixedRandom half(0.5), low(0.0), high(0.999999);
  CHECK(backoff_delay(p, 1, half) == 15 * kSecondMs);
  CHECK(backoff_delay(p, 2, half) == 30 * kSecondMs);
  CHECK(backoff_delay(p, 3, half) == 60 * kSecondMs);
  CHECK(backoff_delay(p, 30, half) == 5 * kMinuteMs);  // half of the cap
  CHECK(backoff_delay(p, 1, low) == kSecondMs);        // never immediately
  CHECK(backoff_delay(p, 100, high) <= 10 * kMinuteMs);
}

TEST_CASE("rate limit: answers arriving out of order never raise what is left of a window") {
  // Measured before the fix: with 8 requests in flight, a late answer that
  // still said "5 left" overwrote "0 left", and 6 requests met a 429.
  RateLimiter l({});
  const TimeMs now = test::at("2026-11-30T12:00:03Z");
  const std::string reset = std::to_string(test::at("2026-11-30T12:00:10Z") / 1000);
  auto answer = [&](int remaining, const std::string& at) {
    return with_headers(200, {{"RateLimit-Limit", "300"},
                              {"RateLimit-Remaining", std::to_string(remaining)},
                              {"RateLimit-Reset", at},
                              {"RateLimit-Policy", "300;w=10"}});
  };
  l.observe(answer(0, reset), now);
  l.observe(answer(5, reset), now + 10);  // sent earlier, answered later
  CHECK(l.remaining() == 0);
  CHECK(l.try_acquire(now + 20, 0) ==
        test::at("2026-11-30T12:00:10Z") + RateLimiter::kResetMarginMs);
  // The next window: its first answer counts; a straggler from the old one does not.
  const TimeMs later = test::at("2026-11-30T12:00:10.300Z");
  const std::string next = std::to_string(test::at("2026-11-30T12:00:20Z") / 1000);
  l.observe(answer(290, next), later);
  l.observe(answer(0, reset), later + 5);
  CHECK(l.remaining() == 290);
  CHECK(l.try_acquire(later + 10, 0) == 0);
}

TEST_CASE("rate limit: absolute server times land on the caller's monotonic timeline") {
  // The engine's timer time has drifted an hour from the wall clock (the
  // wall clock was stepped); absolute values are converted by the server's
  // Date header, else by the wall clock, never compared with timer time.
  const TimeMs tick = 5'000'000;
  const TimeMs wall = test::at("2026-03-01T12:00:00Z");
  const TimeMs server_now = wall + 3 * kSecondMs;  // the server's clock runs 3 s ahead
  RateLimiter dated({});
  dated.on_too_many_requests(
      with_headers(429, {{"Date", format_http_date(server_now)},
                         {"Retry-After", format_http_date(server_now + 90 * kSecondMs)}}),
      tick, tick, wall);
  CHECK(dated.blocked_until(tick) == tick + 90 * kSecondMs);
  RateLimiter undated({});
  undated.on_too_many_requests(
      with_headers(429, {{"Retry-After", format_http_date(wall + 60 * kSecondMs)}}), tick, tick,
      wall);
  CHECK(undated.blocked_until(tick) == tick + 60 * kSecondMs);
  RateLimiter epoch({});
  epoch.observe(
      with_headers(200, {{"RateLimit-Limit", "3000"},
                         {"RateLimit-Remaining", "0"},
                         {"RateLimit-Reset", std::to_string((wall + 40 * kSecondMs) / 1000)}}),
      tick, wall);
  CHECK(epoch.try_acquire(tick, 0) == tick + 40 * kSecondMs + RateLimiter::kResetMarginMs);
}

TEST_CASE("rate limit: absurd header values are clamped (finding 15)") {
  const TimeMs now = at("2026-01-01T00:00:00Z");
  // Found: Retry-After: 9223372036854775807 overflowed into "no wait at all".
  RateLimiter l({300, 5 * kMinuteMs});
  l.on_too_many_requests(with_headers(429, {{"Retry-After", "9223372036854775807"}}), now);
  REQUIRE(l.blocked_until(now).has_value());
  CHECK(*l.blocked_until(now) > now);
  CHECK(*l.blocked_until(now) <= now + 5 * kMinuteMs);  // no hint: the hint-less pause
  CHECK(parse_retry_after("9223372036854775807", now).value() > now);
  // Found: RateLimit-Policy w=99999999999999999 blocked the host practically forever.
  RateLimiter p({});
  p.observe(with_headers(200, {{"RateLimit-Policy", "300;w=99999999999999999"},
                               {"RateLimit-Remaining", "0"},
                               {"RateLimit-Reset", "99999999999999999"}}),
            now);
  CHECK(p.window_ms() <= kDayMs);
  CHECK(p.try_acquire(now, 0) <= now + kDayMs + RateLimiter::kResetMarginMs);
  // Epoch seconds far in the future, negative and garbage values.
  RateLimiter q({300, 5 * kMinuteMs});
  q.observe(with_headers(200, {{"X-RateLimit-Remaining", "0"},
                               {"X-RateLimit-Reset", "9223372036854775807"}}),
            now);
  CHECK(q.try_acquire(now, 0) <= now + 15 * kMinuteMs + RateLimiter::kResetMarginMs);
  CHECK_FALSE(parse_retry_after("-5", now).has_value());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
}

TEST_CASE("rate limit: a reset just past means retry now, 429s already in flight do not compound") {
  // Found: RateLimit-Reset is whole epoch seconds; a reset a few hundred ms
  // old counted as "no hint", and four in-flight 429s stretched the pause
  // from 30 s to 240 s.
  const TimeMs now = at("2026-01-01T00:00:10.400Z");
  RateLimiter l({3000, 5 * kMinuteMs});
  const HttpResponse r429 = with_headers(
      429, {{"RateLimit-Limit", "3000"},
            {"RateLimit-Remaining", "0"},
            {"RateLimit-Reset", std::to_string(at("2026-01-01T00:00:10Z") / 1000)}});
  l.on_too_many_requests(r429, now, now - 200);
  CHECK(l.blocked_until(now) == now + kSecondMs);
  RateLimiter silent({300, 10 * kSecondMs});
  const HttpResponse bare = with_headers(429, {});
  const TimeMs sent = now - 100;  // four requests sent together
  for (int i = 0; i < 4; ++i) silent.on_too_many_requests(bare, now + i, sent);
  // One pause, bounded by the known 10 s window, not 30 s doubled three times.
  CHECK(silent.blocked_until(now + 3).value() <= now + 10 * kSecondMs + 3);
}
