// End to end: `muniscope poll --once` (the real binary) against two
// loopback Lemmy instances, one on 0.19 (page numbers, 0.19's field names)
// and one on 1.0 (page cursors, 1.0's names). A municipal community with
// staff persons is read back to its first post over several backfill pages
// (a pinned welcome post on top), new posts on the next run, and every
// post's comments: a citizen's post where citizens talk three levels deep
// before the press office answers, a staff post with an unanswered
// question, a deleted and a removed comment. A mayor's person account on
// the other instance: posts and comments, its own answer on its post. The
// second run meets a rate-limit refusal on each instance, in both shapes
// (0.19's 400 rate_limit_error and a 429), and still ends with everything.
// The dialogue figures follow the answered rule (docs/metrics.md).
#include <doctest/doctest.h>

#include <algorithm>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_lemmy.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

int64_t items_of(Store& s, const std::string& handle_part, const std::string& type = "") {
  return scalar(s,
                "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                "a.handle LIKE '%" +
                    handle_part + "' AND p.deleted_at IS NULL" +
                    (type.empty() ? "" : " AND p.item_type = '" + type + "'"));
}

std::string metric(const std::string& csv, const std::string& municipality,
                   const std::string& name) {
  const auto lines = split(csv, '\n');
  if (lines.empty()) return "<no output>";
  const auto header = split(lines[0], ',');
  const auto col = std::find(header.begin(), header.end(), name) - header.begin();
  if (static_cast<size_t>(col) >= header.size()) return "<no column " + name + ">";
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto row = split(lines[i], ',');
    if (!row.empty() && row[0] == municipality && static_cast<size_t>(col) < row.size())
      return std::string(trim(row[col]));
  }
  return "<no row " + municipality + ">";
}

}  // namespace

