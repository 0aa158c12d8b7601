// End to end: `muniscope poll --once` (the real binary) against a loopback
// t.me (tests/support/fake_telegram.h). A channel's history is read back
// with ?before= to its first message and dated by "Channel created"; the
// exact subscriber count comes from the channel page; a later poll pages
// back over a gap of new messages; a 429 with Retry-After is waited out and
// the run still ends with everything; an unknown and a restricted channel
// get their states while the others run on.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "core/clock.h"
#include "core/time_util.h"
#include "fake_telegram.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

std::string text(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getString(); }

int64_t posts_of(Store& s, const std::string& handle) {
  return scalar(s,
                "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                "a.handle = '" +
                    handle + "' AND p.deleted_at IS NULL");
}

}  // namespace

TEST_CASE(
    "e2e: Telegram channels, backfill with before, a gap, 429 with Retry-After, clear states") {
  const TimeMs now = SystemClock().now();
  FakeTelegram tg;
  LoopbackServer server([&](const HttpRequest& r) { return tg.handle(r); });
  tg.add_channel("stadt_a_info", "Stadt A", 12345, now - 400 * kDayMs);
  tg.add_channel("gemeinde_b", "Gemeinde B", 87, now - 100 * kDayMs);
  tg.add_channel("verband_c", "Verband C", 5000, now - 50 * kDayMs);
  tg.set_restricted("verband_c", true);
  int64_t first_a = 0;
  for (int i = 0; i < 45; ++i) {
    const int64_t id = tg.add_message("stadt_a_info", now - 300 * kDayMs + i * 5 * kDayMs,
                                      "Meldung " + std::to_string(i), 900 + i * 1000,
                                      i % 10 == 9 ? "landkreis_x/77" : "", 0, i == 3);
    if (first_a == 0) first_a = id;
  }
  tg.delete_message("stadt_a_info", first_a + 7);  // a gap in the ids
  for (int i = 0; i < 5; ++i)
    tg.add_message("gemeinde_b", now - 20 * kDayMs + i * kDayMs, "Hallo " + std::to_string(i), 40);

  TempDir dir;
  write_file(
      dir.file("muniscope.yaml"),
      "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
      "platforms:\n  telegram: {base_url: \"" +
          server.base_url() +
          "\", rate_limit: {requests: 1000, per: 1s}}\n"
          "municipalities:\n"
          "  - id: stadta\n    name: Stadt A\n    ags: \"08231000\"\n"
          "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
          "      - {platform: telegram, handle: \"https://t.me/Stadt_A_Info\", role: press}\n"
          "      - {platform: telegram, handle: \"@verband_c\"}\n"
          "  - id: gemeindeb\n    name: Gemeinde B\n    ags: \"08111000\"\n"
          "    kind: Gemeinde\n    state: BW\n    accounts:\n"
          "      - {platform: telegram, handle: \"t.me/s/gemeinde_b\"}\n"
          "      - {platform: telegram, handle: \"@nosuchchannel_x\"}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. From scratch: the newest page, then ?before= down to the first message.
  auto r = run_muniscope(args);
  CHECK_MESSAGE(r.exit_code == 1, r.out << r.err);  // two accounts are not ok, and say so
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, "@stadt_a_info") == 44);
    CHECK(posts_of(*store, "@gemeinde_b") == 5);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM accounts WHERE handle IN ('@stadt_a_info', "
                 "'@gemeinde_b') AND backfill_state = 'complete' AND state = 'ok'") == 2);
    // Dated by the "Channel created" service message, which is no post.
    CHECK(scalar(*store, "SELECT created_at FROM accounts WHERE handle = '@stadt_a_info'") ==
          now - 400 * kDayMs - (now - 400 * kDayMs) % 1000);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE text = 'Channel created'") == 0);
    // The exact count from the channel page.
    CHECK(scalar(*store,
                 "SELECT s.followers FROM account_samples s JOIN accounts a ON a.id = "
                 "s.account_id WHERE a.handle = '@stadt_a_info' ORDER BY s.observed_at DESC "
                 "LIMIT 1") == 12345);
    // Forwards are reposts without counts; abbreviated views stored as shown.
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE kind = 'repost' AND views IS NULL") ==
          4);
    CHECK(scalar(*store,
                 "SELECT views FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                 "a.handle = '@stadt_a_info' AND p.text = 'Meldung 12'") == 12900);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE edited_at IS NOT NULL") == 1);
    // Not found, confirmed by the engine on a later poll (backing off until then).
    const std::string unknown =
        text(*store, "SELECT state FROM accounts WHERE handle = '@nosuchchannel_x'");
    CHECK((unknown == "not_found" || unknown == "backing_off"));
    CHECK(text(*store, "SELECT state_reason FROM accounts WHERE handle = '@nosuchchannel_x'")
              .find("no public Telegram channel @nosuchchannel_x") != std::string::npos);
    CHECK(text(*store, "SELECT state FROM accounts WHERE handle = '@verband_c'") == "suspended");
    CHECK(text(*store, "SELECT state_reason FROM accounts WHERE handle = '@verband_c'")
              .find("no public preview") != std::string::npos);
  }
  // The newest page, two pages back, the channel page: 4 requests for 44 messages.
  const auto paths = tg.paths();
  CHECK(std::count(paths.begin(), paths.end(), "/s/stadt_a_info") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "/stadt_a_info") == 1);
  CHECK(std::count_if(paths.begin(), paths.end(), [](const std::string& p) {
          return p.rfind("/s/stadt_a_info?before=", 0) == 0;
        }) == 2);

  // 2. 30 new messages (more than a page) and t.me answers the first
  //    request with 429 and Retry-After: 1.
  for (int i = 0; i < 30; ++i)
    tg.add_message("stadt_a_info", now - 2 * kDayMs + i * kHourMs, "Neu " + std::to_string(i), 50);
  tg.add_message("gemeinde_b", now - kHourMs, "Neu", 3);
  tg.set_subscribers("stadt_a_info", 12400);
  tg.throttle(1, 1);
  const auto started = std::chrono::steady_clock::now();
  r = run_muniscope(args);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.exit_code == 1);  // the two broken accounts again
  CHECK(tg.throttled() == 1);
  CHECK(took >= std::chrono::milliseconds(900));  // Retry-After waited out
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, "@stadt_a_info") == 74);  // the gap closed in one poll
    CHECK(posts_of(*store, "@gemeinde_b") == 6);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM accounts WHERE handle IN ('@stadt_a_info', "
                 "'@gemeinde_b') AND state = 'ok'") == 2);
    CHECK(scalar(*store,
                 "SELECT s.followers FROM account_samples s JOIN accounts a ON a.id = "
                 "s.account_id WHERE a.handle = '@stadt_a_info' ORDER BY s.observed_at DESC "
                 "LIMIT 1") == 12400);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM (SELECT platform_post_id, account_id FROM posts "
                 "GROUP BY 1, 2 HAVING COUNT(*) > 1)") == 0);
  }

  // 3. Nothing new: one preview page and the channel page per channel.
  const int64_t before = tg.requests();
  r = run_muniscope(args);
  CHECK(tg.requests() - before <= 2 * 2 + 2 * 2);  // two channels, and the two broken names

  // 4. The metrics: posts and views count; the preview shows no comments,
  //    so the dialogue figures are unknown (null), never 0.
  const std::string from = format_iso8601(now - 60 * kDayMs).substr(0, 10);
  const std::string to = format_iso8601(now).substr(0, 10);
  r = run_muniscope("metrics --municipality gemeindeb --from " + from + " --to " + to +
                    " --format json -c " + dir.file("muniscope.yaml") + " --db " +
                    dir.file("s.db"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  INFO(r.out);
  CHECK(r.out.find("\"own_posts\":6") != std::string::npos);
  CHECK(r.out.find("\"citizen_questions\":null") != std::string::npos);
  CHECK(r.out.find("\"service_level\":null") != std::string::npos);
}
