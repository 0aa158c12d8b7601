// Metrics on hand-built data with answers worked out by hand (see the
// comments). March 2025 in Europe/Berlin contains the switch to summer time
// (30 March), so office hours, days and period edges are tested across it.
#include <doctest/doctest.h>

#include <cmath>

#include "metrics/metrics.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::metrics;
using muni::test::at;

namespace {

PostRow post(const char* t, PostKind kind, std::optional<int64_t> likes,
             std::optional<int64_t> replies, std::optional<int64_t> reposts, int mentions = 0,
             const char* parent_at = nullptr, const char* parent_author = "") {
  PostRow r;
  r.created_at = at(t);
  r.kind = kind;
  r.likes = likes;
  r.replies = replies;
  r.reposts = reposts;
  r.mentions = mentions;
  if (parent_at != nullptr) r.parent_created_at = at(parent_at);
  r.parent_is_other = std::string(parent_author) != "" && std::string(parent_author) != "A";
  return r;
}

// Account A: a Mastodon account polled without gaps since February, history
// complete, 9 own posts and one repost in March 2025.
AccountData account_a() {
  AccountData a;
  a.account.id = 1;
  a.account.municipality_id = "musterstadt";
  a.account.platform = "mastodon";
  a.account.platform_id = "A";
  a.account.backfill_state = BackfillState::kComplete;
  a.account.created_at = at("2023-05-10T00:00:00Z");
  a.population = 50000;
  a.interval_ms = kHourMs;
  a.first_own_post = at("2024-06-01T10:00:00Z");
  a.spans = {{at("2025-02-01T00:00:00Z"), at("2025-12-31T00:00:00Z")}};
  a.followers = {{at("2025-02-15T00:00:00Z"), 1000},
                 {at("2025-03-15T12:00:00Z"), 1100},
                 {at("2025-04-10T00:00:00Z"), 1200}};
  a.posts = {
      post("2025-03-03T07:30:00Z", PostKind::kOriginal, 10, 2, 1),  // Mon 08:30 CET, office
      post("2025-03-03T18:00:00Z", PostKind::kReplyOther, 0, 0, 0, 0, "2025-03-03T16:00:00Z",
           "cit"),  // 19:00, 2 h
      post("2025-03-08T10:00:00Z", PostKind::kOriginal, 5, std::nullopt, 0,
           1),  // Saturday, mentions
      post("2025-03-10T09:00:00Z", PostKind::kReplyOther, 1, 1, 0, 0, "2025-03-09T09:00:00Z",
           "cit"),                                                  // 24 h
      post("2025-03-16T12:00:00Z", PostKind::kReplySelf, 2, 0, 0),  // Sunday
      post("2025-03-20T05:30:00Z", PostKind::kQuote, 4, 1, 2),      // Thu 06:30, early
      post("2025-03-25T15:00:00Z", PostKind::kRepost, std::nullopt, std::nullopt, std::nullopt, 0,
           nullptr, "B"),
      post("2025-03-29T23:30:00Z", PostKind::kOriginal, std::nullopt, std::nullopt,
           std::nullopt),  // Sun 30th 00:30 local
      post("2025-03-31T06:30:00Z", PostKind::kOriginal, 3, 0,
           0),  // Mon 08:30 CEST: office (07:30 if DST were ignored)
      post("2025-03-31T16:30:00Z", PostKind::kReplyUnknown, 0, 0,
           0),  // Mon 18:30 CEST: outside (17:30 if ignored)
  };
  return a;
}

// Account B: Bluesky, same municipality, history incomplete (known from
// 10 March), polled from 20 March, followers first seen in April.
AccountData account_b() {
  AccountData b;
  b.account.id = 2;
  b.account.municipality_id = "musterstadt";
  b.account.platform = "bluesky";
  b.account.platform_id = "did:plc:b";
  b.account.backfill_state = BackfillState::kIncomplete;
  b.population = 50000;
  b.interval_ms = kHourMs;
  b.first_own_post = at("2025-03-10T00:00:00Z");
  b.spans = {{at("2025-03-20T00:00:00Z"), at("2025-12-31T00:00:00Z")}};
  b.followers = {{at("2025-04-02T00:00:00Z"), 500}};
  b.posts = {post("2025-03-12T10:00:00Z", PostKind::kOriginal, 7, 0, 0)};
  return b;
}

Options berlin() {
  Options o;
  o.tz = *TimeZone::load("Europe/Berlin");
  o.now = at("2026-01-01T12:00:00Z");
  return o;
}

Period march(const Options& o) {
  return split_periods(o.tz.from_local({2025, 3, 1}), o.tz.from_local({2025, 4, 1}),
                       Granularity::kMonth, o.tz)[0];
}

double num(const Values& v, const std::string& name) {
  const auto it = v.find(name);
  REQUIRE_MESSAGE(it != v.end(), "no metric " << name);
  auto n = number_of(it->second);
  REQUIRE_MESSAGE(n.has_value(), name << " is not a number");
  return *n;
}

bool null(const Values& v, const std::string& name) { return is_null(v.at(name)); }
std::string text(const Values& v, const std::string& name) {
  return std::get<std::string>(v.at(name));
}

}  // namespace

