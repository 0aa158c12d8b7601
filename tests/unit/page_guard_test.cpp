// The page guard (src/engine/page_guard.h): every page of every connector
// passes it before the store. Cases named "(finding N)" or "(issue #20, N)"
// are regression tests for the findings listed in docs/reliability.md.
#include <doctest/doctest.h>

#include <limits>

#include "core/json.h"
#include "core/strings.h"
#include "engine/page_guard.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;

namespace {

PostRecord post(const std::string& id, TimeMs created) {
  PostRecord p;
  p.platform_post_id = id;
  p.created_at = created;
  p.text = "t";
  return p;
}

}  // namespace

TEST_CASE("page guard: absurd counts are unknown, never wrong numbers (finding 5)") {
  // Found: favourites_count 1e300 stored as INT64_MIN (UB), 2^64-1 as -1, -5 as -5.
  auto doc = parse_json(
      R"({"a": 1e300, "b": 18446744073709551615, "c": -5, "d": 12, "e": "34", "f": 1.5, "g": "x1"})");
  REQUIRE(doc.ok());
  CHECK(json_int(**doc, "a") == std::numeric_limits<int64_t>::max());  // saturated, not UB
  CHECK(json_int(**doc, "b") == std::numeric_limits<int64_t>::max());  // not -1
  CHECK(json_int(**doc, "c") == -5);
  CHECK_FALSE(json_int(**doc, "f").has_value());
  CHECK(json_count(**doc, "e") == 34);  // YouTube sends counts as strings
  CHECK_FALSE(json_count(**doc, "g").has_value());

  Page page;
  PostRecord p = post("1", at("2026-01-01T00:00:00Z"));
  p.engagement.likes = json_int(**doc, "a");
  p.engagement.reposts = json_int(**doc, "b");
  p.engagement.replies = json_int(**doc, "c");
  p.engagement.quotes = json_int(**doc, "d");
  page.batch.posts.push_back(p);
  AccountSnapshot snap;
  snap.followers = -1;
  snap.posts = 1200;
  page.batch.snapshot = snap;
  const PageAudit audit = guard_page(page, at("2016-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z"));
  const PostRecord& g = page.batch.posts[0];
  CHECK_FALSE(g.engagement.likes.has_value());
  CHECK_FALSE(g.engagement.reposts.has_value());
  CHECK_FALSE(g.engagement.replies.has_value());
  CHECK(g.engagement.quotes == 12);
  CHECK((g.quality & kQualityCountsRejected) != 0);
  CHECK_FALSE(page.batch.snapshot->followers.has_value());
  CHECK(page.batch.snapshot->posts == 1200);
  CHECK(audit.counts_rejected == 4);
  CHECK(audit.summary().find("out of range") != std::string::npos);
}

TEST_CASE(
    "page guard: implausible dates are corrected from evidence, or the post is skipped (finding "
    "7)") {
  const TimeMs now = at("2026-06-01T00:00:00Z");
  const TimeMs earliest = at("2016-01-01T00:00:00Z");  // Mastodon
  Page page;
  PostRecord epoch = post("a", 0);  // 1970-01-01
  epoch.created_at_evidence = at("2024-03-01T10:00:00Z");
  PostRecord ancient = post("b", at("0001-01-01T00:00:00Z"));
  ancient.created_at_evidence = at("2025-01-01T00:00:00Z");
  PostRecord future = post("c", at("2100-01-01T00:00:00Z"));  // no evidence: skipped
  PostRecord fine = post("d", at("2026-05-01T00:00:00Z"));
  fine.parent_created_at = at("1970-01-01T00:00:00Z");  // a parent date that cannot be
  fine.edited_at = at("2100-01-01T00:00:00Z");
  page.batch.posts = {epoch, ancient, future, fine};
  const PageAudit audit = guard_page(page, earliest, now);
  REQUIRE(page.batch.posts.size() == 3);
  CHECK(page.batch.posts[0].created_at == at("2024-03-01T10:00:00Z"));
  CHECK((page.batch.posts[0].quality & kQualityDateCorrected) != 0);
  CHECK(page.batch.posts[1].created_at == at("2025-01-01T00:00:00Z"));
  CHECK(page.batch.posts[2].platform_post_id == "d");
  CHECK_FALSE(page.batch.posts[2].parent_created_at.has_value());
  CHECK_FALSE(page.batch.posts[2].edited_at.has_value());
  REQUIRE(audit.skipped.size() == 1);
  CHECK(audit.skipped[0].id == "c");
  CHECK(audit.dates_corrected == 2);
  // A profile claiming creation in 1970 keeps an unknown creation date.
  Page profile;
  AccountSnapshot s;
  s.created_at = 0;
  profile.batch.snapshot = s;
  (void)guard_page(profile, earliest, now);
  CHECK_FALSE(profile.batch.snapshot->created_at.has_value());
}

