#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "config/config.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/store_export.h"
#include "store/store_reads.h"
#include "test_support.h"

using namespace muni;

namespace {

Config two_account_config(bool with_second = true) {
  std::string text = R"(
defaults: {contact: team@example.org}
municipalities:
  - id: pforzheim
    name: Stadt Pforzheim
    ags: "08231000"
    kind: kreisfreie Stadt
    state: BW
    accounts:
      - {platform: mastodon, handle: "@stadtpforzheim@bawü.social"}
)";
  if (with_second) text += "      - {platform: bluesky, handle: stadt.example.de}\n";
  ConfigLoad load = load_config_from_string(text, "t.yaml");
  REQUIRE(load.config.has_value());
  return *load.config;
}

PostRecord post(const std::string& id, TimeMs created, PostKind kind = PostKind::kOriginal) {
  PostRecord p;
  p.platform_post_id = id;
  p.created_at = created;
  p.kind = kind;
  p.text = "text " + id;
  return p;
}

int64_t count(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

}  // namespace

TEST_CASE("store: migrations from empty, idempotent reopen, read-only checks") {
  test::TempDir dir;
  const std::string path = dir.file("s.db");
  CHECK_FALSE(Store::open(path, OpenMode::kReadOnly).ok());  // nothing there yet
  {
    auto s = Store::open(path, OpenMode::kReadWrite);
    REQUIRE(s.ok());
    CHECK((*s)->schema_version() == kSchemaVersion);
    CHECK((*s)->db().execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK((*s)->db().execAndGet("PRAGMA auto_vacuum").getInt() == 2);  // incremental
  }
  {
    auto s = Store::open(path, OpenMode::kReadWrite);  // second open: no migration re-run
    REQUIRE(s.ok());
    CHECK((*s)->schema_version() == kSchemaVersion);
    CHECK(count(**s, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'posts'") == 1);
  }
  auto ro = Store::open(path, OpenMode::kReadOnly);
  REQUIRE(ro.ok());
  CHECK((*ro)->db().execAndGet("PRAGMA foreign_keys").getInt() == 1);
  {
    // A store from a newer muniscope is refused, not damaged.
    auto s = Store::open(path, OpenMode::kReadWrite);
    (*s)->db().exec("PRAGMA user_version = 99");
  }
  auto newer = Store::open(path, OpenMode::kReadWrite);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().message.find("newer than this muniscope") != std::string::npos);
}

TEST_CASE("store: config sync keeps the history of accounts that leave the config") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  REQUIRE(s.ok());
  Store& store = **s;
  auto sync = store.sync_config(two_account_config(), 1000);
  REQUIRE(sync.ok());
  CHECK(sync->accounts_added == 2);
  auto accounts = *store.load_accounts(true);
  REQUIRE(accounts.size() == 2);
  const StoredAccount bluesky = accounts[0].platform == "bluesky" ? accounts[0] : accounts[1];
  CHECK(bluesky.category == "microblog");
  Page page;
  page.batch.posts.push_back(post("at://did:plc:x/app.bsky.feed.post/1", 500));
  REQUIRE(store.commit_page(bluesky.id, page, 1500).ok());

  sync = store.sync_config(two_account_config(false), 2000);
  REQUIRE(sync.ok());
  CHECK(sync->accounts_deactivated == 1);
  CHECK(store.load_accounts(true)->size() == 1);
  auto all = *store.load_accounts(false);
  REQUIRE(all.size() == 2);
  for (const auto& a : all) {
    if (a.id == bluesky.id) {
      CHECK_FALSE(a.active);
      CHECK(a.state_id() == "inactive");
      CHECK(a.own_posts_stored == 1);  // history kept
    }
  }
  sync =
      store.sync_config(two_account_config(), 3000);  // back in the config: same row, same history
  CHECK(sync->accounts_added == 0);
  CHECK(store.load_accounts(true)->size() == 2);
  CHECK(count(store, "SELECT COUNT(*) FROM posts") == 1);
  CHECK(store.find_account("bluesky:stadt.example.de")->id == bluesky.id);
  CHECK(store.find_account("stadt.example.de")->id == bluesky.id);
  CHECK_FALSE(store.find_account("nobody").ok());
}

TEST_CASE("store: commit_page upserts posts and writes engagement samples only on change") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const int64_t id = store.load_accounts(true)->front().id;

  Page page;
  PostRecord p = post("100", 1000);
  p.engagement = Engagement{3, 1, 0, std::nullopt, std::nullopt};
  page.batch.posts.push_back(p);
  page.cursor = "c1";
  auto c = store.commit_page(id, page, 10);
  REQUIRE(c.ok());
  CHECK(c->posts_new == 1);
  CHECK(c->engagement_samples == 1);

  c = store.commit_page(id, page, 20);  // the same page again
  CHECK(c->posts_new == 0);
  CHECK(c->posts_updated == 0);
  CHECK(c->engagement_samples == 0);
  CHECK(count(store, "SELECT COUNT(*) FROM posts") == 1);
  CHECK(count(store, "SELECT first_seen FROM posts") == 10);
  CHECK(count(store, "SELECT last_seen FROM posts") == 20);

  page.batch.posts[0].engagement.likes = 5;
  c = store.commit_page(id, page, 30);
  CHECK(c->posts_updated == 1);
  CHECK(c->engagement_samples == 1);
  CHECK(count(store, "SELECT likes FROM posts") == 5);

  // A count missing from a later answer keeps its value and adds no sample.
  page.batch.posts[0].engagement = Engagement{std::nullopt, 1, 0, std::nullopt, std::nullopt};
  c = store.commit_page(id, page, 40);
  CHECK(c->engagement_samples == 0);
  CHECK(count(store, "SELECT likes FROM posts") == 5);
  CHECK(count(store, "SELECT COUNT(*) FROM post_samples") == 2);
  CHECK(store.db().execAndGet("SELECT quotes FROM posts").isNull());  // never reported: NULL, not 0
  CHECK(store.load_accounts(true)->front().cursor == "c1");
}