TEST_CASE("metrics: periods follow the local calendar, across DST, with ISO week labels") {
  const Options o = berlin();
  const Period m = march(o);
  CHECK(m.label == "2025-03");
  CHECK(m.start == at("2025-02-28T23:00:00Z"));  // midnight CET
  CHECK(m.end == at("2025-03-31T22:00:00Z"));    // midnight CEST
  const auto weeks = split_periods(o.tz.from_local({2025, 12, 24}), o.tz.from_local({2026, 1, 6}),
                                   Granularity::kWeek, o.tz);
  REQUIRE(weeks.size() == 3);
  CHECK(weeks[0].label == "2025-W52");
  CHECK(weeks[0].start == o.tz.from_local({2025, 12, 24}));  // clipped to --from
  CHECK(weeks[1].label == "2026-W01");  // the week of 29 Dec 2025 is ISO 2026-W01
  CHECK(weeks[1].start == o.tz.from_local({2025, 12, 29}));
  CHECK(weeks[2].end == o.tz.from_local({2026, 1, 6}));
  const auto q = split_periods(o.tz.from_local({2025, 2, 1}), o.tz.from_local({2026, 1, 1}),
                               Granularity::kQuarter, o.tz);
  REQUIRE(q.size() == 4);
  CHECK(q[0].label == "2025-Q1");
  CHECK(q[3].label == "2025-Q4");
  const auto y = split_periods(o.tz.from_local({2024, 6, 1}), o.tz.from_local({2025, 6, 1}),
                               Granularity::kYear, o.tz);
  REQUIRE(y.size() == 2);
  CHECK(y[1].label == "2025");
  const auto one = split_periods(o.tz.from_local({2025, 1, 1}), o.tz.from_local({2026, 1, 1}),
                                 Granularity::kNone, o.tz);
  CHECK(one[0].label == "2025-01-01..2025-12-31");
  CHECK(split_periods(10, 10, Granularity::kMonth, o.tz).empty());
}

TEST_CASE("metrics: percentiles interpolate (type 7)") {
  CHECK(*percentile({2, 24}, 0.5) == doctest::Approx(13));
  CHECK(*percentile({2, 24}, 0.9) == doctest::Approx(21.8));
  CHECK(*percentile({5}, 0.9) == doctest::Approx(5));
  CHECK(*percentile({1, 2, 3, 4}, 0.5) == doctest::Approx(2.5));
  CHECK_FALSE(percentile({}, 0.5).has_value());
}

