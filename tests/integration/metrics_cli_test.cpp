// `muniscope metrics` and `muniscope series` on a store built through the
// store API: formats, levels, periods, filters, errors.
#include <doctest/doctest.h>

#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

struct World {
  TempDir dir;
  std::string cfg;
  std::string db;
  World() {
    cfg = dir.file("c.yaml");
    db = dir.file("s.db");
    write_file(cfg,
               "defaults: {contact: t@example.org}\nmunicipalities:\n"
               "  - {id: musterstadt, name: M, ags: \"08231000\", kind: kreisfreie Stadt, state: "
               "BW, population: 50000,\n"
               "     accounts: [{platform: mastodon, handle: a@m.example}, {platform: bluesky, "
               "handle: b.m.example}]}\n"
               "  - {id: dorf, name: D, ags: \"08231001\", kind: Gemeinde, state: BW, accounts: "
               "[{platform: facebook, handle: dorf}]}\n");
    ConfigLoad load = load_config(cfg);
    REQUIRE(load.config.has_value());
    auto store = *Store::open(db, OpenMode::kReadWrite);
    REQUIRE(store->sync_config(*load.config, 1).ok());
    const int64_t m = store->find_account("mastodon:a@m.example")->id;
    const int64_t b = store->find_account("bluesky:b.m.example")->id;
    Page page;
    for (int i = 0; i < 31;
         ++i) {  // one original a day in March 2025, plus replies every third day
      PostRecord p;
      p.platform_post_id = "m" + std::to_string(i);
      p.created_at = at("2025-03-01T10:00:00Z") + i * kDayMs;
      p.engagement = Engagement{i % 4, 0, 1, std::nullopt, std::nullopt};
      page.batch.posts.push_back(p);
      if (i % 3 == 0) {
        PostRecord r = p;
        r.platform_post_id = "r" + std::to_string(i);
        r.kind = PostKind::kReplyOther;
        r.parent_author_id = "citizen";
        r.parent_created_at = p.created_at - kHourMs;
        r.created_at = p.created_at + kHourMs;  // 2 h after the question
        page.batch.posts.push_back(r);
      }
    }
    page.backfill_state = BackfillState::kComplete;
    REQUIRE(store->commit_page(m, page, at("2025-02-01T00:00:00Z")).ok());
    Page snap;
    snap.batch.snapshot = AccountSnapshot{};
    snap.batch.snapshot->followers = 2000;
    REQUIRE(store->commit_page(m, snap, at("2025-02-01T00:00:00Z")).ok());
    for (TimeMs t = at("2025-02-01T00:00:00Z"); t < at("2025-04-01T00:00:00Z"); t += kHourMs) {
      REQUIRE(store->extend_coverage(m, t, 3 * kHourMs).ok());
    }
    Page bpage;
    PostRecord bp;
    bp.platform_post_id = "at://b/1";
    bp.created_at = at("2025-03-15T12:00:00Z");
    bpage.batch.posts.push_back(bp);
    REQUIRE(store->commit_page(b, bpage, at("2025-03-15T12:00:00Z")).ok());
  }
  std::string args(const std::string& rest) const { return rest + " -c " + cfg + " --db " + db; }
};

}  // namespace

TEST_CASE("cli metrics: one municipality over March, in JSON with every metric") {
  World w;
  auto r = run_muniscope(
      w.args("metrics --municipality musterstadt --from 2025-03-01 --to 2025-03-31 --format json"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("\"municipality\":\"musterstadt\"") != std::string::npos);
  CHECK(r.out.find("\"period\":\"2025-03-01..2025-03-31\"") != std::string::npos);
  CHECK(r.out.find("\"accounts\":2") != std::string::npos);
  CHECK(r.out.find("\"own_posts\":43") != std::string::npos);  // 31 + 11 replies + 1 Bluesky post
  CHECK(r.out.find("\"replies_other\":11") != std::string::npos);
  CHECK(r.out.find("\"response_time_median_h\":2") != std::string::npos);
  CHECK(r.out.find("\"followers_per_1000_inhabitants\":null") !=
        std::string::npos);  // Bluesky followers unknown
  CHECK(r.out.find("\"low_coverage\":1") !=
        std::string::npos);  // the Bluesky account was never polled
}

TEST_CASE("cli metrics: levels, weekly periods, filters and the table") {
  World w;
  auto r = run_muniscope(
      w.args("metrics --level account --platform mastodon --by week --from 2025-03-01 --to "
             "2025-03-31 --format csv --metric own_posts --metric coverage"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  INFO(r.out);
  // For programs each row says which municipality (name, AGS as text, Land)
  // and which days its period label covers.
  CHECK(r.out.find("municipality,account,platform,category,municipality_name,ags,land,period,"
                   "period_start,period_end,own_posts,coverage\r\n") == 0);
  CHECK(r.out.find("musterstadt,mastodon:a@m.example,mastodon,microblog,M,08231000,BW,2025-W09,"
                   "2025-03-01,2025-03-02,3,1\r\n") !=
        std::string::npos);  // 1-2 March: two originals, one reply
  CHECK(r.out.find("2025-W14,2025-03-31,2025-03-31,2,1\r\n") !=
        std::string::npos);  // 31 March alone: original and reply
  r = run_muniscope(w.args("metrics --level category --from 2025-03-01 --to 2025-03-31"));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("dorf          social_network") != std::string::npos);
  CHECK(r.out.find("reply_share") != std::string::npos);  // default table columns
  CHECK(r.out.find("%") != std::string::npos);            // shares as percentages in tables
  CHECK(run_muniscope(w.args("metrics --metric nonsense")).exit_code == 2);
  CHECK(run_muniscope(w.args("metrics --municipality atlantis")).exit_code == 2);
  CHECK(run_muniscope(w.args("metrics --from 2025-04-01 --to 2025-03-01")).exit_code == 2);
  r = run_muniscope(w.args("metrics --list"));
  CHECK(r.out.find("weighted_interaction_rate") != std::string::npos);
}

TEST_CASE("cli series: posts, engagement and followers of one account") {
  World w;
  auto r =
      run_muniscope(w.args("series posts --account mastodon:a@m.example --by month --from "
                           "2025-03-01 --to 2025-04-30 --format csv"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("2025-03,42,31,11,0,0,0,0\r\n") != std::string::npos);
  CHECK(r.out.find("2025-04,0,0,0,0,0,0,0\r\n") != std::string::npos);
  r =
      run_muniscope(w.args("series engagement --account a@m.example --by month --from 2025-03-01 "
                           "--to 2025-03-31 --format json"));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("\"reposts\":42") != std::string::npos);
  r =
      run_muniscope(w.args("series followers --account a@m.example --by month --from 2025-03-01 "
                           "--to 2025-03-31 --format csv"));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("2025-03,2025-03-31,2000,,,0\r\n") != std::string::npos);
  CHECK(run_muniscope(w.args("series followers --account nobody")).exit_code == 2);
}
