// End to end: `muniscope poll --once` (the real binary) against loopback
// WordPress sites (tests/support/fake_wordpress.h): the whole history
// through the REST API's posts listing, new posts on the next run (one page,
// then a catch-up of more than a page), comments with a thread where
// citizens talk among themselves before the site answers (by a post
// author's user id, and by a configured staff name), a post with comments
// closed, a recent post deleted on the site, a site without pretty
// permalinks (?rest_route=), and sites whose
// REST API is off (a login required, the routes removed), read through
// their feed with the reason in the history note.
#include <doctest/doctest.h>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_wordpress.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

std::string text(Store& s, const std::string& sql) {
  auto q = s.db().execAndGet(sql);
  return q.isNull() ? "" : q.getString();
}

int64_t posts_of(Store& s, const std::string& handle) {
  return scalar(s,
                "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                "a.handle = '" +
                    handle + "' AND p.deleted_at IS NULL");
}

std::string account_of(Store& s, const std::string& handle, const std::string& column) {
  return text(s, "SELECT " + column + " FROM accounts WHERE handle = '" + handle + "'");
}

}  // namespace

TEST_CASE("e2e: WordPress history, new posts, comments with staff answers, REST off read by feed") {
  const TimeMs now = SystemClock().now();
  FakeWordPress stadt;    // REST API on, pretty permalinks
  FakeWordPress plain;    // no pretty permalinks: /?rest_route=
  FakeWordPress closed;   // a login required for the REST API
  FakeWordPress removed;  // the routes removed
  LoopbackServer stadt_server([&](const HttpRequest& r) { return stadt.handle(r); });
  LoopbackServer plain_server([&](const HttpRequest& r) { return plain.handle(r); });
  LoopbackServer closed_server([&](const HttpRequest& r) { return closed.handle(r); });
  LoopbackServer removed_server([&](const HttpRequest& r) { return removed.handle(r); });
  stadt.set_site(stadt_server.base_url());
  plain.set_site(plain_server.base_url());
  closed.set_site(closed_server.base_url());
  removed.set_site(removed_server.base_url());
  plain.set_pretty_permalinks(false);
  closed.set_rest(FakeWordPress::Rest::kLoginRequired);
  removed.set_rest(FakeWordPress::Rest::kNoRoute);

  // 250 posts over two years by two editors (user ids 2 and 3).
  int recent = 0;
  for (int i = 0; i < 250; ++i)
    recent = stadt.add_post(now - (250 - i) * 3 * kDayMs + 2 * kHourMs, i % 2 == 0 ? 2 : 3);
  const int no_comments = stadt.add_post(now - 2 * kDayMs, 3, /*comments_open=*/false);
  // Citizens talk among themselves before the site answers in the thread.
  const int q1 = stadt.add_comment(recent, now - 5 * kDayMs, 0, "Erika Mustermann");
  const int f1 = stadt.add_comment(recent, now - 5 * kDayMs + kHourMs, 0, "Max Muster", q1);
  const int f2 =
      stadt.add_comment(recent, now - 5 * kDayMs + 2 * kHourMs, 0, "Erika Mustermann", f1);
  stadt.add_comment(recent, now - 4 * kDayMs, 3, "Stadt Musterstadt", f2);  // a post author
  const int q2 = stadt.add_comment(recent, now - 4 * kDayMs, 0, "Hans Meier");
  stadt.add_comment(recent, now - 3 * kDayMs, 0, "Pressestelle", q2);  // a configured name
  stadt.add_comment(recent, now - 3 * kDayMs, 0, "Lisa Lustig");       // unanswered
  for (int i = 0; i < 12; ++i) plain.add_post(now - (12 - i) * kDayMs, 1);
  for (int i = 0; i < 14; ++i) closed.add_post(now - (14 - i) * kDayMs, 1);
  for (int i = 0; i < 4; ++i) removed.add_post(now - (4 - i) * kDayMs, 1);

  TempDir dir;
  const std::string a = stadt_server.base_url();
  const std::string b = plain_server.base_url();
  const std::string c = closed_server.base_url();
  const std::string d = removed_server.base_url();
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             // The fake sites have no limit of their own; the polite default
             // (60 requests a minute) would make the comment backfill of
             // 170 posts wait minutes of test time.
             "platforms:\n  wordpress:\n    staff_names: \"Pressestelle\"\n"
             "    rate_limit: {requests: 1000, per: 10s}\n"
             "municipalities:\n"
             "  - id: stadta\n    name: Stadt A\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: wordpress, handle: \"" +
                 a +
                 "/\", role: press}\n"
                 "      - {platform: wordpress, handle: \"" +
                 b +
                 "\"}\n"
                 "  - id: gemeindeb\n    name: Gemeinde B\n    ags: \"08111000\"\n"
                 "    kind: Gemeinde\n    state: BW\n    accounts:\n"
                 "      - {platform: wordpress, handle: \"" +
                 c +
                 "\"}\n"
                 "      - {platform: wordpress, handle: \"" +
                 d + "/wp-json/\"}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. From scratch: the whole history, the comments, the feeds.
  auto r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, a) == 251);
    CHECK(account_of(*store, a, "backfill_state") == "complete");
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id "
                 "WHERE a.handle = '" +
                     a + "' AND p.item_type <> 'article'") == 0);
    // Times are UTC (date_gmt), not the site's local time an hour ahead.
    CHECK(scalar(*store, "SELECT created_at FROM posts WHERE platform_post_id = '" +
                             std::to_string(no_comments) + "'") ==
          (now - 2 * kDayMs) / 1000 * 1000);
    // The thread: 7 comments, 2 of them the site's answers.
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE on_post_id = '" +
                             std::to_string(recent) + "'") == 7);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE by_account = 1") == 2);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE reply_to_comment_id = '" +
                             std::to_string(f2) + "' AND by_account = 1") == 1);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE reply_to_comment_id = '" +
                             std::to_string(q1) + "' AND by_account = 0") == 1);
    // Comment counts from the refresh: known, and 0 where there is none.
    CHECK(scalar(*store, "SELECT replies FROM posts WHERE platform_post_id = '" +
                             std::to_string(recent) + "'") == 7);
    CHECK(scalar(*store, "SELECT replies FROM posts WHERE platform_post_id = '" +
                             std::to_string(no_comments) + "'") == 0);
    // Likes and views: WordPress has none; unknown, never 0.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts WHERE likes IS NOT NULL OR views IS NOT "
                 "NULL") == 0);
    if (scalar(*store,
               "SELECT COUNT(*) FROM pragma_table_info('posts') WHERE name = "
               "'comments_sweep'") == 1) {
      CHECK(text(*store, "SELECT comments_sweep FROM posts WHERE platform_post_id = '" +
                             std::to_string(no_comments) + "'") == "disabled");
      CHECK(text(*store, "SELECT comments_sweep FROM posts WHERE platform_post_id = '" +
                             std::to_string(recent) + "'") == "complete");
    }
    // No /wp-json/: read through ?rest_route=, the whole history.
    CHECK(posts_of(*store, b) == 12);
    CHECK(account_of(*store, b, "backfill_state") == "complete");
    // REST off: the feed's newest 10, and the note says why.
    CHECK(posts_of(*store, c) == 10);
    CHECK(account_of(*store, c, "backfill_state") == "incomplete");
    CHECK(account_of(*store, c, "history_note")
              .find("REST API is off (HTTP 401 rest_not_logged_in") != std::string::npos);
    CHECK(posts_of(*store, d) == 4);
    CHECK(account_of(*store, d, "history_note").find("rest_no_route") != std::string::npos);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM account_events WHERE kind = 'rest_api_off'") == 2);
    // The feed's entries are the API's items: keyed by the post id.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id "
                 "WHERE a.handle = '" +
                     c +
                     "' AND p.platform_post_id GLOB '[0-9]*' AND "
                     "p.platform_post_id NOT GLOB '*[^0-9]*'") == 10);
  }
  CHECK(closed.requests("feed") == 1);
  CHECK(plain.requests("posts") >= 1);
  const int64_t posts_requests = stadt.requests("posts");
  CHECK(posts_requests <= 4);  // the first page and two backfill pages (and no more)

  // 2. Three new posts: one request finds them. A recent post deleted on
  // the site: marked deleted on WordPress's own 404 for it.
  for (int i = 0; i < 3; ++i) stadt.add_post(now - kHourMs + i * kMinuteMs, 2);
  stadt.remove_post(no_comments);
  closed.add_post(now - kHourMs, 1);
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, a) == 253);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE platform_post_id = '" +
                             std::to_string(no_comments) + "' AND deleted_at IS NOT NULL") == 1);
    CHECK(posts_of(*store, c) == 11);
  }
  CHECK(stadt.requests("posts") - posts_requests == 1);

  // 3. More new posts than a page: the catch-up reads them all.
  for (int i = 0; i < 130; ++i) stadt.add_post(now - 50 * kMinuteMs + i * 10 * 1000, 3);
  const int64_t before_catch_up = stadt.requests("posts");
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, a) == 383);
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_post_id) FROM posts p JOIN accounts a ON "
                 "a.id = p.account_id WHERE a.handle = '" +
                     a + "'") == 384);
  }
  CHECK(stadt.requests("posts") - before_catch_up <= 4);
  // The closed site's feed did not change since the last run: one 304.
  CHECK(closed.requests("not_modified") == 1);

  // 4. The site switches its REST API on again: read through it, history backfilled.
  closed.set_rest(FakeWordPress::Rest::kOn);
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, c) == 15);
    CHECK(account_of(*store, c, "backfill_state") == "complete");
    CHECK(scalar(*store, "SELECT COUNT(*) FROM account_events WHERE kind = 'rest_api_on'") == 1);
  }
}