TEST_CASE("metrics: every metric of one account in March 2025") {
  const Options o = berlin();
  const AccountData a = account_a();
  const Values v = compute({&a}, march(o), o);
  const double weeks = 743.0 / 168.0;  // 31 days minus the hour lost to DST

  // presence
  CHECK(num(v, "accounts") == 1);
  CHECK(num(v, "accounts_active") == 1);
  CHECK(num(v, "accounts_dormant") == 0);
  CHECK(text(v, "first_activity") ==
        "2023-05-10");  // account creation precedes the first stored post
  CHECK(text(v, "last_activity") == "2025-03-31");
  CHECK(text(v, "account_created") == "2023-05-10");
  // activity
  CHECK(num(v, "own_posts") == 9);
  CHECK(num(v, "originals") == 4);
  CHECK(num(v, "replies_other") == 2);
  CHECK(num(v, "replies_self") == 1);
  CHECK(num(v, "replies_unknown") == 1);
  CHECK(num(v, "quotes") == 1);
  CHECK(num(v, "reposts") == 1);
  CHECK(num(v, "posts_per_week") == doctest::Approx(9 / weeks));
  CHECK(num(v, "active_days") == 7);  // 3, 8, 10, 16, 20, 30 (local!), 31 March
  CHECK(num(v, "longest_gap_days") ==
        doctest::Approx(234.0 / 24));  // 20 March 05:30 to 29 March 23:30 UTC
  CHECK(num(v, "share_outside_office_hours") == doctest::Approx(6.0 / 9));
  CHECK(num(v, "share_weekend") == doctest::Approx(3.0 / 9));
  // dialogue
  CHECK(num(v, "reply_share") == doctest::Approx(2.0 / 9));
  CHECK(num(v, "responses_timed") == 2);
  CHECK(num(v, "response_time_median_h") == doctest::Approx(13));
  CHECK(num(v, "response_time_p90_h") == doctest::Approx(21.8));
  CHECK(num(v, "networking_share") ==
        doctest::Approx(0.4));      // (2 replies + 1 repost of B + 1 mention) / 10
  CHECK(null(v, "service_level"));  // Mastodon shows no citizen comments to us
  CHECK(null(v, "citizen_comments"));
  // engagement: 8 posts with known likes, 7 with known replies, 8 with known reposts
  CHECK(num(v, "posts_with_counts") == 8);
  CHECK(num(v, "P1") == doctest::Approx(6.0 / 8));
  CHECK(num(v, "P2") == doctest::Approx(25.0 / 8));
  CHECK(num(v, "C1") == doctest::Approx(3.0 / 7));
  CHECK(num(v, "C2") == doctest::Approx(4.0 / 7));
  CHECK(num(v, "V1") == doctest::Approx(2.0 / 8));
  CHECK(num(v, "V2") == doctest::Approx(3.0 / 8));
  // per 1,000 followers at posting time: 1,000 before 15 March noon, 1,100 after
  const double p3 = (10 + 0 + 5 + 1 + 2 / 1.1 + 4 / 1.1 + 3 / 1.1 + 0) / 8;
  const double c3 = (2 + 0 + 1 + 0 + 1 / 1.1 + 0 + 0) / 7;
  const double v3 = (1 + 0 + 0 + 0 + 0 + 2 / 1.1 + 0 + 0) / 8;
  CHECK(num(v, "P3") == doctest::Approx(p3));
  CHECK(num(v, "C3") == doctest::Approx(c3));
  CHECK(num(v, "V3") == doctest::Approx(v3));
  CHECK(num(v, "E") == doctest::Approx(p3 + c3 + v3));
  const double wir = (17.0 / 1000 + 0 + 3.0 / 1000 + 2.0 / 1100 + 12.0 / 1100 + 3.0 / 1100 + 0) / 7;
  CHECK(num(v, "weighted_interaction_rate") == doctest::Approx(wir));
  // audience
  CHECK(num(v, "followers_start") == 1000);
  CHECK(num(v, "followers_end") == 1100);
  CHECK(num(v, "followers_growth") == 100);
  CHECK(num(v, "followers_weekly_growth_abs") == doctest::Approx(100 / weeks));
  CHECK(num(v, "followers_weekly_growth_rate") == doctest::Approx(std::pow(1.1, 1 / weeks) - 1));
  CHECK(num(v, "followers_per_1000_inhabitants") == doctest::Approx(22));
  // coverage
  CHECK(num(v, "coverage") == doctest::Approx(1.0));
  CHECK(num(v, "low_coverage") == 0);
}

