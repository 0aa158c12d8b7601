// Hostile and broken feeds over real HTTP: the engine, the libcurl
// transport, the real RSS connector and the store, against a loopback site
// serving the fixtures of tests/fixtures/rss/ byte for byte. Each case is a
// fault of issue #20 and what is stored for it:
//
//   one guid on 19 press releases   19 items, keyed by guid and link, said
//   dates of 9999, 0001 and 1970    kept, dated when first seen, flagged, and
//                                   not re-dated by later polls
//   UTF-8 declared as ISO-8859-1    read as UTF-8 ("Bürgerbüro"), said;
//                                   real Latin-1 still read as Latin-1
//   comment counts -5 and 2^64      stored as unknown, flagged
//
// The engine runs on a fake clock so that polls are hours apart without
// waiting; libcurl's own timeouts are real time.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <mutex>

#include "config/config.h"
#include "connectors/builtin.h"
#include "core/strings.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "engine_run.h"
#include "fake_feed.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr const char* kPressPath = "/aktuelles/rss.xml";
constexpr const char* kEventsPath = "/veranstaltungen/rss.xml";
constexpr const char* kMojibakePath = "/muehlheim/rss.xml";
constexpr const char* kLatin1Path = "/gemeinde/rss.xml";
constexpr const char* kBlogPath = "/blog/feed/";

// muniscope over the fake site: one municipality, a feed account per path;
// one engine on a fake clock, loaded at the start.
struct FeedRun {
  explicit FeedRun(LoopbackServer& server)
      : base(server.base_url()),
        yaml(config_for(base)),
        run(yaml, builtin_connectors(), clock, random) {
    write_file(dir.file("muniscope.yaml"), yaml);
    run.engine();
  }

  static std::string config_for(const std::string& base) {
    std::string accounts;
    for (const char* path : {kPressPath, kEventsPath, kMojibakePath, kLatin1Path, kBlogPath})
      accounts += "      - {platform: rss, handle: \"" + base + path + "\"}\n";
    return "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
           "  request_timeout: 5s\n"
           "municipalities:\n"
           "  - id: musterstadt\n    name: Musterstadt\n    ags: \"08231000\"\n"
           "    kind: Stadt\n    state: BW\n    accounts:\n" +
           accounts;
  }

  // poll --once over the account at `path`; fails the test on a hang.
  void poll(const char* path) { run.once({account(path).id}, std::chrono::seconds(30), 100); }

  StoredAccount account(const char* path) { return run.account("rss:" + base + path); }
  int64_t scalar(const std::string& sql) { return run.scalar(sql); }
  int64_t count(const char* path, const std::string& where = "1") {
    return scalar("SELECT COUNT(*) FROM posts WHERE account_id = " +
                  std::to_string(account(path).id) + " AND " + where);
  }
  int64_t events(const char* path, const std::string& kind) {
    return scalar("SELECT COUNT(*) FROM account_events WHERE account_id = " +
                  std::to_string(account(path).id) + " AND kind = '" + kind + "'");
  }
  std::string last_outcome(const char* path) {
    return run.text("SELECT outcome FROM poll_log WHERE account_id = " +
                    std::to_string(account(path).id) + " ORDER BY id DESC LIMIT 1");
  }

  std::string base;
  std::string yaml;
  FakeClock clock{at("2026-11-30T12:00:00Z")};
  FixedRandom random;
  EngineRun run;
  TempDir& dir = run.dir();
};

// The shared_guid.xml feed with only its item `title` left.
std::string only_item(const std::string& feed, const std::string& title) {
  const size_t first = feed.find("<item>");
  const size_t end = feed.rfind("</item>") + 7;
  const size_t at_title = feed.find("<title>" + title + "</title>");
  REQUIRE(at_title != std::string::npos);
  const size_t open = feed.rfind("<item>", at_title);
  const size_t close = feed.find("</item>", at_title) + 7;
  return feed.substr(0, first) + feed.substr(open, close - open) + feed.substr(end);
}

}  // namespace