TEST_CASE(
    "store: reposts carry no engagement, self-thread replies are recognised in either order") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const int64_t id = store.load_accounts(true)->front().id;
  Page page;
  PostRecord repost = post("r1", 100, PostKind::kRepost);
  repost.engagement = Engagement{99, 9, 9, std::nullopt, std::nullopt};  // the original's counts
  page.batch.posts.push_back(repost);
  // A reply arriving before its parent, which turns out to be the account's own.
  PostRecord reply = post("child", 300, PostKind::kReplyOther);
  reply.parent_post_id = "parent";
  reply.parent_author_id = "someone";
  page.batch.posts.push_back(reply);
  REQUIRE(store.commit_page(id, page, 5).ok());
  CHECK(store.db().execAndGet("SELECT likes FROM posts WHERE platform_post_id = 'r1'").isNull());
  CHECK(count(store, "SELECT COUNT(*) FROM post_samples") == 0);
  CHECK(store.db()
            .execAndGet("SELECT kind FROM posts WHERE platform_post_id = 'child'")
            .getString() == "reply_other");

  Page older;
  older.batch.posts.push_back(post("parent", 200, PostKind::kOriginal));
  PostRecord grandchild = post("grandchild", 400, PostKind::kReplyOther);
  grandchild.parent_post_id = "child";
  older.batch.posts.push_back(grandchild);
  REQUIRE(store.commit_page(id, older, 6).ok());
  CHECK(store.db()
            .execAndGet("SELECT kind FROM posts WHERE platform_post_id = 'child'")
            .getString() == "reply_self");
  CHECK(store.db()
            .execAndGet("SELECT kind FROM posts WHERE platform_post_id = 'grandchild'")
            .getString() == "reply_self");
}

