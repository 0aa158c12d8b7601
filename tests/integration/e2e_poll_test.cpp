// End to end: `muniscope poll --once` (the real binary) against a loopback
// Mastodon instance and a loopback Bluesky AppView with several accounts and
// multi-page histories. Full backfill first; then exactly the new posts; then
// a run that changes nothing; then changed counts and a deletion.
#include <doctest/doctest.h>

#include <regex>

#include "core/clock.h"
#include "loopback_platforms.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t summary_value(const std::string& out, const std::string& item) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(item + R"(\s+([\d,]+))"))) return -1;
  std::string digits = m[1].str();
  digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
  return std::stoll(digits);
}

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Post ids stored for the account whose handle is LIKE `handle_like`, sorted.
std::vector<std::string> stored_ids(Store& s, const std::string& handle_like) {
  SQLite::Statement q(s.db(),
                      "SELECT p.platform_post_id FROM posts p JOIN accounts a ON a.id = "
                      "p.account_id WHERE a.handle LIKE ? AND p.deleted_at IS NULL");
  q.bind(1, handle_like);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  std::sort(out.begin(), out.end());
  return out;
}

const char* kStadt = "did:plc:stadtmuster234567abcdefg";
const char* kMuseum = "did:plc:museummuster234567abcdef";
const char* kCitizen = "did:plc:buerger234567abcdefghijk";

}  // namespace