TEST_CASE("page guard: a post repeated within one page is stored once, the later reading kept") {
  Page page;
  PostRecord a = post("x", at("2026-01-01T00:00:00Z"));
  a.engagement.likes = 1;
  PostRecord b = a;
  b.engagement.likes = 2;
  page.batch.posts = {a, post("y", at("2026-01-01T00:00:00Z")), b};
  const PageAudit audit = guard_page(page, 0, at("2026-02-01T00:00:00Z"));
  REQUIRE(page.batch.posts.size() == 2);
  CHECK(page.batch.posts[0].engagement.likes == 2);
  CHECK(audit.duplicates_merged == 1);
}

TEST_CASE(
    "page guard: every count saturates instead of overflowing, and the guard checks them all "
    "(issue #20, 8)") {
  // Found: a 19- or 20-digit count string overflowed in json_count (signed
  // overflow, undefined behaviour) and stored -8446744073709551617-like
  // values; comment likes and the channel's views counter bypassed the guard.
  CHECK(parse_count("12") == 12);
  CHECK(parse_count(" +7 ") == 7);
  CHECK(parse_count("-5") == -5);
  CHECK(parse_count("9223372036854775807") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("9223372036854775808") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("9999999999999999999") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("18446744073709551617") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("-18446744073709551617") == std::numeric_limits<int64_t>::min());
  CHECK_FALSE(parse_count("").has_value());
  CHECK_FALSE(parse_count("-").has_value());
  CHECK_FALSE(parse_count("12k").has_value());
  CHECK_FALSE(parse_count("1e3").has_value());
  auto doc =
      parse_json(R"({"a":"9999999999999999999","b":"18446744073709551617","c":"-5","d":"42",)"
                 R"("e":18446744073709551617,"f":-8446744073709551617})");
  REQUIRE(doc.ok());
  CHECK(json_count(**doc, "a") == std::numeric_limits<int64_t>::max());
  CHECK(json_count(**doc, "b") == std::numeric_limits<int64_t>::max());
  CHECK(json_count(**doc, "c") == -5);
  CHECK(json_count(**doc, "d") == 42);
  CHECK(json_count(**doc, "e") == std::numeric_limits<int64_t>::max());
  CHECK(json_count(**doc, "f").value() < 0);

  // The guard turns each of them into unknown: comment likes, profile counts
  // and further account counters alike.
  const TimeMs now = at("2026-02-01T00:00:00Z");
  Page page;
  AccountSnapshot snap;
  snap.followers = -1;
  snap.posts = std::numeric_limits<int64_t>::max();
  snap.counters.push_back({"views", json_count(**doc, "f"), CountPrecision::kExact});
  snap.counters.push_back({"fans", 12, CountPrecision::kExact});
  page.batch.snapshot = snap;
  for (const std::optional<int64_t>& likes :
       {std::optional<int64_t>(-5), json_count(**doc, "a"), std::optional<int64_t>(3)}) {
    CommentRecord c;
    c.platform_comment_id = "c" + std::to_string(page.batch.comments.size());
    c.on_post_id = "v1";
    c.created_at = now - kHourMs;
    c.likes = likes;
    page.batch.comments.push_back(c);
  }
  const PageAudit audit = guard_page(page, at("2005-01-01T00:00:00Z"), now);
  CHECK(audit.counts_rejected == 5);
  CHECK_FALSE(page.batch.snapshot->followers.has_value());
  CHECK_FALSE(page.batch.snapshot->posts.has_value());
  CHECK_FALSE(page.batch.snapshot->counters[0].value.has_value());
  CHECK(page.batch.snapshot->counters[1].value == 12);
  REQUIRE(page.batch.comments.size() == 3);
  CHECK_FALSE(page.batch.comments[0].likes.has_value());
  CHECK_FALSE(page.batch.comments[1].likes.has_value());
  CHECK(page.batch.comments[2].likes == 3);
}

TEST_CASE("page guard: a post that cannot be kept is counted once, as skipped (issue #22, 5)") {
  const TimeMs now = at("2026-02-01T00:00:00Z");
  Page page;
  for (int i = 0; i < 40; ++i) {
    PostRecord p;
    p.platform_post_id = std::to_string(i);
    p.created_at = at("9999-12-31T00:00:00Z");
    if (i < 5) p.parent_created_at = at("0001-01-01T00:00:00Z");
    if (i < 3) p.engagement.likes = -5;
    page.batch.posts.push_back(p);
  }
  const PageAudit audit = guard_page(page, at("2016-01-01T00:00:00Z"), now);
  CHECK(audit.skipped.size() == 40);
  CHECK(audit.dates_dropped == 0);
  CHECK(audit.counts_rejected == 0);
  CHECK(audit.summary() == "40 item(s) skipped");
}
