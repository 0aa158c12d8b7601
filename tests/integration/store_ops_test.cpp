// Store operations through the CLI while a writer is busy: `store backup`
// takes a consistent snapshot, `store compact` thins samples by hand,
// `store info` reports sizes.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <atomic>
#include <thread>

#include "config/config.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr int kPostsPerCommit = 50;

struct OpsWorld {
  TempDir dir;
  std::string cfg = dir.file("c.yaml");
  std::string db = dir.file("s.db");
  int64_t account = 0;

  OpsWorld() {
    write_file(cfg,
               "defaults: {contact: t@example.org}\nmunicipalities:\n"
               "  - {id: m, name: M, ags: \"08231000\", kind: Gemeinde, state: BW,\n"
               "     accounts: [{platform: mastodon, handle: a@m.example}]}\n");
    ConfigLoad load = load_config(cfg);
    REQUIRE(load.config.has_value());
    auto store = Store::open(db, OpenMode::kReadWrite);
    REQUIRE(store.ok());
    REQUIRE((*store)->sync_config(*load.config, 1).ok());
    account = (*store)->find_account("mastodon:a@m.example")->id;
  }
  std::string args(const std::string& rest) const { return rest + " -c " + cfg + " --db " + db; }
};

// One page: kPostsPerCommit new posts with engagement, and a follower count.
Page page_of(int batch, TimeMs t) {
  Page page;
  page.batch.snapshot = AccountSnapshot{};
  page.batch.snapshot->followers = 1000 + batch;
  for (int i = 0; i < kPostsPerCommit; ++i) {
    PostRecord p;
    p.platform_post_id = std::to_string(batch) + "-" + std::to_string(i);
    p.created_at = t - i * kMinuteMs;
    p.text = "Meldung " + p.platform_post_id;
    p.engagement = Engagement{i, 1, 2, std::nullopt, std::nullopt};
    page.batch.posts.push_back(std::move(p));
  }
  return page;
}

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

}  // namespace

TEST_CASE("store backup: copies taken while a writer commits are complete, consistent snapshots") {
  OpsWorld w;
  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    auto store = Store::open(w.db, OpenMode::kReadWrite);
    if (!store.ok()) {
      writer_failed = true;
      return;
    }
    const TimeMs t0 = at("2025-01-01T00:00:00Z");
    for (int batch = 0; !stop; ++batch) {
      if (!(*store)
               ->commit_page(w.account, page_of(batch, t0 + batch * kHourMs), t0 + batch * kHourMs)
               .ok()) {
        writer_failed = true;
        return;
      }
      ++commits;
    }
  });
  while (commits < 20 && !writer_failed) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  std::vector<std::string> copies;
  for (int i = 0; i < 3; ++i) {
    const int before = commits;
    const std::string copy = w.dir.file("backup" + std::to_string(i) + ".db");
    auto r = run_muniscope(w.args("store backup " + copy));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.find("backup written to " + copy) != std::string::npos);
    copies.push_back(copy);
    // The writer was never blocked for the copy's duration.
    while (commits == before && !writer_failed)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  writer.join();
  REQUIRE_FALSE(writer_failed);

  auto live = Store::open(w.db, OpenMode::kReadOnly);
  REQUIRE(live.ok());
  const int64_t live_posts = scalar(**live, "SELECT COUNT(*) FROM posts");
  for (const std::string& copy : copies) {
    auto store = Store::open(copy, OpenMode::kReadOnly);
    REQUIRE_MESSAGE(store.ok(), copy);
    Store& s = **store;
    CHECK(s.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(scalar(s, "SELECT COUNT(*) FROM pragma_foreign_key_check") == 0);
    // Whole pages only: a page is one transaction.
    const int64_t posts = scalar(s, "SELECT COUNT(*) FROM posts");
    CHECK(posts > 0);
    CHECK(posts % kPostsPerCommit == 0);
    CHECK(posts <= live_posts);
    CHECK(scalar(s, "SELECT COUNT(*) FROM post_samples") == posts);  // one sample per new post
    CHECK(scalar(s, "SELECT COUNT(*) FROM account_samples") == posts / kPostsPerCommit);
  }
  // Never overwrites; no partial file is left behind.
  auto again = run_muniscope(w.args("store backup " + copies.front()));
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("exists") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(copies.front() + ".partial"));
}

TEST_CASE("store compact and store info: retention by hand, sizes and counts") {
  OpsWorld w;
  {
    auto store = Store::open(w.db, OpenMode::kReadWrite);
    REQUIRE(store.ok());
    // Follower samples every hour for ten days, two years ago: thinned to
    // one a day (one a week beyond a year), first and last kept.
    const TimeMs t0 = SystemClock().now() - 730 * kDayMs;
    SQLite::Statement ins(
        (*store)->db(),
        "INSERT INTO account_samples (account_id, observed_at, followers) VALUES (?, ?, ?)");
    for (int h = 0; h < 240; ++h) {
      ins.bind(1, w.account);
      ins.bind(2, static_cast<int64_t>(t0 + h * kHourMs));
      ins.bind(3, static_cast<int64_t>(100 + h));
      ins.exec();
      ins.reset();
    }
  }
  auto r = run_muniscope(w.args("store compact"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("account samples") != std::string::npos);
  auto store = Store::open(w.db, OpenMode::kReadOnly);
  const int64_t left = scalar(**store, "SELECT COUNT(*) FROM account_samples");
  CHECK(left >= 2);
  CHECK(left <= 4);  // ten days span at most two ISO weeks (+ first and last)
  auto info = run_muniscope(w.args("store info --format json"));
  REQUIRE(info.exit_code == 0);
  CHECK(info.out.find("\"account_samples rows\"") != std::string::npos);
}
