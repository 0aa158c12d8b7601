// End to end: `muniscope poll --once` (the real binary) against two loopback
// Discourse forums: a city's participation forum read as a whole, and one
// category of a district's forum. The whole history by pages (backfill over
// two pages below the first), new topics on the next run, a topic longer
// than 20 posts (the rest through posts.json?post_ids[]=), citizens who talk
// among themselves before the city's staff answer, staff by username, by
// group and by Discourse's own flags, a whisper and a hidden post by staff
// that are never answers, a deleted post, and both 429 shapes (the per-IP
// limiter's text and the application's JSON). The dialogue figures follow
// the answered rule (docs/metrics.md).
#include <doctest/doctest.h>

#include <algorithm>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_discourse.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

int64_t topics_of(Store& s, const std::string& handle_part) {
  return scalar(s,
                "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                "a.handle LIKE '%" +
                    handle_part + "' AND p.deleted_at IS NULL");
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
    "e2e: Discourse history, new topics, long topics and staff answers under the answered "
    "rule") {
  const TimeMs now = SystemClock().now();
  FakeDiscourse forum;
  LoopbackServer forum_server([&](const HttpRequest& r) { return forum.handle(r); });
  forum.set_base_url(forum_server.base_url());
  FakeDiscourse kreis;
  LoopbackServer kreis_server([&](const HttpRequest& r) { return kreis.handle(r); });
  kreis.set_base_url(kreis_server.base_url());

  // 80 older topics over a year (three list pages: backfill reads two).
  for (int i = 0; i < 80; ++i)
    forum.add_topic("Altes Thema " + std::to_string(i), "buerger" + std::to_string(i % 9),
                    now - 360 * kDayMs + i * 4 * kDayMs);
  forum.add_group("stadtverwaltung", {"tiefbau_schmidt"});
  forum.set_site_staff("admin_agentur");

  // A citizen's question; citizens talk it over for 23 posts (post 10
  // answers post 9, and so on), then the city's press office answers at
  // post 25, 6 hours after the opening: a topic longer than 20 posts.
  const int64_t laerm = forum.add_topic("Lärmschutz B27", "buergerin_anna", now - 30 * kHourMs);
  for (int n = 2; n <= 24; ++n)
    forum.add_post(laerm, n % 2 ? "nachbar_bernd" : "carla_k",
                   now - 30 * kHourMs + n * 10 * kMinuteMs, n - 1);
  forum.add_post(laerm, "stadt_pressestelle", now - 24 * kHourMs, 10);
  // A second question: a moderator whispers and a staff member's post is
  // hidden: neither answers it; a citizen does, and a deleted post is gone.
  const int64_t spiel = forum.add_topic("Spielplatz Nord", "dieter", now - 20 * kHourMs);
  forum.add_post(spiel, "admin_agentur", now - 19 * kHourMs, 1, 4);
  forum.add_post(spiel, "stadt_pressestelle", now - 18 * kHourMs, 1, 1, true);
  forum.add_post(spiel, "eva", now - 17 * kHourMs, 1);
  const int64_t gone = forum.add_post(spiel, "troll", now - 16 * kHourMs, 1);
  forum.delete_post(gone);
  // A third question, answered by a group member after 2 hours.
  const int64_t radweg = forum.add_topic("Radweg", "frank", now - 10 * kHourMs);
  forum.add_post(radweg, "tiefbau_schmidt", now - 8 * kHourMs, 1);
  // The city's own announcement is no question; citizens' replies are
  // follow-ups.
  const int64_t info =
      forum.add_topic("Bürgerversammlung", "stadt_pressestelle", now - 5 * kHourMs);
  forum.add_post(info, "gerda", now - 4 * kHourMs, 1);

  // The district's forum: only its category 7 is configured.
  for (int i = 0; i < 4; ++i) kreis.add_topic("Kreisthema", "anwohner", now - (10 - i) * kDayMs, 7);
  kreis.add_topic("Anderswo", "anwohner", now - 2 * kDayMs, 9);

  // Both 429 shapes on the city's forum, one each, with Retry-After 1.
  forum.throttle(1, false);

  TempDir dir;
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             "platforms:\n  discourse:\n    staff_usernames: \"stadt_pressestelle\"\n"
             "    staff_groups: \"stadtverwaltung\"\n"
             // The fakes have no limit of their own; Discourse's polite
             // default (25 per 10 s) would make the comment backfill of 90
             // topics take a minute of test time.
             "    rate_limit: {requests: 1000, per: 10s}\n"
             "municipalities:\n"
             "  - id: stadt\n    name: Stadt D\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: discourse, handle: \"" +
                 forum_server.base_url() +
                 "/latest\"}\n"
                 "  - id: kreis\n    name: Kreis D\n    ags: \"08111000\"\n"
                 "    kind: Landkreis\n    state: BW\n    accounts:\n"
                 "      - {platform: discourse, handle: \"" +
                 kreis_server.base_url() + "/c/beteiligung/7\"}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. From scratch: every topic, counts, and every topic's posts.
  auto r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(forum.calls("throttled") == 1);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(topics_of(*store, forum_server.base_url().substr(7) + "/") == 84);
    CHECK(topics_of(*store, "/c/beteiligung/7") == 4);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM accounts WHERE platform = 'discourse' AND "
                 "backfill_state = 'complete'") == 2);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE item_type <> 'topic'") == 0);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE views IS NULL OR likes IS NULL") == 0);
    CHECK(scalar(*store, "SELECT replies FROM posts WHERE platform_post_id = '" +
                             std::to_string(laerm) + "'") == 24);
    // All 25 posts of the long topic, the rest through posts.json.
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE on_post_id = '" +
                     std::to_string(laerm) + "'") == 25);
    CHECK(forum.calls("posts") >= 1);
    // No whisper, no hidden post, no deleted post.
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE on_post_id = '" +
                     std::to_string(spiel) + "'") == 2);
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE by_account = 1") ==
          3);
  }

  // 2. Two new topics (and the application's JSON 429 once): the next run
  // reads them from the top of the list.
  forum.add_topic("Neu 1", "hans", now - kHourMs);
  forum.add_topic("Neu 2", "ida", now - 30 * kMinuteMs);
  const int64_t lists = forum.calls("list");
  forum.throttle(1, true);
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(forum.calls("throttled") == 2);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(topics_of(*store, forum_server.base_url().substr(7) + "/") == 86);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM (SELECT account_id, platform_post_id FROM posts "
                 "GROUP BY account_id, platform_post_id HAVING COUNT(*) > 1)") == 0);
  }
  CHECK(forum.calls("list") - lists <= 8);  // the newest page (and a refresh)

  // 3. The dialogue over the year: 85 citizen questions (the 80 older
  // topics, the three above and the two new ones), two answered (after 6
  // and 2 hours); 25 follow-ups by citizens (23 in the long topic, one
  // each under the second question and the city's announcement).
  auto m = run_muniscope("metrics --format csv -c " + dir.file("muniscope.yaml") + " --db " +
                         dir.file("s.db"));
  REQUIRE_MESSAGE(m.exit_code == 0, m.err);
  INFO(m.out);
  CHECK(metric(m.out, "stadt", "citizen_questions") == "85");
  CHECK(metric(m.out, "stadt", "citizen_replies") == "25");
  CHECK(std::stod(metric(m.out, "stadt", "service_level")) == doctest::Approx(2.0 / 85));
  CHECK(std::stod(metric(m.out, "stadt", "answer_time_median_h")) == doctest::Approx(4.0));
}