TEST_CASE("metrics: a municipality's two accounts, one only partly observed") {
  const Options o = berlin();
  const AccountData a = account_a();
  const AccountData b = account_b();
  const Values v = compute({&a, &b}, march(o), o);
  CHECK(num(v, "accounts") == 2);
  CHECK(num(v, "accounts_active") == 2);
  CHECK(num(v, "own_posts") == 10);
  CHECK(num(v, "active_days") == 8);  // B adds 12 March
  // B's history is known from 10 March (incomplete backfill) and polled from the 20th.
  const double b_coverage =
      (743.0 - 9 * 24 - 1) / 743.0;  // known from 10 March 00:00 UTC = 01:00 CET
  CHECK(num(v, "coverage") == doctest::Approx(b_coverage));
  CHECK(num(v, "coverage_mean") == doctest::Approx((1 + b_coverage) / 2));
  CHECK(num(v, "low_coverage") == 1);  // below metrics.min_coverage 0.8
  // B's followers are unknown at the period's start and end: the sum is unknown.
  CHECK(null(v, "followers_start"));
  CHECK(null(v, "followers_growth"));
  // B's post is normalised by B's earliest count (500): P2 and P3 change.
  CHECK(num(v, "P2") == doctest::Approx(32.0 / 9));
  CHECK(num(v, "reply_share") == doctest::Approx(2.0 / 10));
}

TEST_CASE("metrics: empty periods, a future period, and dormancy") {
  const Options o = berlin();
  const AccountData a = account_a();
  // January 2025: no posts. History is complete, so the month is covered.
  const Period jan = split_periods(o.tz.from_local({2025, 1, 1}), o.tz.from_local({2025, 2, 1}),
                                   Granularity::kMonth, o.tz)[0];
  Values v = compute({&a}, jan, o);
  CHECK(num(v, "own_posts") == 0);
  CHECK(num(v, "accounts_active") == 0);
  CHECK(num(v, "posts_per_week") == 0);
  CHECK(num(v, "longest_gap_days") == doctest::Approx(31));
  CHECK(null(v, "reply_share"));
  CHECK(null(v, "share_weekend"));
  CHECK(null(v, "P2"));
  CHECK(null(v, "E"));
  CHECK(null(v, "response_time_median_h"));
  CHECK(null(v, "followers_start"));  // first follower sample: 15 February
  CHECK(num(v, "coverage") == doctest::Approx(1.0));
  CHECK(text(v, "first_activity") == "2023-05-10");
  // A period after "now": nothing has elapsed.
  const Period future = split_periods(o.tz.from_local({2026, 4, 1}), o.tz.from_local({2026, 5, 1}),
                                      Granularity::kMonth, o.tz)[0];
  v = compute({&a}, future, o);
  CHECK(null(v, "posts_per_week"));
  CHECK(null(v, "longest_gap_days"));
  CHECK(num(v, "coverage") == 0);
  CHECK(num(v, "low_coverage") == 1);
  // Dormant: no own post for 90 days before the period end.
  const Period autumn = split_periods(o.tz.from_local({2025, 9, 1}), o.tz.from_local({2025, 10, 1}),
                                      Granularity::kMonth, o.tz)[0];
  AccountData quiet = account_a();
  quiet.last_own_post_before_window = at("2025-03-31T16:30:00Z");
  quiet.posts.clear();
  v = compute({&quiet}, autumn, o);
  CHECK(num(v, "accounts_dormant") == 1);
  CHECK(text(v, "last_activity") == "2025-03-31");
}

TEST_CASE("metrics: never observed is unknown, not zero, and first activity never lies after the period") {
  const Options o = berlin();
  // An account whose history is known only from its first stored post (June
  // 2024; backfill not complete): 2010 was never observed, so every count is
  // unknown, with coverage 0 beside it. (With a complete history, 2010 would
  // be known to be silent: see the January case above.)
  AccountData a = account_a();
  a.account.backfill_state = BackfillState::kPending;
  const Period y2010 = split_periods(o.tz.from_local({2010, 1, 1}), o.tz.from_local({2011, 1, 1}),
                                     Granularity::kNone, o.tz)[0];
  Values v = compute({&a}, y2010, o);
  CHECK(num(v, "coverage") == 0);
  CHECK(num(v, "low_coverage") == 1);
  for (const char* name : {"own_posts", "originals", "posts_per_week", "active_days",
                           "accounts_active", "reply_share", "responses_timed", "E"}) {
    CAPTURE(name);
    CHECK(null(v, name));
  }
  CHECK(num(v, "accounts") == 1);  // configured presence is known
  // The account was created in 2023 and first posted in 2024: no first
  // activity inside (or before the end of) 2010.
  CHECK(null(v, "first_activity"));
  // A municipality of two accounts, one observed: the observed one's counts
  // stand, flagged by low coverage.
  AccountData b = account_a();
  b.spans.clear();
  b.account.backfill_state = BackfillState::kPending;
  b.first_own_post.reset();
  b.posts.clear();
  const Period march = split_periods(o.tz.from_local({2025, 3, 1}), o.tz.from_local({2025, 4, 1}),
                                     Granularity::kMonth, o.tz)[0];
  v = compute({&a, &b}, march, o);
  CHECK(num(v, "own_posts") == 9);
  CHECK(num(v, "low_coverage") == 1);
  v = compute({&b}, march, o);
  CHECK(null(v, "own_posts"));
}