TEST_CASE("e2e: poll --once backfills Mastodon and Bluesky, then takes exactly what is new") {
  const TimeMs now = SystemClock().now();
  LoopbackPlatforms platforms;
  FakeMastodon& mastodon = platforms.mastodon;
  FakeBluesky& bluesky = platforms.bluesky;
  const LoopbackServer& mastodon_server = platforms.mastodon_server;
  const LoopbackServer& appview = platforms.appview;

  // Mastodon: 95 statuses over the last 60 days, mixed kinds; a second account with 30.
  mastodon.add_account("rathaus", "110000000000000001", 2000);
  mastodon.add_account("bibliothek", "110000000000000002", 300);
  std::string last_original;
  std::vector<std::string> rathaus_recent;
  for (int i = 0; i < 95; ++i) {
    const TimeMs t = now - 60 * kDayMs + i * 15 * kHourMs;
    std::string id;
    if (i % 10 == 9) {
      id = mastodon.add_status("rathaus", t, PostKind::kRepost, "", "109999999999999999");
    } else if (i % 7 == 6) {
      id = mastodon.add_status("rathaus", t, PostKind::kReplyOther, "115000000000000000",
                               "109000000000000042", 1);
    } else if (i % 11 == 10 && !last_original.empty()) {
      id = mastodon.add_status("rathaus", t, PostKind::kReplySelf, last_original,
                               "110000000000000001", 2);
    } else {
      id = mastodon.add_status("rathaus", t, PostKind::kOriginal, "", "", i % 5);
      last_original = id;
    }
    if (t > now - 10 * kDayMs && i % 10 != 9) rathaus_recent.push_back(id);
  }
  for (int i = 0; i < 30; ++i)
    mastodon.add_status("bibliothek", now - 40 * kDayMs + i * kDayMs, PostKind::kOriginal);

  // Bluesky: 250 feed entries for the city, 12 for the museum.
  bluesky.add_account(kStadt, "stadt.muster.example", 1500);
  bluesky.add_account(kMuseum, "museum.muster.example", 90);
  std::vector<std::string> stadt_recent;
  for (int i = 0; i < 250; ++i) {
    const TimeMs t = now - 50 * kDayMs + i * 4 * kHourMs;
    std::string uri;
    if (i % 9 == 8) {
      uri = bluesky.add_post(kStadt, t, PostKind::kRepost, kMuseum);
    } else if (i % 5 == 4) {
      uri = bluesky.add_post(kStadt, t, PostKind::kReplyOther, kCitizen, 1);
    } else if (i % 13 == 12) {
      uri = bluesky.add_post(kStadt, t, PostKind::kReplySelf, "", 2);
    } else {
      uri = bluesky.add_post(kStadt, t, PostKind::kOriginal, "", i % 4);
    }
    if (t > now - 10 * kDayMs && i % 9 != 8) stadt_recent.push_back(uri);
  }
  for (int i = 0; i < 12; ++i)
    bluesky.add_post(kMuseum, now - 20 * kDayMs + i * kDayMs, PostKind::kOriginal);

  TempDir dir;
  const std::string m = mastodon_server.base_url();
  write_file(
      dir.file("muniscope.yaml"),
      "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
      "platforms:\n  bluesky:\n    base_url: " +
          appview.base_url() +
          "\n"
          "municipalities:\n"
          "  - id: musterstadt\n    name: Stadt Musterstadt\n    ags: \"08231000\"\n"
          "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
          "      - {platform: mastodon, handle: \"" +
          m +
          "/@rathaus\", role: press}\n"
          "      - {platform: mastodon, handle: \"" +
          m +
          "/@bibliothek\", role: library}\n"
          "      - {platform: bluesky, handle: stadt.muster.example, role: press}\n"
          "      - {platform: bluesky, handle: \"@museum.muster.example\", role: culture}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. Full backfill.
  auto r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  const int64_t expected = 95 + 30 + 250 + 12;
  CHECK(summary_value(r.out, "posts new") == expected);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts") == expected);
    // The stored ids are exactly the worlds' own lists, account by account.
    CHECK(stored_ids(*store, "%/@rathaus") == sorted(mastodon.ids("rathaus")));
    CHECK(stored_ids(*store, "%/@bibliothek") == sorted(mastodon.ids("bibliothek")));
    CHECK(stored_ids(*store, "stadt.muster.example") == sorted(bluesky.ids(kStadt)));
    CHECK(stored_ids(*store, "museum.muster.example") == sorted(bluesky.ids(kMuseum)));
    CHECK(scalar(*store, "SELECT COUNT(*) FROM accounts WHERE backfill_state = 'complete'") == 4);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM accounts WHERE state = 'ok'") == 4);
    // Classification survives the whole path.
    auto kind_count = [&](const char* handle_like, const char* kind) {
      return scalar(*store, std::string("SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = "
                                        "p.account_id WHERE a.handle LIKE '") +
                                handle_like + "' AND p.kind = '" + kind + "'");
    };
    CHECK(kind_count("%rathaus", "repost") == mastodon.count("rathaus", PostKind::kRepost));
    CHECK(kind_count("%rathaus", "reply_other") ==
          mastodon.count("rathaus", PostKind::kReplyOther));
    CHECK(kind_count("%rathaus", "reply_self") == mastodon.count("rathaus", PostKind::kReplySelf));
    CHECK(kind_count("stadt.%", "repost") == bluesky.count(kStadt, PostKind::kRepost));
    CHECK(kind_count("stadt.%", "reply_other") == bluesky.count(kStadt, PostKind::kReplyOther));
    CHECK(kind_count("stadt.%", "reply_self") == bluesky.count(kStadt, PostKind::kReplySelf));
    // Response times are known for every reply to others.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts WHERE kind = 'reply_other' AND parent_created_at IS "
                 "NULL") == 0);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM account_samples") == 4);
    CHECK(store->find_account("bluesky:stadt.muster.example")->platform_id == kStadt);
  }

  // 2. New posts arrive: exactly those are taken.
  for (int i = 0; i < 3; ++i)
    mastodon.add_status("rathaus", now + (i + 1) * kMinuteMs, PostKind::kOriginal);
  for (int i = 0; i < 4; ++i)
    bluesky.add_post(kStadt, now + (i + 1) * kMinuteMs, PostKind::kOriginal);
  bluesky.add_post(kStadt, now + 10 * kMinuteMs, PostKind::kRepost, kMuseum);
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(summary_value(r.out, "posts new") == 8);
  CHECK(summary_value(r.out, "posts updated") == 0);

  // 3. Nothing changed: a no-op.
  int64_t samples_before = 0, account_samples_before = 0;
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    samples_before = scalar(*store, "SELECT COUNT(*) FROM post_samples");
    account_samples_before = scalar(*store, "SELECT COUNT(*) FROM account_samples");
  }
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(summary_value(r.out, "posts new") == 0);
  CHECK(summary_value(r.out, "posts updated") == 0);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts") == expected + 8);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM post_samples") == samples_before);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM account_samples") == account_samples_before);
  }

  // 4. Counts change on recent posts, one post is deleted: the refresh sees it
  // missing and asks the platform about that very post.
  REQUIRE(rathaus_recent.size() >= 2);
  REQUIRE(stadt_recent.size() >= 2);
  mastodon.set_likes("rathaus", rathaus_recent[0], 40);
  mastodon.set_likes("rathaus", rathaus_recent[1], 41);
  bluesky.set_likes(stadt_recent[0], 77);
  bluesky.remove_post(stadt_recent[1]);
  mastodon.add_account("rathaus", "110000000000000001", 2010);  // followers moved
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(summary_value(r.out, "posts new") == 0);
  CHECK(summary_value(r.out, "posts updated") == 3);
  // The removed post: getPosts leaves it out, getPostThread says NotFound
  // for it: the platform's own per-item evidence deletes it at once.
  CHECK(summary_value(r.out, "posts deleted") == 1);
  const std::string deleted_where = " FROM posts WHERE platform_post_id = '" + stadt_recent[1] + "'";
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM post_samples") == samples_before + 3);
    CHECK(scalar(*store, "SELECT likes FROM posts WHERE platform_post_id = '" + rathaus_recent[0] +
                             "'") == 40);
    CHECK(scalar(*store, "SELECT likes FROM posts WHERE platform_post_id = '" + stadt_recent[0] +
                             "'") == 77);
    CHECK(scalar(*store, "SELECT deleted_at IS NOT NULL" + deleted_where) == 1);
    CHECK(scalar(*store, "SELECT missing_count" + deleted_where) == 0);
    // Two profiles changed: rathaus' followers, and the city's postsCount after the deletion.
    CHECK(scalar(*store, "SELECT COUNT(*) FROM account_samples") == account_samples_before + 2);
  }
  // 5. A second refresh changes nothing: the deletion is not counted twice.
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(summary_value(r.out, "posts deleted") == 0);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(scalar(*store, "SELECT deleted_at IS NOT NULL" + deleted_where) == 1);
  }
  // status shows every account healthy, and the hosts with their budgets.
  r = run_muniscope("status -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("accounts: 4, ok 4") != std::string::npos);
  CHECK(r.out.find("127.0.0.1:" + std::to_string(appview.port())) != std::string::npos);
}

