// The engine's pure parts, without an engine (src/engine/engine_*.h,
// engine/outcome.h): what an answer means, what an outcome does to an
// account, what a once run does next, when work is due, what is stored of a
// long page, which work a host starts, how accounts are counted.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "engine/engine_config.h"
#include "engine/engine_dispatch.h"
#include "engine/engine_finish.h"
#include "engine/engine_ingest.h"
#include "engine/engine_once.h"
#include "engine/engine_response.h"
#include "engine/engine_schedule.h"
#include "engine/engine_status.h"
#include "engine/outcome.h"
#include "test_support.h"

using namespace muni;
using muni::test::FixedRandom;

namespace {

HttpResponse answer(int status, std::vector<HttpHeader> headers = {}, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

Finish transient(Outcome o, std::string reason, std::optional<TimeMs> retry_at = std::nullopt) {
  return Finish{o, FailureKind::kNone, true, std::move(reason), 0, retry_at};
}

PostRecord post(std::string id, PostKind kind = PostKind::kOriginal) {
  PostRecord p;
  p.platform_post_id = std::move(id);
  p.kind = kind;
  return p;
}

}  // namespace

// ---- outcomes (engine/outcome.h) ----

TEST_CASE("engine parts: outcome ids are the poll log's and the metrics' strings") {
  CHECK(outcome_id(Outcome::kOk) == "ok");
  CHECK(outcome_id(Outcome::kNotModified) == "not_modified");
  CHECK(outcome_id(Outcome::kInterrupted) == "interrupted");
  CHECK(outcome_id(Outcome::kRateLimited) == "rate_limited");
  CHECK(outcome_id(Outcome::kTransportError) == "transport_error");
  CHECK(outcome_id(Outcome::kServerError) == "server_error");
  CHECK(outcome_id(Outcome::kStorageError) == "storage_error");
  CHECK(outcome_id(Outcome::kInternalError) == "internal_error");
  CHECK(outcome_id(Outcome::kNoProgress) == "no_progress");
  CHECK(outcome_id(Outcome::kDuplicate) == "duplicate");
  CHECK(outcome_id(Outcome::kRefused) == "refused");
  CHECK(outcome_id(Outcome::kMalformed) == "malformed");
  // Every outcome has its own name.
  std::set<std::string> names;
  for (const Outcome o : kAllOutcomes) names.insert(std::string(outcome_id(o)));
  CHECK(names.size() == std::size(kAllOutcomes));
  CHECK(names.count("unknown") == 0);
}

TEST_CASE("engine parts: a failure's outcome has the failure's name") {
  for (const FailureKind f :
       {FailureKind::kNone, FailureKind::kNotFound, FailureKind::kGone, FailureKind::kSuspended,
        FailureKind::kAuthRequired, FailureKind::kAuthFailed, FailureKind::kBlocked,
        FailureKind::kMalformed, FailureKind::kServerError, FailureKind::kInvalidHandle,
        FailureKind::kRefused, FailureKind::kDuplicate, FailureKind::kNoProgress}) {
    CAPTURE(failure_kind_id(f));
    CHECK(outcome_id(outcome_of(f)) == failure_kind_id(f));
  }
  CHECK(is_success(Outcome::kOk));
  CHECK(is_success(Outcome::kNotModified));
  CHECK_FALSE(is_success(Outcome::kInterrupted));
  CHECK_FALSE(is_success(Outcome::kRateLimited));
}

// ---- response handling (engine_response.h) ----

TEST_CASE("engine parts: classify_response says what an answer means before the connector") {
  const RequestFacts plain;
  CHECK(classify_response(answer(200), plain) == ResponseClass::kAnswer);
  CHECK(classify_response(answer(404), plain) == ResponseClass::kAnswer);  // the connector's call
  CHECK(classify_response(answer(0), plain) == ResponseClass::kTransportError);
  HttpResponse refused = answer(0);
  refused.refused = true;
  CHECK(classify_response(refused, plain) == ResponseClass::kRefused);
  CHECK(classify_response(answer(301, {{"Location", "https://b.example/"}}), plain) ==
        ResponseClass::kRedirect);
  // A redirect without a Location is an answer like any other.
  CHECK(classify_response(answer(302), plain) == ResponseClass::kAnswer);
  CHECK(classify_response(answer(429), plain) == ResponseClass::kRateLimited);
  CHECK(classify_response(answer(503, {{"retry-after", "30"}}), plain) ==
        ResponseClass::kRateLimited);
  CHECK(classify_response(answer(503), plain) == ResponseClass::kServerError);
  CHECK(classify_response(answer(500), plain) == ResponseClass::kServerError);
}

TEST_CASE("engine parts: an optional request's answers go to the connector, except redirects") {
  RequestFacts optional;
  optional.optional = true;
  for (const int status : {0, 200, 404, 429, 500, 503}) {
    CAPTURE(status);
    CHECK(classify_response(answer(status), optional) == ResponseClass::kForConnector);
  }
  CHECK(classify_response(answer(301, {{"Location", "/x"}}), optional) == ResponseClass::kRedirect);
}

TEST_CASE("engine parts: a 304 needs validators, a long answer is left while stopping") {
  RequestFacts asked;
  asked.sent_validators = true;
  CHECK(classify_response(answer(304), asked) == ResponseClass::kAnswer);
  CHECK(classify_response(answer(304), RequestFacts{}) == ResponseClass::kUnasked304);

  const std::string long_body(Engine::kStopAbandonBodyBytes + 1, 'x');
  RequestFacts stopping;
  stopping.stopping = true;
  CHECK(classify_response(answer(200, {}, long_body), stopping) == ResponseClass::kAbandoned);
  CHECK(classify_response(answer(200, {}, "short"), stopping) == ResponseClass::kAnswer);
  CHECK(classify_response(answer(200, {}, long_body), RequestFacts{}) == ResponseClass::kAnswer);
  // What holds the host or backs off comes first, even while stopping.
  CHECK(classify_response(answer(429, {}, long_body), stopping) == ResponseClass::kRateLimited);
}

TEST_CASE("engine parts: judge_answer takes a finished 304 as not modified") {
  CHECK(judge_answer(304, StepResult::finish()).accepted);
  CHECK(judge_answer(304, StepResult::finish()).not_modified);
  CHECK_FALSE(judge_answer(200, StepResult::finish()).not_modified);
  // A 304 the connector follows with another request is not the unit's end.
  HttpRequest next;
  next.url = "https://a.example/next";
  CHECK_FALSE(judge_answer(304, StepResult::send(next)).not_modified);
  const AnswerVerdict failed = judge_answer(304, StepResult::fail(FailureKind::kMalformed, "x"));
  CHECK_FALSE(failed.accepted);
  CHECK_FALSE(failed.not_modified);
  StepResult throttled;
  throttled.throttle = Throttle{};
  CHECK_FALSE(judge_answer(200, throttled).accepted);
}

TEST_CASE("engine parts: http_class groups statuses for the counters") {
  CHECK(http_class(0) == "transport");
  CHECK(http_class(200) == "2xx");
  CHECK(http_class(304) == "3xx");
  CHECK(http_class(429) == "4xx");
  CHECK(http_class(503) == "5xx");
}

// ---- account outcomes (engine_finish.h) ----

TEST_CASE("engine parts: success clears failures, strikes and the reason") {
  AccountRuntime old;
  old.state = AccountState::kBackingOff;
  old.state_reason = "HTTP 503";
  old.failures = 3;
  old.not_found_strikes = 1;
  FixedRandom random;
  for (const Outcome o : {Outcome::kOk, Outcome::kNotModified}) {
    const AccountTransition t =
        account_transition(old, Finish{o, FailureKind::kNone, false, "", 200}, 0, {}, random);
    CHECK(t.next == AccountNext::kSuccess);
    CHECK(t.state == AccountState::kOk);
    CHECK(t.reason.empty());
    CHECK(t.failures == 0);
    CHECK(t.not_found_strikes == 0);
  }
}

TEST_CASE("engine parts: an interrupted unit changes nothing") {
  AccountRuntime old;
  old.state = AccountState::kDegraded;
  old.state_reason = "as before";
  old.failures = 2;
  FixedRandom random;
  const AccountTransition t = account_transition(
      old, Finish{Outcome::kInterrupted, FailureKind::kNone, false, "stopped", 0}, 0, {}, random);
  CHECK(t.next == AccountNext::kUnchanged);
  CHECK(t.state == AccountState::kDegraded);
  CHECK(t.reason == "as before");
  CHECK(t.failures == 2);
}

TEST_CASE("engine parts: a transient failure backs off, longer with every failure") {
  AccountRuntime old;
  FixedRandom random(0.5);
  TransitionRules rules;
  rules.backoff = BackoffPolicy{10 * kSecondMs, kHourMs, kSecondMs};
  const TimeMs now = 1000 * kSecondMs;
  AccountTransition t =
      account_transition(old, transient(Outcome::kServerError, "HTTP 502"), now, rules, random);
  CHECK(t.next == AccountNext::kRetry);
  CHECK(t.state == AccountState::kBackingOff);
  CHECK(t.failures == 1);
  CHECK(t.retry_at == now + 5 * kSecondMs);  // half of 10 s
  CHECK(t.reason == "HTTP 502 (retry in 5s)");
  old.failures = t.failures;
  t = account_transition(old, transient(Outcome::kTransportError, "timeout"), now, rules, random);
  CHECK(t.failures == 2);
  CHECK(t.retry_at == now + 10 * kSecondMs);  // half of 20 s
}

TEST_CASE("engine parts: a rate limit waits for its end, a bad answer degrades") {
  AccountRuntime old;
  FixedRandom random;
  const TimeMs now = 0;
  const TimeMs end = 90 * kSecondMs;
  AccountTransition t = account_transition(
      old, transient(Outcome::kRateLimited, "quota spent", end), now, {}, random);
  CHECK(t.next == AccountNext::kRetry);
  CHECK(t.state == AccountState::kRateLimited);
  CHECK(t.retry_at == end);
  CHECK(t.reason == "quota spent");  // its end is in the reason already
  t = account_transition(
      old, Finish{Outcome::kMalformed, FailureKind::kMalformed, true, "bad JSON", 200}, now, {},
      random);
  CHECK(t.state == AccountState::kDegraded);
  t = account_transition(
      old, Finish{Outcome::kNoProgress, FailureKind::kNoProgress, true, "circles", 200}, now, {},
      random);
  CHECK(t.state == AccountState::kDegraded);
}

TEST_CASE("engine parts: not found is confirmed before it is the account's state") {
  AccountRuntime old;
  FixedRandom random;
  TransitionRules rules;
  rules.not_found_confirmations = 2;
  const Finish gone{Outcome::kNotFound, FailureKind::kNotFound, false, "HTTP 404", 404};
  AccountTransition t = account_transition(old, gone, 0, rules, random);
  CHECK(t.next == AccountNext::kConfirm);
  CHECK(t.state == AccountState::kBackingOff);
  CHECK(t.not_found_strikes == 1);
  CHECK(t.reason == "HTTP 404 (not found 1 of 2 times; confirming)");
  old.not_found_strikes = t.not_found_strikes;
  t = account_transition(old, gone, 0, rules, random);
  CHECK(t.next == AccountNext::kRecheck);
  CHECK(t.state == AccountState::kNotFound);
  CHECK(t.reason == "HTTP 404");
}

TEST_CASE("engine parts: terminal failures set their state and are re-checked") {
  AccountRuntime old;
  FixedRandom random;
  const AccountTransition t = account_transition(
      old, Finish{Outcome::kAuthFailed, FailureKind::kAuthFailed, false, "401", 401}, 0, {},
      random);
  CHECK(t.next == AccountNext::kRecheck);
  CHECK(t.state == AccountState::kAuthFailed);
  CHECK(state_for(FailureKind::kGone) == AccountState::kGone);
  CHECK(state_for(FailureKind::kDuplicate) == AccountState::kDuplicate);
  CHECK(state_for(FailureKind::kRefused) == AccountState::kRefused);
  CHECK(is_transient(FailureKind::kMalformed));
  CHECK(is_transient(FailureKind::kServerError));
  CHECK_FALSE(is_transient(FailureKind::kNotFound));
}

TEST_CASE("engine parts: a stopped backfill says what it saw") {
  CHECK(idle_backfill_note(5, 0) ==
        "backfill stopped: 5 pages in a row brought no new post (the server repeats pages or its "
        "cursor goes in circles); older history may be missing");
  CHECK(idle_backfill_note(5, 12).find("they held 12 item(s) that could not be stored") !=
        std::string::npos);
}

// ---- poll --once (engine_once.h) ----

TEST_CASE("engine parts: a once run goes poll, backfill until done, refresh, comments") {
  OnceFacts all{true, true, true};
  CHECK(once_next_work(WorkKind::kPoll, true, all) == WorkKind::kBackfill);
  CHECK(once_next_work(WorkKind::kBackfill, true, all) == WorkKind::kBackfill);
  OnceFacts history_read{false, true, true};
  CHECK(once_next_work(WorkKind::kBackfill, true, history_read) == WorkKind::kRefresh);
  CHECK(once_next_work(WorkKind::kPoll, true, history_read) == WorkKind::kRefresh);
  CHECK(once_next_work(WorkKind::kRefresh, true, history_read) == WorkKind::kComments);
  CHECK(once_next_work(WorkKind::kComments, true, history_read) == std::nullopt);
  // Without refresh and comments the run ends with the history.
  CHECK(once_next_work(WorkKind::kPoll, true, OnceFacts{}) == std::nullopt);
}

TEST_CASE("engine parts: a failed poll ends a once run, a failed later unit moves on") {
  OnceFacts all{true, true, true};
  CHECK(once_next_work(WorkKind::kPoll, false, all) == std::nullopt);
  CHECK(once_next_work(WorkKind::kBackfill, false, all) == WorkKind::kRefresh);
  CHECK(once_next_work(WorkKind::kRefresh, false, all) == WorkKind::kComments);
}

TEST_CASE("engine parts: a once run retries briefly, never waits long") {
  const TimeMs now = 0;
  CHECK(once_retries(transient(Outcome::kServerError, "502"), now, 0, 3));
  CHECK(once_retries(transient(Outcome::kServerError, "502"), now, 1, 3));
  CHECK_FALSE(once_retries(transient(Outcome::kServerError, "502"), now, 2, 3));
  CHECK(once_retries(transient(Outcome::kRateLimited, "429", now + kMinuteMs), now, 0, 3));
  CHECK_FALSE(
      once_retries(transient(Outcome::kRateLimited, "quota", now + 2 * kMinuteMs), now, 0, 3));
  CHECK_FALSE(once_retries(Finish{Outcome::kNotFound, FailureKind::kNotFound, false, "404", 404},
                           now, 0, 3));
}

// ---- scheduling and configuration (engine_schedule.h, engine_config.h) ----

TEST_CASE("engine parts: next_slot is the next phase + k * interval, strictly later") {
  const DurationMs hour = kHourMs;
  const TimeMs phase = 10 * kMinuteMs;
  CHECK(next_slot(0, hour, phase) == phase);
  CHECK(next_slot(phase, hour, phase) == phase + hour);
  CHECK(next_slot(phase + 1, hour, phase) == phase + hour);
  CHECK(next_slot(5 * hour + 20 * kMinuteMs, hour, phase) == 6 * hour + phase);
  // Before the epoch's first slot (timer time may be anything).
  CHECK(next_slot(-hour, hour, phase) == phase - hour);
}

TEST_CASE("engine parts: the first poll of a loaded account follows its saved times") {
  const DurationMs hour = kHourMs;
  const TimeMs phase = 10 * kMinuteMs;
  const TimeMs now = 100 * hour;
  CHECK(first_poll_due(now, SavedTimes{}, hour, phase) == now);
  // Its saved next due time, never in the past.
  CHECK(first_poll_due(now, SavedTimes{now + 5 * kMinuteMs, {}, {}}, hour, phase) ==
        now + 5 * kMinuteMs);
  CHECK(first_poll_due(now, SavedTimes{now - hour, {}, {}}, hour, phase) == now);
  // Else the slot after its last attempt.
  CHECK(first_poll_due(now, SavedTimes{{}, now - 5 * kMinuteMs, {}}, hour, phase) == now + phase);
  // Never before a saved backoff ends.
  CHECK(first_poll_due(now, SavedTimes{now, {}, now + 2 * hour}, hour, phase) == now + 2 * hour);
}

TEST_CASE("engine parts: poll intervals and phases") {
  PlatformDescriptor youtube;
  youtube.work = {WorkSpec{WorkKind::kPoll, 2 * kHourMs, 1}};
  PlatformSettings configured;
  configured.poll_interval = 30 * kMinuteMs;
  CHECK(poll_interval_for(15 * kMinuteMs, &youtube, &configured, kHourMs) == 15 * kMinuteMs);
  CHECK(poll_interval_for(std::nullopt, &youtube, &configured, kHourMs) == 30 * kMinuteMs);
  CHECK(poll_interval_for(std::nullopt, &youtube, nullptr, kHourMs) == 2 * kHourMs);
  CHECK(poll_interval_for(std::nullopt, nullptr, nullptr, kHourMs) == kHourMs);
  // The phase is a stable hash within the interval.
  const TimeMs a = poll_phase("mastodon:@rathaus@social.example", kHourMs);
  CHECK(a == poll_phase("mastodon:@rathaus@social.example", kHourMs));
  CHECK(a >= 0);
  CHECK(a < kHourMs);
}

TEST_CASE(
    "engine parts: refresh and comment intervals come from configuration, descriptor, options") {
  EngineOptions options;
  options.refresh_interval_ms = 6 * kHourMs;
  options.comments_interval_ms = 24 * kHourMs;
  PlatformDescriptor d;
  d.work = {WorkSpec{WorkKind::kPoll}, WorkSpec{WorkKind::kRefresh},
            WorkSpec{WorkKind::kComments, 12 * kHourMs, 1}};
  CHECK(work_interval_for(&d, nullptr, WorkKind::kRefresh, options) == 6 * kHourMs);
  CHECK(work_interval_for(&d, nullptr, WorkKind::kComments, options) == 12 * kHourMs);
  PlatformSettings ps;
  ps.refresh_interval = kHourMs;
  CHECK(work_interval_for(&d, &ps, WorkKind::kRefresh, options) == kHourMs);
  // No such work on the platform, or no platform: 0.
  CHECK(work_interval_for(&d, nullptr, WorkKind::kBackfill, options) == 0);
  CHECK(work_interval_for(nullptr, &ps, WorkKind::kRefresh, options) == 0);
}

// ---- dispatch (engine_dispatch.h) ----

TEST_CASE("engine parts: a host starts polls, refreshes, comments, then backfill if allowed") {
  QueuedWork q;
  CHECK(next_work_kind(q) == std::nullopt);
  q.any[static_cast<int>(WorkKind::kBackfill)] = true;
  CHECK(next_work_kind(q) == std::nullopt);  // no budget to spare
  q.backfill_allowed = true;
  CHECK(next_work_kind(q) == WorkKind::kBackfill);
  q.any[static_cast<int>(WorkKind::kComments)] = true;
  CHECK(next_work_kind(q) == WorkKind::kComments);
  q.any[static_cast<int>(WorkKind::kRefresh)] = true;
  CHECK(next_work_kind(q) == WorkKind::kRefresh);
  q.any[static_cast<int>(WorkKind::kPoll)] = true;
  CHECK(next_work_kind(q) == WorkKind::kPoll);
}

// ---- page ingest (engine_ingest.h) ----

TEST_CASE("engine parts: a long page is taken in chunks, the rest keeps the cursor") {
  Page page;
  page.account_id = 7;
  page.cursor = "c9";
  page.batch.snapshot = AccountSnapshot{};
  for (int i = 0; i < 5; ++i) page.batch.posts.push_back(post("p" + std::to_string(i)));
  page.batch.deleted_post_ids.push_back("gone");
  const Page first = take_chunk(page, 2);
  CHECK(first.account_id == 7);
  CHECK(first.batch.snapshot.has_value());  // the profile goes with the first chunk
  REQUIRE(first.batch.posts.size() == 2);
  CHECK(first.batch.posts[0].platform_post_id == "p0");
  CHECK_FALSE(first.cursor.has_value());
  CHECK(first.batch.deleted_post_ids.empty());
  const Page second = take_chunk(page, 2);
  CHECK_FALSE(second.batch.snapshot.has_value());
  CHECK(second.batch.posts[0].platform_post_id == "p2");
  REQUIRE(page.batch.posts.size() == 1);
  CHECK(page.batch.posts[0].platform_post_id == "p4");
  CHECK(page.cursor == "c9");
  CHECK(page.batch.deleted_post_ids.size() == 1);
}

TEST_CASE("engine parts: the saved position follows a committed page") {
  StoredAccount account;
  account.cursor = "old";
  account.platform_id = "";
  account.own_posts_stored = 10;
  Page page;
  page.cursor = "new";
  page.backfill_state = BackfillState::kComplete;
  page.history_note = "all read";
  page.batch.posts = {post("a"), post("b", PostKind::kRepost), post("c")};
  AccountSnapshot snapshot;
  snapshot.platform_id = "did:plc:abc";
  page.batch.snapshot = snapshot;
  follow_page(account, page);
  CHECK(account.cursor == "new");
  CHECK(account.backfill_state == BackfillState::kComplete);
  CHECK(account.history_note == "all read");
  CHECK(account.own_posts_stored == 12);  // reposts are not the account's posts
  CHECK(account.platform_id == "did:plc:abc");
  // An empty page changes nothing.
  follow_page(account, Page{});
  CHECK(account.cursor == "new");
  CHECK(account.own_posts_stored == 12);
}

// ---- status (engine_status.h) ----

TEST_CASE("engine parts: accounts are counted healthy, backing off, unsupported or failing") {
  EngineSummary s;
  for (const AccountState st :
       {AccountState::kOk, AccountState::kBackingOff, AccountState::kRateLimited,
        AccountState::kUnsupported, AccountState::kNotFound, AccountState::kAuthFailed}) {
    count_account(s, st);
  }
  CHECK(s.ok == 1);
  CHECK(s.backing_off == 2);
  CHECK(s.unsupported == 1);
  CHECK(s.failing == 2);
  CHECK(s.accounts_by_state.at("ok") == 1);
  CHECK(s.accounts_by_state.size() == 6);
}