TEST_CASE("metrics: coverage breaks at gaps in polling and before history is known") {
  AccountData a = account_a();
  a.account.backfill_state = BackfillState::kPending;
  a.first_own_post = at("2025-03-01T00:00:00Z");  // history known from here to the first poll
  a.spans = {{at("2025-03-05T00:00:00Z"), at("2025-03-10T00:00:00Z")},
             {at("2025-03-20T00:00:00Z"), at("2025-03-21T00:00:00Z")}};
  a.interval_ms = kHourMs;
  // [1 Mar, 10 Mar] known, 10-20 Mar a gap, [20 Mar, 21 Mar 01:00] known.
  const double c = coverage(a, at("2025-03-01T00:00:00Z"), at("2025-03-31T00:00:00Z"),
                            at("2026-01-01T00:00:00Z"));
  CHECK(c == doctest::Approx((9 * 24.0 + 25.0) / (30 * 24.0)));
  a.spans.clear();
  CHECK(coverage(a, at("2025-03-01T00:00:00Z"), at("2025-03-31T00:00:00Z"),
                 at("2026-01-01T00:00:00Z")) == 0);
}

TEST_CASE("metrics: citizen comments give the service level where a platform shows them") {
  const Options o = berlin();
  AccountData f;
  f.account.platform = "facebook";
  f.platform_shows_comments = true;
  f.comment_sweeps = {{at("2025-03-01T00:00:00Z"), at("2025-04-02T00:00:00Z"), true}};
  f.spans = {{at("2025-01-01T00:00:00Z"), at("2025-12-31T00:00:00Z")}};
  f.account.backfill_state = BackfillState::kComplete;
  f.comments = {{"c1", false, "", at("2025-03-05T10:00:00Z")},
                {"a1", true, "c1", at("2025-03-05T12:30:00Z")},
                {"c2", false, "", at("2025-03-06T10:00:00Z")},
                {"c3", false, "", at("2025-03-07T10:00:00Z")},
                {"a3", true, "c3", at("2025-03-08T10:00:00Z")},
                {"a3b", true, "c3", at("2025-03-09T10:00:00Z")}};
  const Values v = compute({&f}, march(o), o);
  CHECK(num(v, "citizen_comments") == 3);
  CHECK(num(v, "service_level") == doctest::Approx(2.0 / 3));
  CHECK(num(v, "answer_time_median_h") == doctest::Approx((2.5 + 24) / 2));  // first answers only
}