TEST_CASE("store: snapshots, handle changes, deletions and incomplete history") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const int64_t id = store.load_accounts(true)->front().id;
  Page page;
  AccountSnapshot snap;
  snap.platform_id = "42";
  snap.handle = "old@x.social";
  snap.followers = 10;
  snap.created_at = 86400000;
  snap.created_at_day_precision = true;
  page.batch.snapshot = snap;
  page.batch.posts.push_back(post("1", 100));
  page.batch.posts.push_back(post("2", 200));
  REQUIRE(store.commit_page(id, page, 10).ok());
  REQUIRE(store.commit_page(id, page, 20).ok());  // same followers: no second sample
  CHECK(count(store, "SELECT COUNT(*) FROM account_samples") == 1);
  page.batch.snapshot->handle = "new@x.social";
  page.batch.snapshot->followers = 11;
  page.batch.posts.clear();
  page.batch.deleted_post_ids = {"2"};
  page.backfill_state = BackfillState::kComplete;
  page.expected_own_posts = 5;  // the platform says 5, only 2 stored
  REQUIRE(store.commit_page(id, page, 30).ok());
  CHECK(count(store, "SELECT COUNT(*) FROM account_samples") == 2);
  CHECK(store.db()
            .execAndGet("SELECT detail FROM account_events WHERE kind = 'handle_changed'")
            .getString() == "old@x.social -> new@x.social");
  CHECK(count(store, "SELECT deleted_at FROM posts WHERE platform_post_id = '2'") == 30);
  const StoredAccount a = store.load_accounts(true)->front();
  CHECK(a.platform_id == "42");
  CHECK(a.created_at_day_precision);
  CHECK(a.backfill_state == BackfillState::kIncomplete);
  CHECK(a.history_note.find("profile reports 5") != std::string::npos);
}

TEST_CASE("store: retention keeps exactly the documented samples") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const int64_t account = store.load_accounts(true)->front().id;
  Page page;
  page.batch.posts.push_back(post("p1", 1));
  page.batch.posts.push_back(post("p2", 2));
  REQUIRE(store.commit_page(account, page, 1).ok());
  const TimeMs now = test::at("2026-01-01T00:00:00Z");  // a Thursday
  const auto day = [&](int days_ago, int hour, int minute = 0) {
    return now - days_ago * kDayMs + hour * kHourMs + minute * kMinuteMs;
  };
  SQLite::Statement ins(store.db(),
                        "INSERT INTO post_samples (post_id, observed_at, likes) "
                        "VALUES ((SELECT id FROM posts WHERE platform_post_id = ?), ?, 1)");
  auto add = [&](const char* post_id, TimeMs t) {
    ins.bind(1, post_id);
    ins.bind(2, static_cast<int64_t>(t));
    ins.exec();
    ins.reset();
  };
  // p1: first sample long ago, a week bucket of three, a day bucket of three,
  // a lone old day, and two young samples.
  const std::vector<TimeMs> p1 = {day(500, 12), day(402, 10), day(401, 10), day(400, 10),
                                  day(41, 9),   day(40, 10),  day(40, 12),  day(40, 20),
                                  day(2, 0),    day(1, 0)};
  for (const TimeMs t : p1) add("p1", t);
  // p2: three old samples on one day; the first and the last of the series survive.
  for (const TimeMs t : {day(100, 8), day(100, 8, 30), day(100, 9)}) add("p2", t);
  // Account samples follow the same rules.
  SQLite::Statement acc(
      store.db(),
      "INSERT INTO account_samples (account_id, observed_at, followers) VALUES (?, ?, 1)");
  for (const TimeMs t : {day(60, 1), day(60, 2), day(60, 3), day(5, 1)}) {
    acc.bind(1, account);
    acc.bind(2, static_cast<int64_t>(t));
    acc.exec();
    acc.reset();
  }
  // Poll log (kept 90 days): two old rows, a young one, then an old row logged
  // late (a long session); the late one waits for a later pass.
  for (const TimeMs t : {day(200, 0), day(95, 0), day(3, 0), day(120, 0)}) {
    PollLogEntry e;
    e.account_id = account;
    e.work = "poll";
    e.started_at = t;
    e.ended_at = t + kMinuteMs;
    e.outcome = "ok";
    REQUIRE(store.log_poll(e).ok());
  }
  Result<RetentionSummary> r = RetentionSummary{};
  SUBCASE("in one call") { r = store.apply_retention(RetentionSettings{}, now); }
  SUBCASE("one sample (so one series) per step, as the daemon runs it") {
    // The same deletions as one statement: the window rules partition by series.
    RetentionPass pass(RetentionSettings{}, now);
    int steps = 0;
    while (!pass.done() && steps < 100) {
      REQUIRE(store.retention_step(pass, 1).ok());
      ++steps;
    }
    REQUIRE(pass.done());
    CHECK(steps > 5);  // start, each post, each account, poll-log rows, vacuum
    r = pass.summary();
  }
  REQUIRE(r.ok());
  CHECK(r->poll_log_deleted == 2);
  CHECK(count(store, "SELECT COUNT(*) FROM poll_log") == 2);
  auto remaining = [&](const char* post_id) {
    std::vector<TimeMs> out;
    SQLite::Statement q(store.db(),
                        "SELECT observed_at FROM post_samples WHERE post_id = "
                        "(SELECT id FROM posts WHERE platform_post_id = ?) ORDER BY observed_at");
    q.bind(1, post_id);
    while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
    return out;
  };
  CHECK(remaining("p1") == std::vector<TimeMs>{day(500, 12), day(400, 10), day(41, 9), day(40, 20),
                                               day(2, 0), day(1, 0)});
  CHECK(remaining("p2") == std::vector<TimeMs>{day(100, 8), day(100, 9)});
  CHECK(r->engagement_samples_deleted == 5);
  // Account series: first (60d 01:00) kept, 02:00 dropped, 03:00 kept (latest of its day), young
  // kept.
  CHECK(count(store, "SELECT COUNT(*) FROM account_samples") == 3);
  CHECK(r->account_samples_deleted == 1);
  // Running it again changes nothing.
  r = store.apply_retention(RetentionSettings{}, now);
  CHECK(r->engagement_samples_deleted == 0);
}