TEST_CASE(
    "e2e: Lemmy community and person, history, threads under the answered rule, both rate-limit "
    "refusals") {
  const TimeMs now = SystemClock().now();
  FakeLemmy city;
  LoopbackServer city_server([&](const HttpRequest& r) { return city.handle(r); });
  city.set_base_url(city_server.base_url());
  FakeLemmy other;
  LoopbackServer other_server([&](const HttpRequest& r) { return other.handle(r); });
  other.set_base_url(other_server.base_url());
  other.set_version("1.0.0");

  city.add_community("rathaus", 1204);
  // A pinned welcome post, then 120 posts of the press office over 200
  // days: three pages of 50 (backfill reads two).
  city.add_post("rathaus", "presse", now - 300 * kDayMs, true);
  for (int i = 0; i < 120; ++i)
    city.add_post("rathaus", "presse", now - 200 * kDayMs + i * kDayMs + i * kMinuteMs);
  // A citizen asks in a post of her own; citizens talk it over three levels
  // deep, then the press office answers below them (after 5 hours).
  const std::string q = city.add_post("rathaus", "buergerin", now - 30 * kHourMs);
  const std::string c1 = city.add_comment(q, "nachbar@andere.example", now - 29 * kHourMs);
  const std::string c2 = city.add_comment(q, "buergerin", now - 28 * kHourMs, c1);
  const std::string c3 = city.add_comment(q, "nachbar@andere.example", now - 27 * kHourMs, c2);
  city.add_comment(q, "presse", now - 25 * kHourMs, c3);
  // Under the press office's own post: a question nobody from the city
  // answers (a citizen does), a comment deleted with a reply below it, and
  // one removed by a moderator.
  const std::string s = city.add_post("rathaus", "presse", now - 20 * kHourMs);
  const std::string carla = city.add_comment(s, "carla", now - 19 * kHourMs);
  city.add_comment(s, "dieter", now - 18 * kHourMs, carla);
  const std::string eve = city.add_comment(s, "eve", now - 10 * kHourMs);
  city.add_comment(s, "frank", now - 9 * kHourMs, eve);
  city.delete_comment(eve);
  const std::string troll = city.add_comment(s, "troll", now - 8 * kHourMs);
  city.remove_comment(troll);

  // The mayor on a 1.0 instance: three posts, 60 comments on a citizen's
  // post (two pages of the person's comments), and an answer on her own.
  other.add_community("kreisforum", 88);
  std::vector<std::string> mayor_posts;
  for (int i = 0; i < 3; ++i)
    mayor_posts.push_back(other.add_post("kreisforum", "landraetin", now - (40 - i * 10) * kDayMs));
  const std::string otto = other.add_post("kreisforum", "otto", now - 60 * kDayMs);
  for (int i = 0; i < 60; ++i)
    other.add_comment(otto, "landraetin", now - 59 * kDayMs + i * 12 * kHourMs);
  const std::string anna = other.add_comment(mayor_posts[2], "anna", now - 12 * kHourMs);
  other.add_comment(mayor_posts[2], "landraetin", now - 11 * kHourMs, anna);

  TempDir dir;
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             // The fake instances have no limit of their own; a short
             // window and hold keep the refusals' waits short in test time.
             "platforms:\n  lemmy:\n    rate_limit: {requests: 1000, per: 2s}\n"
             "    rate_limit_wait: 1s\n"
             "    staff_persons: \"presse\"\n"
             "municipalities:\n"
             "  - id: stadt\n    name: Stadt L\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: lemmy, handle: \"" +
                 city_server.base_url() +
                 "/c/rathaus\"}\n"
                 "  - id: kreis\n    name: Kreis L\n    ags: \"08111000\"\n"
                 "    kind: Landkreis\n    state: BW\n    accounts:\n"
                 "      - {platform: lemmy, handle: \"" +
                 other_server.base_url() + "/u/landraetin\"}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. From scratch: the whole history, counts and every post's comments.
  auto r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(items_of(*store, "/c/rathaus") == 123);
    CHECK(items_of(*store, "/u/landraetin", "post") == 3);
    CHECK(items_of(*store, "/u/landraetin", "comment") == 61);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM accounts WHERE platform = 'lemmy' AND "
                 "backfill_state = 'complete'") == 2);
    CHECK(scalar(*store,
                 "SELECT MAX(followers) FROM account_samples s JOIN accounts a ON a.id = "
                 "s.account_id WHERE a.handle LIKE '%/c/rathaus'") == 1204);
    // The citizen's post: its opening and four comments, the deepest the
    // press office's answer, three levels below the first.
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE "
                 "on_post_id = '" +
                     q + "'") == 5);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE platform_comment_id = 'post:" + q +
                             "' AND by_account = 0") == 1);
    // The staff post: carla, dieter, frank; neither the deleted nor the
    // removed comment is stored.
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE "
                 "on_post_id = '" +
                     s + "'") == 3);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE platform_comment_id IN ('" + eve +
                             "', '" + troll + "')") == 0);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE by_account = 1") == 2);
    // Every post's comments were read completely.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                 "a.handle LIKE '%/c/rathaus' AND p.deleted_at IS NULL AND "
                 "(p.comments_swept_at IS NULL OR p.comments_sweep <> 'complete')") == 0);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM account_events WHERE kind = 'instance_version' "
                 "AND detail LIKE '%1.0.0%'") == 1);
  }
  const int64_t site_calls = city.calls("site") + other.calls("site");
  CHECK(site_calls == 2);  // once per account

  // 2. New posts, and each instance refuses once for its rate limit: 0.19
  // with 400 rate_limit_error, 1.0 with a 429. The hosts are held, and the
  // run still ends with everything.
  const std::string fresh = city.add_post("rathaus", "presse", now - kHourMs);
  other.add_post("kreisforum", "landraetin", now - 30 * kMinuteMs);
  city.refuse_next(1, false);
  other.refuse_next(1, true);
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(city.calls("refused") == 1);
  CHECK(other.calls("refused") == 1);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(items_of(*store, "/c/rathaus") == 124);
    CHECK(items_of(*store, "/u/landraetin", "post") == 4);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM poll_log WHERE outcome = 'rate_limited' AND "
                 "error LIKE '%rate_limit_error%'") >= 1);
    INFO(store->db()
             .execAndGet("SELECT group_concat(work || ' ' || outcome || ' ' || "
                         "COALESCE(http_status, '-') || ' ' || COALESCE(error, ''), ' | ') "
                         "FROM poll_log WHERE outcome <> 'ok'")
             .getString());
    // The 400 ends its unit as rate-limited (and is no error); the engine
    // waits out the 429 within the unit itself and sends the request again.
    CHECK(scalar(*store, "SELECT COUNT(*) FROM poll_log WHERE outcome = 'rate_limited'") == 1);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM poll_log WHERE outcome NOT IN ('ok', "
                 "'rate_limited', 'not_modified')") == 0);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM (SELECT account_id, platform_post_id FROM posts "
                 "GROUP BY account_id, platform_post_id HAVING COUNT(*) > 1)") == 0);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM accounts WHERE platform = 'lemmy' AND state = 'ok'") == 2);
  }
  CHECK(city.calls("site") + other.calls("site") == site_calls);  // read once, kept
  (void)fresh;

  // 3. The dialogue: in the city, the citizen's post (answered after 5
  // hours) and carla's question (not answered); five follow-ups by
  // citizens. In the district, anna's question answered after an hour.
  auto m = run_muniscope("metrics --format csv -c " + dir.file("muniscope.yaml") + " --db " +
                         dir.file("s.db"));
  REQUIRE_MESSAGE(m.exit_code == 0, m.err);
  INFO(m.out);
  CHECK(metric(m.out, "stadt", "citizen_questions") == "2");
  CHECK(metric(m.out, "stadt", "citizen_replies") == "5");
  CHECK(std::stod(metric(m.out, "stadt", "service_level")) == doctest::Approx(0.5));
  CHECK(std::stod(metric(m.out, "stadt", "answer_time_median_h")) == doctest::Approx(5.0));
  CHECK(metric(m.out, "kreis", "citizen_questions") == "1");
  CHECK(std::stod(metric(m.out, "kreis", "answer_time_median_h")) == doctest::Approx(1.0));
}