TEST_CASE("e2e: unknown accounts are confirmed not found, and reported in the summary") {
  FakeMastodon mastodon("");
  LoopbackServer server([&](const HttpRequest& r) { return mastodon.handle(r); });
  mastodon.set_base_url(server.base_url());
  TempDir dir;
  write_file(dir.file("c.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\nmunicipalities:\n"
             "  - {id: m, name: M, ags: \"08231000\", kind: Stadt, state: BW, accounts: "
             "[{platform: mastodon, handle: \"" +
                 server.base_url() + "/@nobody\"}]}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("c.yaml") + " --db " + dir.file("s.db");
  auto r = run_muniscope(args);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("units of work not_found") != std::string::npos);
  CHECK(r.out.find("Record not found") != std::string::npos);
  r = run_muniscope(args);
  auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
  CHECK(store->load_accounts(true)->front().state_id() == "not_found");
}

TEST_CASE("e2e: a renamed Bluesky account keeps its history, and accounts --history shows the rename") {
  const TimeMs now = SystemClock().now();
  LoopbackPlatforms platforms;
  platforms.bluesky.add_account(kStadt, "stadt.muster.example", 1500);
  for (int i = 0; i < 20; ++i)
    platforms.bluesky.add_post(kStadt, now - 20 * kDayMs + i * kDayMs, PostKind::kOriginal);
  TempDir dir;
  // Configured by its DID: the stable id, so a new handle changes nothing.
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             "platforms:\n  bluesky:\n    base_url: " + platforms.appview.base_url() + "\n"
             "municipalities:\n"
             "  - id: musterstadt\n    name: Stadt Musterstadt\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: bluesky, handle: \"" + std::string(kStadt) + "\"}\n");
  const std::string common = " -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");
  auto r = run_muniscope("poll --once --all" + common);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  auto none = run_muniscope("accounts --history " + std::string(kStadt) + common);
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("handle_changed") == std::string::npos);

  platforms.bluesky.rename(kStadt, "musterstadt.de");
  platforms.bluesky.add_post(kStadt, now - kHourMs, PostKind::kOriginal);
  r = run_muniscope("poll --once --all" + common);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);

  auto history = run_muniscope("accounts --history " + std::string(kStadt) + " --format csv" + common);
  INFO(history.err);
  CHECK(history.exit_code == 0);
  CHECK(history.out.find("handle_changed,stadt.muster.example -> musterstadt.de") !=
        std::string::npos);
  CHECK(history.err.find("handle now musterstadt.de") != std::string::npos);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    // One account, its whole history under it.
    CHECK(store->db().execAndGet("SELECT COUNT(*) FROM accounts").getInt64() == 1);
    CHECK(store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64() == 21);
  }
  auto unknown = run_muniscope("accounts --history bluesky:nobody.example" + common);
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no account") != std::string::npos);
}