TEST_CASE("metrics: a question is answered when the account posts in its thread, follow-ups are counted apart") {
  // The rule of docs/metrics.md ("Answered"), on YouTube's shape (every
  // reply names the thread) and a nested one (a reply names the comment it
  // answers): citizens talk among themselves before the account answers.
  const Options o = berlin();
  AccountData y;
  y.account.platform = "youtube";
  y.platform_shows_comments = true;
  y.comment_sweeps = {{at("2025-02-01T00:00:00Z"), at("2025-04-02T00:00:00Z"), true},
                      {at("2025-03-04T00:00:00Z"), at("2025-04-02T00:00:00Z"), true}};
  y.spans = {{at("2025-01-01T00:00:00Z"), at("2025-12-31T00:00:00Z")}};
  y.account.backfill_state = BackfillState::kComplete;
  y.comments = {
      // Thread q1: two citizens' follow-ups, then the account, 3 h after the opening.
      {"q1", false, "", at("2025-03-05T10:00:00Z")},
      {"r1", false, "q1", at("2025-03-05T10:30:00Z")},
      {"r2", false, "q1", at("2025-03-05T11:00:00Z")},
      {"a1", true, "q1", at("2025-03-05T13:00:00Z")},
      // Thread q2: a follow-up, never an answer.
      {"q2", false, "", at("2025-03-06T09:00:00Z")},
      {"r3", false, "q2", at("2025-03-06T09:30:00Z")},
      // Thread q3, nested: the account answers a citizen's reply, 26 h after the opening.
      {"q3", false, "", at("2025-03-07T08:00:00Z")},
      {"r4", false, "q3", at("2025-03-07T09:00:00Z")},
      {"a2", true, "r4", at("2025-03-08T10:00:00Z")},
      // The account's own top-level comment is no question.
      {"own", true, "", at("2025-03-09T08:00:00Z")},
      // A question of February is outside the period.
      {"q0", false, "", at("2025-02-20T08:00:00Z")},
  };
  const Values v = compute({&y}, march(o), o);
  CHECK(num(v, "citizen_questions") == 3);
  CHECK(num(v, "citizen_replies") == 4);
  CHECK(num(v, "citizen_comments") == 7);
  CHECK(num(v, "service_level") == doctest::Approx(2.0 / 3));
  CHECK(num(v, "answer_time_median_h") == doctest::Approx((3.0 + 26.0) / 2));
  // Under the old rule (an answer must reply to exactly that comment) a
  // follow-up was an unanswered question: 7 comments, 2 answered.
  AccountData m;  // a platform without comments: unknown, never 0
  m.account.platform = "mastodon";
  m.spans = y.spans;
  const Values none = compute({&m}, march(o), o);
  CHECK(null(none, "citizen_questions"));
  CHECK(null(none, "citizen_replies"));
  CHECK(null(none, "service_level"));
  // YouTube without comments ever read (polled without an API key): unknown.
  AccountData keyless = y;
  keyless.comments.clear();
  for (ItemCommentSweep& s : keyless.comment_sweeps) s.swept_at.reset();
  const Values unread = compute({&keyless}, march(o), o);
  CHECK(null(unread, "citizen_questions"));
  CHECK(null(unread, "service_level"));
  CHECK(num(unread, "comment_coverage") == 0);
  CHECK(std::get<std::string>(unread.at("dialogue_unknown")) ==
        "comments of 2 of 2 items never read for this period");
  // Read, and nobody commented: a real 0.
  for (ItemCommentSweep& s : keyless.comment_sweeps) s.swept_at = at("2025-04-02T00:00:00Z");
  CHECK(num(compute({&keyless}, march(o), o), "citizen_questions") == 0);
}

TEST_CASE("metrics: data loaded from a store gives the same figures") {
  test::TempDir dir;
  auto s = Store::open(dir.file("m.db"), OpenMode::kReadWrite);
  Store& store = **s;
  ConfigLoad load = load_config_from_string(
      "defaults: {contact: t@example.org}\nmunicipalities:\n  - {id: musterstadt, name: M, ags: "
      "\"08231000\", "
      "kind: kreisfreie Stadt, state: BW, population: 50000, accounts: [{platform: mastodon, "
      "handle: a@m.example}]}\n",
      "m.yaml");
  REQUIRE(store.sync_config(*load.config, 1).ok());
  const int64_t id = store.load_accounts(true)->front().id;
  const AccountData a = account_a();
  Page page;
  for (const PostRow& r : a.posts) {
    PostRecord p;
    p.platform_post_id = std::to_string(r.created_at);
    p.created_at = r.created_at;
    p.kind = r.kind;
    p.parent_created_at = r.parent_created_at;
    p.parent_author_id = r.parent_is_other ? "B" : "";
    p.mentions = r.mentions;
    p.engagement = Engagement{r.likes, r.replies, r.reposts, std::nullopt, std::nullopt};
    page.batch.posts.push_back(p);
  }
  PostRecord old;  // the first own post, long before
  old.platform_post_id = "old";
  old.created_at = at("2024-06-01T10:00:00Z");
  page.batch.posts.push_back(old);
  page.backfill_state = BackfillState::kComplete;
  REQUIRE(store.commit_page(id, page, at("2025-02-01T00:00:00Z")).ok());
  for (const auto& f : a.followers) {
    Page snap;
    snap.batch.snapshot = AccountSnapshot{};
    snap.batch.snapshot->followers = f.followers;
    snap.batch.snapshot->created_at = a.account.created_at;
    snap.batch.snapshot->platform_id = "A";
    REQUIRE(store.commit_page(id, snap, f.at).ok());
  }
  for (TimeMs t = at("2025-02-01T00:00:00Z"); t <= at("2025-12-31T00:00:00Z"); t += kHourMs) {
    REQUIRE(store.extend_coverage(id, t, 3 * kHourMs).ok());
  }
  CHECK(store.db().execAndGet("SELECT COUNT(*) FROM coverage_spans").getInt() ==
        1);  // one span, not 8,000 rows
  const Options o = berlin();
  const Period m = march(o);
  auto data = load_account_data(store, *store.load_accounts(true), {{"musterstadt", 50000}},
                                kHourMs, m.start, m.end);
  REQUIRE(data.ok());
  REQUIRE(data->size() == 1);
  const Values loaded = compute({&(*data)[0]}, m, o);
  const Values expected = compute({&a}, m, o);
  for (const auto& [name, value] : expected) {
    CAPTURE(name);
    if (auto x = number_of(value)) {
      REQUIRE(number_of(loaded.at(name)).has_value());
      CHECK(*number_of(loaded.at(name)) == doctest::Approx(*x));
    } else {
      CHECK(loaded.at(name) == value);
    }
  }
}

