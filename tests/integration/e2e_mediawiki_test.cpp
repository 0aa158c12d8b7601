// End to end: `muniscope poll --once` (the real binary) against a loopback
// MediaWiki (tests/support/fake_mediawiki.h): a city wiki in site mode and
// the municipality's staff account on it in user mode. Recent changes are
// read page by page through their continue values (poll, then backfill
// until the list ends); the wiki keeps them only 90 days, so the site's
// history is recorded as cut there and why, while the user's contributions
// reach back to the first edit. Bot edits are counted apart, never stored.
// The wiki lags at first: its maxlag answers are honoured (Retry-After) and
// the run still completes. A second run reads only what is new.
#include <doctest/doctest.h>

#include <set>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_mediawiki.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }
std::string text(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getString(); }

std::set<std::string> stored_ids(Store& s, const std::string& handle) {
  std::set<std::string> out;
  SQLite::Statement q(s.db(),
                      "SELECT p.platform_post_id FROM posts p JOIN accounts a ON a.id = "
                      "p.account_id WHERE a.handle = ? AND p.deleted_at IS NULL");
  q.bind(1, handle);
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  return out;
}

}  // namespace

TEST_CASE("e2e: a MediaWiki site and a staff account, continuation, maxlag, the 90-day cut") {
  const TimeMs now = SystemClock().now();
  FakeMediaWiki wiki;
  LoopbackServer server([&](const HttpRequest& r) { return wiki.handle(r); });
  wiki.add_wiki("stadtwiki", "Stadtwiki Musterstadt");
  wiki.set_page_size(25);  // 500 on a real wiki; small pages make the runs page
  wiki.add_user("stadtwiki", "Heimatfreundin", now - 900 * kDayMs);
  wiki.add_user("stadtwiki", "Stadtverwaltung", now - 800 * kDayMs);
  wiki.add_user("stadtwiki", "KategorieBot", now - 700 * kDayMs, /*bot=*/true);
  // 300 days of edits: citizens, the administration and a bot.
  for (int i = 0; i < 150; ++i) {
    const TimeMs t = now - 300 * kDayMs + i * 2 * kDayMs + i * kMinuteMs;
    const std::string page = "Seite " + std::to_string(i % 40);
    wiki.edit("stadtwiki", page, i % 3 == 0 ? "Stadtverwaltung" : "Heimatfreundin", t, 1000 + i * 7,
              "Änderung " + std::to_string(i));
    if (i % 5 == 0) wiki.edit("stadtwiki", page, "KategorieBot", t + kHourMs, 1000 + i * 7 + 3);
  }
  const std::string site = server.base_url() + "/stadtwiki/";
  const std::string user = "Stadtverwaltung@" + site;

  TempDir dir;
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             "municipalities:\n"
             "  - id: stadta\n    name: Stadt A\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: mediawiki, handle: \"" +
                 site +
                 "\"}\n"
                 "      - {platform: mediawiki, handle: \"" +
                 user + "\", role: staff}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // The wiki lags for its first two answers and asks to retry after 1 s.
  wiki.set_lag(2, 1);
  auto r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(wiki.lag_refusals() == 2);
  CHECK(wiki.without_maxlag() == 0);  // every request asked for maxlag
  // Both lists were read page by page (25 a page): 54 recent changes in
  // three pages (the poll's and two of backfill), 50 contributions in two.
  CHECK(wiki.calls("recentchanges") == 3);
  CHECK(wiki.calls("usercontribs") == 2);

  // What the wiki's recent changes still hold: the last 90 days, bots left out.
  std::set<std::string> recent;
  std::set<std::string> all_human;
  {
    // Ids of human edits within 90 days, from the fake's own records.
    const auto humans = wiki.revisions("stadtwiki", /*bots=*/false);
    all_human.insert(humans.begin(), humans.end());
  }
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    const auto site_ids = stored_ids(*store, site);
    // Every stored site edit is a human edit of the wiki; none is a bot's.
    for (const auto& id : site_ids) CHECK_MESSAGE(all_human.count(id) == 1, id);
    // About 45 human edits lie within 90 days (two days apart, two of three by people).
    const int64_t within =
        scalar(*store,
               "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
               "a.handle = '" +
                   site + "' AND p.created_at >= " + std::to_string(now - 90 * kDayMs - kHourMs));
    CHECK(within == static_cast<int64_t>(site_ids.size()));  // nothing older than the cut
    CHECK(site_ids.size() >= 40);
    CHECK(site_ids.size() <= 50);
    // The site's history is cut at the recent changes' horizon, and says why.
    CHECK(text(*store, "SELECT backfill_state FROM accounts WHERE handle = '" + site + "'") ==
          "incomplete");
    const std::string note =
        text(*store, "SELECT history_note FROM accounts WHERE handle = '" + site + "'");
    CHECK_MESSAGE(note.find("$wgRCMaxAge") != std::string::npos, note);
    CHECK_MESSAGE(note.find("recent changes reach back only to") != std::string::npos, note);
    // The user's contributions reach back to the first edit.
    const auto user_ids = stored_ids(*store, user);
    const auto contribs = wiki.contributions("stadtwiki", "Stadtverwaltung");
    CHECK(user_ids == std::set<std::string>(contribs.begin(), contribs.end()));
    CHECK(contribs.size() == 50);
    CHECK(text(*store, "SELECT backfill_state FROM accounts WHERE handle = '" + user + "'") ==
          "complete");
    // Edits are wiki edits or page creations, with title and size change.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts WHERE item_type NOT IN ('wiki_edit', "
                 "'wiki_page_created')") == 0);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id "
                 "WHERE a.handle = '" +
                     user + "' AND item_type = 'wiki_page_created'") ==
          14);  // pages 0, 3, ..., 39 were created by the administration
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts WHERE title IS NULL OR title = '' OR text "
                 "NOT LIKE '%bytes by %'") == 0);
    // The wiki's totals and its start.
    CHECK(text(*store, "SELECT platform_id FROM accounts WHERE handle = '" + site + "'") ==
          "stadtwiki");
    CHECK(scalar(*store, "SELECT created_at FROM accounts WHERE handle = '" + site + "'") ==
          (now - 900 * kDayMs) / 1000 * 1000);  // the first user creation
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM account_counter_samples c JOIN accounts a ON "
                 "a.id = c.account_id WHERE a.handle = '" +
                     site + "' AND c.counter = 'pages'") == 1);
  }

  // 2. New edits, one by the bot. The second run reads only what is new.
  const int64_t e1 =
      wiki.edit("stadtwiki", "Rathaus", "Stadtverwaltung", now - kHourMs, 5000, "Öffnungszeiten");
  const int64_t e2 =
      wiki.edit("stadtwiki", "Rathaus", "Heimatfreundin", now - 30 * kMinuteMs, 5100, "Foto");
  wiki.edit("stadtwiki", "Rathaus", "KategorieBot", now - 20 * kMinuteMs, 5110);
  const int64_t rc_calls = wiki.calls("recentchanges");
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(wiki.calls("recentchanges") == rc_calls + 1);  // one forward page; backfill is over
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    const auto site_ids = stored_ids(*store, site);
    CHECK(site_ids.count(std::to_string(e1)) == 1);
    CHECK(site_ids.count(std::to_string(e2)) == 1);
    CHECK(stored_ids(*store, user).count(std::to_string(e1)) == 1);
    CHECK(stored_ids(*store, user).count(std::to_string(e2)) == 0);
    // No edit twice, no bot edit anywhere.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM (SELECT account_id, platform_post_id FROM posts "
                 "GROUP BY 1, 2 HAVING COUNT(*) > 1)") == 0);
    // Bot edits are counted apart: the second run's snapshot shows those the
    // first run saw.
    const int64_t bots =
        scalar(*store,
               "SELECT MAX(value) FROM account_counter_samples c JOIN accounts a ON a.id = "
               "c.account_id WHERE a.handle = '" +
                   site + "' AND c.counter = 'bot_edits_seen'");
    CHECK(bots >= 1);
    CHECK(bots <= wiki.bot_edits("stadtwiki"));
  }
}