TEST_CASE("e2e: poll --once draws a progress line on a terminal, plain log lines otherwise") {
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    MESSAGE("script(1) not installed; pseudo-terminal check skipped");
    return;
  }
  const TimeMs now = SystemClock().now();
  LoopbackPlatforms platforms;
  platforms.mastodon.add_account("rathaus", "110000000000000001", 2000);
  // Several pages of history (Mastodon pages hold 40 statuses).
  for (int i = 0; i < 200; ++i)
    platforms.mastodon.add_status("rathaus", now - 200 * kHourMs + i * kHourMs,
                                  PostKind::kOriginal);
  TempDir dir;
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             "municipalities:\n"
             "  - id: musterstadt\n    name: Stadt Musterstadt\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: mastodon, handle: \"" + platforms.mastodon_server.base_url() +
             "/@rathaus\"}\n");
  const std::string args = muniscope_binary() + " poll --once --all -c " +
                           dir.file("muniscope.yaml") + " --db " + dir.file("s.db");
  // Plain: no carriage-return progress, the per-unit log line instead.
  const RunResult plain = run_muniscope("poll --once --all -c " + dir.file("muniscope.yaml") +
                                        " --db " + dir.file("s.db") + " --metrics-file " +
                                        dir.file("muniscope.prom"));
  CHECK(plain.exit_code == 0);
  // The textfile-collector file: the run's counters, written atomically.
  const std::string prom = read_file(dir.file("muniscope.prom"));
  CHECK(prom.find("muniscope_polls_total{platform=\"mastodon\",outcome=\"ok\"} ") !=
        std::string::npos);
  CHECK(prom.find("muniscope_last_success_timestamp_seconds{platform=\"mastodon\"} 1") !=
        std::string::npos);
  CHECK(plain.err.find("\rpoll: ") == std::string::npos);
  CHECK(plain.err.find("poll musterstadt/mastodon:") != std::string::npos);
  // The backfill is one journal line for the account, not one per page.
  size_t backfill_lines = 0;
  for (size_t p = plain.err.find("backfill musterstadt/mastodon"); p != std::string::npos;
       p = plain.err.find("backfill musterstadt/mastodon", p + 1)) {
    ++backfill_lines;
  }
  CHECK(backfill_lines == 1);
  CHECK(plain.err.find("complete (") != std::string::npos);
  // On a pseudo-terminal (script(1) gives the command one): the progress line.
  const std::string out_file = dir.file("tty.txt");
  const int rc = std::system(("script -qec '" + args + "' " + out_file + " >/dev/null 2>&1").c_str());
  CHECK(rc == 0);
  const std::string tty = read_file(out_file);
  CHECK(tty.find("\rpoll: ") != std::string::npos);
  CHECK(tty.find("accounts") != std::string::npos);
}