TEST_CASE("metrics: comment coverage counts an item read only when its reading covers the period") {
  // docs/metrics.md, "Comment coverage": items created before the period's
  // end, read completely after it ended (or, for a running period, within
  // the re-sweep tolerance of now). Partial readings do not count.
  Options o = berlin();  // now: 2026-01-01
  AccountData y;
  y.account.platform = "youtube";
  y.platform_shows_comments = true;
  y.spans = {{at("2025-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z")}};
  y.account.backfill_state = BackfillState::kComplete;
  y.comment_sweeps = {
      {at("2024-06-01T00:00:00Z"), at("2025-04-05T00:00:00Z"), true},   // read after March
      {at("2025-02-01T00:00:00Z"), at("2025-03-20T00:00:00Z"), true},   // read during March
      {at("2025-03-10T00:00:00Z"), at("2025-04-05T00:00:00Z"), false},  // partial
      {at("2025-03-15T00:00:00Z"), std::nullopt, false},                // never read
      {at("2025-05-01T00:00:00Z"), std::nullopt, false},                // after March
  };
  Values v = compute({&y}, march(o), o);
  CHECK(num(v, "comment_coverage") == doctest::Approx(1.0 / 4));
  CHECK(null(v, "service_level"));
  CHECK(std::get<std::string>(v.at("dialogue_unknown")) ==
        "comments of 3 of 4 items never read for this period");
  // Every item read completely after March: known.
  for (ItemCommentSweep& s : y.comment_sweeps) {
    s.swept_at = at("2025-04-05T00:00:00Z");
    s.complete = true;
  }
  v = compute({&y}, march(o), o);
  CHECK(num(v, "comment_coverage") == 1);
  CHECK(num(v, "citizen_questions") == 0);
  CHECK(null(v, "dialogue_unknown"));
  // A period still running (now: 20 March 2025): readings of the last 31
  // days count, older ones do not.
  o.now = at("2025-03-20T00:00:00Z");
  y.spans = {{at("2025-01-01T00:00:00Z"), at("2025-03-20T00:00:00Z")}};
  y.comment_sweeps = {{at("2024-06-01T00:00:00Z"), at("2025-03-01T00:00:00Z"), true},
                      {at("2024-07-01T00:00:00Z"), at("2025-01-15T00:00:00Z"), true}};
  v = compute({&y}, march(o), o);
  CHECK(num(v, "comment_coverage") == doctest::Approx(0.5));
  // A platform without comments: no coverage figure, and the reason.
  AccountData m;
  m.account.platform = "mastodon";
  m.spans = y.spans;
  v = compute({&m}, march(o), o);
  CHECK(null(v, "comment_coverage"));
  CHECK(std::get<std::string>(v.at("dialogue_unknown")) == "the platform shows no comments");
}