TEST_CASE("hostile feed: 19 press releases sharing one guid are stored as 19, and stay 19") {
  FakeFeed site;
  LoopbackServer server([&](const HttpRequest& r) { return site.handle(r); });
  const std::string feed = read_fixture("rss/shared_guid.xml");
  site.serve(kPressPath, feed);
  FeedRun run(server);

  run.poll(kPressPath);
  CHECK(run.last_outcome(kPressPath) == "ok");
  CHECK(run.count(kPressPath) == 19);  // was 1: "repeated within the page stored once"
  CHECK(run.count(kPressPath, "platform_post_id = 'https://www.musterstadt.example/'") == 0);
  CHECK(run.count(kPressPath,
                  "title = 'Jugendgemeinderat gewählt' AND url LIKE "
                  "'%/jugendgemeinderat-gewaehlt'") == 1);
  CHECK(run.events(kPressPath, "feed_ids_shared") == 1);
  const StoredAccount a = run.account(kPressPath);
  CHECK(a.history_note.find("19 entries share the guid https://www.musterstadt.example/; keyed "
                            "by guid and link") != std::string::npos);
  CHECK(a.cursor.find("shared_ids") != std::string::npos);

  // Polled again a day later: the same 19, nothing new, no second event.
  run.clock.advance(kDayMs);
  run.poll(kPressPath);
  CHECK(run.count(kPressPath) == 19);
  CHECK(run.events(kPressPath, "feed_ids_shared") == 1);
  CHECK(run.scalar("SELECT posts_new FROM poll_log ORDER BY id DESC LIMIT 1") == 0);

  // The feed shrinks to one of them: it keeps its key, no twentieth item.
  site.serve(kPressPath, only_item(feed, "Ehrenamtspreis verliehen"));
  run.clock.advance(kDayMs);
  run.poll(kPressPath);
  CHECK(run.last_outcome(kPressPath) == "ok");
  CHECK(run.count(kPressPath) == 19);
  CHECK(site.requests(kPressPath) == 3);
}

TEST_CASE("hostile feed: entries dated 9999, 0001 and 1970 are stored, flagged, never re-dated") {
  FakeFeed site;
  LoopbackServer server([&](const HttpRequest& r) { return site.handle(r); });
  site.serve(kEventsPath, read_fixture("rss/implausible_dates.xml"));
  FeedRun run(server);
  const TimeMs first_seen = run.clock.now();

  run.poll(kEventsPath);
  CHECK(run.last_outcome(kEventsPath) == "ok");
  CHECK(run.count(kEventsPath) == 10);  // was 6: the page guard skipped four
  CHECK(run.scalar("SELECT items_skipped FROM poll_log ORDER BY id DESC LIMIT 1") == 0);
  const std::string estimated = "quality & " + std::to_string(kQualityDateEstimated) + " != 0";
  CHECK(run.count(kEventsPath, estimated) == 4);
  CHECK(run.count(kEventsPath, estimated + " AND created_at = " + std::to_string(first_seen)) == 4);
  CHECK(run.count(kEventsPath,
                  "platform_post_id = 'event-4711' AND title = 'Neujahrsempfang der "
                  "Oberbürgermeisterin'") == 1);
  CHECK(run.count(kEventsPath, "platform_post_id = 'event-4707' AND created_at = " +
                                   std::to_string(at("2026-11-25T18:00:00Z"))) == 1);
  CHECK(run.account(kEventsPath).history_note.find("4 entries dated outside the plausible range") !=
        std::string::npos);

  // Six hours later the same feed: the four keep the date they were first
  // seen with (they are the same items, not new ones dated anew).
  run.clock.advance(6 * kHourMs);
  run.poll(kEventsPath);
  CHECK(run.count(kEventsPath) == 10);
  CHECK(run.count(kEventsPath, estimated + " AND created_at = " + std::to_string(first_seen)) == 4);
  CHECK(run.scalar("SELECT posts_new FROM poll_log ORDER BY id DESC LIMIT 1") == 0);
  // Nothing implausible reached the store.
  CHECK(run.count(kEventsPath, "created_at < " + std::to_string(at("1990-01-01T00:00:00Z")) +
                                   " OR created_at > " + std::to_string(run.clock.now())) == 0);
}

TEST_CASE("hostile feed: UTF-8 declared as ISO-8859-1 is stored readable and said, Latin-1 stays") {
  FakeFeed site;
  LoopbackServer server([&](const HttpRequest& r) { return site.handle(r); });
  site.serve(kMojibakePath, read_fixture("rss/mojibake_declared_latin1.xml"),
             "text/xml; charset=ISO-8859-1");
  site.serve(kLatin1Path, read_fixture("rss/news_latin1.xml"), "application/rss+xml");
  FeedRun run(server);

  run.poll(kMojibakePath);
  CHECK(run.last_outcome(kMojibakePath) == "ok");
  CHECK(run.count(kMojibakePath) == 2);
  CHECK(run.count(kMojibakePath, "title = 'Bürgerbüro: neue Öffnungszeiten'") == 1);
  CHECK(run.count(kMojibakePath, "title LIKE '%Ã%'") == 0);  // no mojibake anywhere
  CHECK(run.count(kMojibakePath, "text = 'Wegen Kanalarbeiten – Umleitung über den Mühlweg.'") ==
        1);
  CHECK(run.account(kMojibakePath).display_name == "Gemeinde Mühlheim – Aktuelles");
  CHECK(run.events(kMojibakePath, "feed_charset") == 1);

  run.poll(kLatin1Path);
  CHECK(run.count(kLatin1Path,
                  "title = 'Straßensperrung Bäckerweg' AND text = 'Grüße aus dem "
                  "Rathaus'") == 1);
  CHECK(run.events(kLatin1Path, "feed_charset") == 0);
  CHECK(run.account(kLatin1Path).history_note.find("This feed") == std::string::npos);

  // Said where people look: `status` lists the note for that feed.
  const auto status = run_muniscope("status -c " + run.dir.file("muniscope.yaml") + " --db " +
                                    run.dir.file("s.db"));
  CHECK(status.exit_code == 0);
  CHECK_MESSAGE(
      status.out.find("declared ISO-8859-1 but is UTF-8; read as UTF-8") != std::string::npos,
      status.out);

  // Polled again: the event is not repeated.
  run.clock.advance(kHourMs);
  run.poll(kMojibakePath);
  CHECK(run.events(kMojibakePath, "feed_charset") == 1);
  CHECK(run.count(kMojibakePath) == 2);
}