TEST_CASE("store: online backup produces an intact copy") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  REQUIRE((*s)->sync_config(two_account_config(), 1).ok());
  REQUIRE((*s)->backup_to(dir.file("copy.db")).ok());
  CHECK_FALSE((*s)->backup_to(dir.file("copy.db")).ok());  // never overwrites
  auto copy = Store::open(dir.file("copy.db"), OpenMode::kReadOnly);
  REQUIRE(copy.ok());
  CHECK((*copy)->db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK((*copy)->load_accounts(true)->size() == 2);
}

TEST_CASE("store: absence is no deletion, only per-item evidence deletes, and a post can come back (finding 2)") {
  // Found: two empty getPosts answers (and two empty videos.list answers)
  // marked every recent post deleted while the timeline still listed them.
  // Being missing from listings, however often, is only noted.
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const int64_t id = store.load_accounts(true)->front().id;
  Page page;
  for (int i = 0; i < 30; ++i) page.batch.posts.push_back(post("p" + std::to_string(i), 100 + i));
  REQUIRE(store.commit_page(id, page, 10).ok());
  auto missing_all = [&](TimeMs now) {
    Page p;
    for (int i = 0; i < 30; ++i) p.batch.missing_post_ids.push_back("p" + std::to_string(i));
    p.batch.missing_post_ids.push_back("p0");  // a repeat in one answer counts once
    return store.commit_page(id, p, now);
  };
  for (TimeMs now : {20, 30, 40}) {
    auto counts = missing_all(now);
    REQUIRE(counts.ok());
    CHECK(counts->posts_deleted == 0);
  }
  CHECK(count(store, "SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
  CHECK(count(store, "SELECT MIN(missing_count) FROM posts") == 3);
  CHECK(count(store, "SELECT MAX(missing_since) FROM posts") == 20);  // when first missed
  CHECK(store.recent_post_ids(id, 0, 100)->size() == 30);
  // A reading that shows the post again clears the note.
  Page back;
  PostRecord refreshed = post("p0", 100);
  refreshed.counts_only = true;
  refreshed.engagement.likes = 5;
  back.batch.posts.push_back(refreshed);
  REQUIRE(store.commit_page(id, back, 45).ok());
  CHECK(count(store, "SELECT missing_count FROM posts WHERE platform_post_id = 'p0'") == 0);
  // The platform's own "not found" for p1 deletes it at once, dated now.
  Page tomb;
  tomb.batch.deleted_post_ids = {"p1"};
  CHECK(store.commit_page(id, tomb, 50)->posts_deleted == 1);
  CHECK(count(store, "SELECT deleted_at FROM posts WHERE platform_post_id = 'p1'") == 50);
  CHECK(store.commit_page(id, tomb, 55)->posts_deleted == 0);  // already deleted
  // Deleted posts are still asked about, so a deletion stays revocable.
  CHECK(store.recent_post_ids(id, 0, 100)->size() == 30);
  // The post comes back: the deletion is revoked, recorded, and its counts move on.
  Page again;
  PostRecord p1 = post("p1", 101);
  p1.counts_only = true;
  p1.engagement.likes = 9;
  again.batch.posts.push_back(p1);
  auto counts = store.commit_page(id, again, 60);
  CHECK(counts->posts_updated == 1);
  CHECK(count(store, "SELECT deleted_at IS NULL FROM posts WHERE platform_post_id = 'p1'") == 1);
  CHECK(count(store, "SELECT likes FROM posts WHERE platform_post_id = 'p1'") == 9);
  CHECK(count(store, "SELECT COUNT(*) FROM account_events WHERE kind = 'post_restored'") == 1);
}

TEST_CASE("store: a database of another application is refused, never migrated (finding 9)") {
  test::TempDir dir;
  const std::string path = dir.file("other.db");
  {
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)");
    other.exec("INSERT INTO invoices (amount) VALUES (12.5)");
  }
  auto rw = Store::open(path, OpenMode::kReadWrite);
  REQUIRE_FALSE(rw.ok());
  CHECK(rw.error().message.find("another application") != std::string::npos);
  CHECK(rw.error().message.find("invoices") != std::string::npos);
  auto ro = Store::open(path, OpenMode::kReadOnly);
  REQUIRE_FALSE(ro.ok());
  CHECK(ro.error().message.find("another application") != std::string::npos);
  {
    SQLite::Database other(path, SQLite::OPEN_READONLY);
    CHECK(other.execAndGet("SELECT COUNT(*) FROM sqlite_master").getInt() == 1);  // untouched
    CHECK(other.execAndGet("PRAGMA user_version").getInt() == 0);
  }
  // Not a database at all.
  test::write_file(dir.file("notes.db"), "these are my notes, not SQLite\n");
  auto text = Store::open(dir.file("notes.db"), OpenMode::kReadOnly);
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().message.find("cannot be read as an SQLite database") != std::string::npos);
  // An empty database file is not a store yet, and a read-only command says so.
  { SQLite::Database empty(dir.file("empty.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); }
  auto e = Store::open(dir.file("empty.db"), OpenMode::kReadOnly);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("empty database") != std::string::npos);
  // A new store carries muniscope's application id.
  auto fresh = Store::open(dir.file("new.db"), OpenMode::kReadWrite);
  REQUIRE(fresh.ok());
  CHECK((*fresh)->db().execAndGet("PRAGMA application_id").getInt() == 0x4D554E49);
}

TEST_CASE("store: a store written by schema version 1 migrates without loss") {
  test::TempDir dir;
  const std::string path = dir.file("v1.db");
  {
    // Exactly what milestone 1 created: migration 1, user_version 1, no application id.
    SQLite::Database v1(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    v1.exec(schema_migrations()[0]);
    v1.exec("PRAGMA user_version = 1");
    v1.exec(
        "INSERT INTO municipalities (id, name, ags, kind, state, first_configured_at, updated_at) "
        "VALUES ('pforzheim', 'Stadt Pforzheim', '08231000', 'kreisfreie Stadt', "
        "'Baden-Württemberg', 1, 1)");
    v1.exec(
        "INSERT INTO accounts (municipality_id, platform, category, handle, account_key, "
        "first_configured_at, updated_at) VALUES ('pforzheim', 'mastodon', 'microblog', "
        "'stadtpforzheim@xn--baw-joa.social', 'mastodon:stadtpforzheim@xn--baw-joa.social', 1, 1)");
    v1.exec(
        "INSERT INTO posts (account_id, platform_post_id, created_at, kind, text, first_seen, "
        "last_seen, likes) VALUES (1, '117', 1000, 'original', 'Hallo', 1, 1, 4)");
  }
  auto s = Store::open(path, OpenMode::kReadWrite);
  REQUIRE(s.ok());
  Store& store = **s;
  CHECK(store.schema_version() == kSchemaVersion);
  CHECK(count(store, "SELECT COUNT(*) FROM posts") == 1);
  CHECK(count(store, "SELECT likes FROM posts") == 4);
  CHECK(count(store, "SELECT missing_count FROM posts") == 0);
  CHECK(count(store, "SELECT quality FROM posts") == 0);
  CHECK(store.db().execAndGet("SELECT text FROM posts").getString() == "Hallo");
  CHECK(count(store, "PRAGMA application_id") == 0x4D554E49);
  CHECK_FALSE(store.load_accounts(true)->front().duplicate_of.has_value());
}

TEST_CASE("store: an undated feed item keeps the date it was first seen") {
  // RSS items without pubDate are dated `now` by the parser on every poll;
  // the store keeps the first such date, so the item does not wander forward.
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const int64_t id = store.load_accounts(true)->front().id;
  for (const TimeMs seen : {TimeMs{5000}, TimeMs{9000}}) {
    Page page;
    PostRecord p = post("https://www.musterstadt.example/aktuelles/sprechstunde", seen);
    p.quality = kQualityDateEstimated;
    page.batch.posts.push_back(p);
    REQUIRE(store.commit_page(id, page, seen).ok());
  }
  CHECK(count(store, "SELECT COUNT(*) FROM posts") == 1);
  CHECK(count(store, "SELECT created_at FROM posts") == 5000);
  CHECK(count(store, "SELECT quality & 8 FROM posts") == 8);
}

TEST_CASE("store reads: rows for metrics and series, and errors as values on a damaged store") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  REQUIRE(s.ok());
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const StoredAccount acc = store.load_accounts(true)->front();
  Page page;
  PostRecord a = post("1", 1000);
  a.engagement = Engagement{4, 1, std::nullopt, std::nullopt, std::nullopt};
  PostRecord b = post("2", 2000, PostKind::kReplyOther);
  b.engagement = Engagement{2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  PostRecord r = post("3", 3000, PostKind::kRepost);
  page.batch.posts = {a, b, r};
  AccountSnapshot snap;
  snap.followers = 120;
  page.batch.snapshot = snap;
  REQUIRE(store.commit_page(acc.id, page, 5000).ok());

  ActivityReader reader(store);
  auto act = reader.read(acc.id, acc.platform_id, 1500, 10'000, true);
  REQUIRE(act.ok());
  CHECK(act->posts.size() == 2);  // [1500, 10000): the reply and the repost
  CHECK(act->first_own_post == 1000);
  CHECK(act->last_own_post_before_window == 1000);
  REQUIRE(act->followers.size() == 1);
  CHECK(act->followers[0].followers == 120);

  CHECK(*first_observation(store, acc.id) == 1000);
  CHECK((*post_kind_counts(store, acc.id, 0, 10'000))["repost"] == 1);
  const EngagementTotals e = *engagement_totals(store, acc.id, 0, 10'000);
  CHECK(e.own_posts == 2);
  CHECK(e.likes == 6);
  CHECK(e.likes_known == 2);
  CHECK(e.replies == 1);
  CHECK(e.replies_known == 1);
  CHECK_FALSE(e.reposts.has_value());  // no post had the count: unknown, not 0
  CHECK(*latest_followers(store, acc.id) == 120);
  CHECK(counts_before(store, acc.id, 5001)->value().followers == 120);
  CHECK_FALSE(counts_before(store, acc.id, 5000)->has_value());
  CHECK(*count_account_samples(store, acc.id, 0, 10'000) == 1);

  // A store that lost tables answers with errors, never exceptions.
  store.db().exec("DROP TABLE account_events; DROP TABLE comments");
  auto events = account_events(store, acc.id);
  REQUIRE_FALSE(events.ok());
  CHECK(events.error().code == ErrorCode::kStorage);
  CHECK(events.error().message.find("account_events") != std::string::npos);
  CHECK_FALSE(table_row_counts(store).ok());
  ActivityReader broken(store);
  CHECK_FALSE(broken.read(acc.id, acc.platform_id, 0, 10'000, true).ok());
}

TEST_CASE("store export: rows by municipality, account and time, streamed account by account") {
  test::TempDir dir;
  auto s = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  REQUIRE(s.ok());
  Store& store = **s;
  REQUIRE(store.sync_config(two_account_config(), 1).ok());
  const auto accounts = *store.load_accounts(true);
  REQUIRE(accounts.size() == 2);
  // Posts committed out of time order, two observations each.
  for (const StoredAccount& acc : accounts) {
    for (const TimeMs at : {10, 20}) {
      Page page;
      for (const TimeMs created : {3000, 1000, 2000}) {
        PostRecord p = post(std::to_string(created), created);
        p.engagement = Engagement{at, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
        page.batch.posts.push_back(p);
      }
      REQUIRE(store.commit_page(acc.id, page, at).ok());
    }
  }
  const size_t account_col = 5, id_col = 6, time_col = 9;  // account, post_id, created_at
  std::vector<std::pair<std::string, std::string>> posts;
  REQUIRE(export_rows(store, ExportKind::kPosts, {}, [&](const std::vector<Value>& v) {
            posts.emplace_back(std::get<std::string>(v[account_col]),
                               std::get<std::string>(v[time_col]));
            CHECK(std::get<std::string>(v[id_col]).size() == 4);
            return true;
          }).ok());
  REQUIRE(posts.size() == 6);
  CHECK(std::is_sorted(posts.begin(), posts.end()));  // account key, then created_at
  CHECK(posts.front().first != posts.back().first);
  CHECK(*count_export_rows(store, ExportKind::kPosts, {}) == 6);
  // Post samples: one post's series in one piece, posts by creation.
  std::vector<std::string> series;
  REQUIRE(export_rows(store, ExportKind::kPostSamples, {}, [&](const std::vector<Value>& v) {
            series.push_back(std::get<std::string>(v[account_col]) + "/" +
                             std::get<std::string>(v[id_col]));
            return true;
          }).ok());
  REQUIRE(series.size() == 12);
  for (size_t i = 0; i < series.size(); i += 2) CHECK(series[i] == series[i + 1]);
  CHECK(series[0].substr(series[0].size() - 4) == "1000");
  CHECK(*count_export_rows(store, ExportKind::kPostSamples, {}) == 12);
  // A filter on one platform, and an early stop.
  ExportFilter only;
  only.platform = "bluesky";
  int n = 0;
  REQUIRE(export_rows(store, ExportKind::kPosts, only, [&](const std::vector<Value>&) {
            return ++n < 2;
          }).ok());
  CHECK(n == 2);
  CHECK(*count_export_rows(store, ExportKind::kPosts, only) == 3);
}