TEST_CASE("hostile feed: comment counts of -5 and 20 digits are stored as unknown") {
  FakeFeed site;
  LoopbackServer server([&](const HttpRequest& r) { return site.handle(r); });
  site.serve(kBlogPath, read_fixture("rss/slash_comments.xml"));
  FeedRun run(server);
  run.poll(kBlogPath);
  CHECK(run.last_outcome(kBlogPath) == "ok");
  CHECK(run.count(kBlogPath) == 5);
  CHECK(run.count(kBlogPath, "title = 'Spielplatz an der Linde eröffnet' AND replies = 4") == 1);
  CHECK(run.count(kBlogPath, "title = 'Sitzung des Ortschaftsrats' AND replies = 0") == 1);
  CHECK(run.count(kBlogPath, "replies < 0 OR replies > 1000000000000") == 0);
  const std::string rejected = "quality & " + std::to_string(kQualityCountsRejected) + " != 0";
  CHECK(run.count(kBlogPath, rejected + " AND replies IS NULL") == 2);
  CHECK(run.count(kBlogPath, "title = 'Kein Zähler' AND replies IS NULL") == 1);
}

TEST_CASE(
    "hostile feed: a stop between the chunks of a long page keeps no ETag, the rest comes next") {
  // 2,500 entries with an ETag: more than one chunk (Engine::kCommitChunkPosts).
  const int kEntries = 2500;
  std::string feed =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
      "<title>Archiv</title><link>https://www.example-gemeinde.de/</link>";
  for (int i = 0; i < kEntries; ++i) {
    feed += "<item><title>Meldung " + std::to_string(i) +
            "</title><guid>https://www.example-gemeinde.de/m/" + std::to_string(i) +
            "</guid><pubDate>Mon, 02 Nov 2026 " + std::to_string(10 + i % 10) +
            ":00:00 +0000</pubDate></item>";
  }
  feed += "</channel></rss>";
  std::mutex mu;
  std::vector<std::string> validators_sent;
  LoopbackServer server([&](const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    std::string sent;
    for (const HttpHeader& h : r.headers) {
      if (iequals(h.name, "If-None-Match")) sent = h.value;
    }
    validators_sent.push_back(sent);
    HttpResponse out;
    out.status = sent == "\"archiv-1\"" ? 304 : 200;
    out.headers.push_back({"ETag", "\"archiv-1\""});
    if (out.status == 200) {
      out.headers.push_back({"Content-Type", "application/rss+xml; charset=UTF-8"});
      out.body = feed;
    }
    return out;
  });
  FeedRun run(server);
  const int64_t id = run.account(kPressPath).id;

  // 1. A stop request arrives while the page is stored: one chunk is kept,
  //    the unit ends interrupted, and the ETag is not saved.
  //    (The daemon leaves its loop on a stop; here the engine is stepped
  //    until the unit is logged.)
  Engine& engine = run.run.engine();
  engine.set_stop_check([] { return true; });
  engine.start_once({id}, true);
  const std::string logged =
      "SELECT COUNT(*) FROM poll_log WHERE account_id = " + std::to_string(id);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (run.scalar(logged) == 0 && std::chrono::steady_clock::now() < deadline) engine.step(100);
  const int64_t first = run.count(kPressPath);
  CHECK(first > 0);
  CHECK(first < kEntries);
  CHECK(run.last_outcome(kPressPath) == "interrupted");

  // 2. The next run asks without a validator and reads the whole page.
  run.run.fresh_engine();
  run.run.once({id}, std::chrono::seconds(60), 100);
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(validators_sent.size() == 2);
    CHECK(validators_sent[1].empty());
  }
  CHECK(run.count(kPressPath) == kEntries);
  CHECK(run.last_outcome(kPressPath) == "ok");

  // 3. Now the page is stored whole: its ETag is sent, and 304 is the answer.
  run.run.fresh_engine();
  run.run.once({id}, std::chrono::seconds(60), 100);
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(validators_sent.size() == 3);
  CHECK(validators_sent[2] == "\"archiv-1\"");
  CHECK(run.count(kPressPath) == kEntries);
}
