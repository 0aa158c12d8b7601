// Store size per account and year under the daemon's default schedule and
// retention (make bench). Simulates two years of one account per posting
// rate in virtual time, through the same Store calls the engine makes:
//   - a poll every hour: a page with the profile snapshot and the new posts,
//     a poll_log row, a coverage extension;
//   - a refresh every 6 hours of the posts younger than 14 days (engagement
//     samples are written only when a count changed);
//   - retention once a day with the defaults (all samples 30 days, one a day
//     until a year, one a week after; poll_log 90 days).
// The growth in the second year is the steady-state cost of an account-year.
//
// The activity is a model, not a measurement of real accounts: post text
// 100-500 characters; likes of a post approach a final value between 5 and 60
// with a 12-hour time constant (replies and reposts a fifth and a tenth of
// it); the follower count changes in about one poll in three. Its numbers
// are written here so docs/operations.md can state them.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "connectors/builtin.h"
#include "cli/output.h"
#include "config/config.h"
#include "daemon/logging.h"
#include "store/store.h"

using namespace muni;

namespace {

constexpr TimeMs kStart = 1704067200000;  // 2024-01-01T00:00:00Z

struct SimPost {
  std::string id;
  TimeMs created_at = 0;
  double final_likes = 0;
  size_t text_length = 0;
};

// A benchmark on a broken store measures nothing: stop with the reason.
template <typename R>
void must(const R& result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "bench_retention: %s: %s\n", what, result.error().message.c_str());
    std::exit(1);
  }
}

Engagement engagement_at(const SimPost& p, TimeMs now) {
  const double age_h = static_cast<double>(now - p.created_at) / kHourMs;
  const double f = 1.0 - std::exp(-age_h / 12.0);
  const auto likes = static_cast<int64_t>(std::lround(p.final_likes * f));
  return Engagement{likes, likes / 5, likes / 10, std::nullopt, std::nullopt};
}

struct SizeReport {
  int64_t bytes_year1 = 0;
  int64_t bytes_year2 = 0;
  int64_t posts = 0;
  std::map<std::string, int64_t> table_bytes_year2;  // from dbstat, when available
  double seconds = 0;
};

SizeReport simulate(const std::string& path, double posts_per_day, uint32_t seed) {
  std::filesystem::remove(path);
  auto store = std::move(*Store::open(path, OpenMode::kReadWrite));
  ConfigLoad load = load_config_from_string(
      "defaults: {contact: bench@example.org}\nmunicipalities:\n"
      "  - {id: m, name: M, ags: \"08231000\", kind: Gemeinde, state: BW,\n"
      "     accounts: [{platform: mastodon, handle: a@m.example}]}\n",
      "bench.yaml");
  must(store->sync_config(*load.config, kStart), "sync_config");
  const int64_t account = store->load_accounts(true)->front().id;

  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> text_len(100, 500);
  std::uniform_real_distribution<double> final_likes(5, 60);
  std::vector<SimPost> posts;
  int64_t followers = 5000;
  int64_t next_post_no = 0;
  const RetentionSettings retention;
  SizeReport report;
  const auto t0 = std::chrono::steady_clock::now();

  for (int hour = 0; hour < 2 * 365 * 24; ++hour) {
    const TimeMs now = kStart + hour * kHourMs;
    // New posts this hour (Bernoulli per minute approximates a Poisson process).
    Page page;
    page.batch.snapshot = AccountSnapshot{};
    if (unit(rng) < 1.0 / 3.0) ++followers;
    page.batch.snapshot->followers = followers;
    page.batch.snapshot->following = 120;
    for (int minute = 0; minute < 60; ++minute) {
      if (unit(rng) >= posts_per_day / (24.0 * 60.0)) continue;
      SimPost p{std::to_string(1'000'000 + next_post_no++), now - (60 - minute) * kMinuteMs,
                final_likes(rng), static_cast<size_t>(text_len(rng))};
      PostRecord r;
      r.platform_post_id = p.id;
      r.created_at = p.created_at;
      r.text = std::string(p.text_length, 'x');
      r.url = "https://m.example/@a/" + p.id;
      r.engagement = engagement_at(p, now);
      page.batch.posts.push_back(std::move(r));
      posts.push_back(p);
    }
    must(store->commit_page(account, page, now), "commit_page");
    PollLogEntry log;
    log.account_id = account;
    log.work = "poll";
    log.started_at = now;
    log.ended_at = now + 300;
    log.outcome = "ok";
    log.http_status = 200;
    log.posts_new = static_cast<int>(page.batch.posts.size());
    log.requests = 1;
    must(store->log_poll(log), "log_poll");
    must(store->extend_coverage(account, now, 3 * kHourMs), "extend_coverage");

    if (hour % 6 == 0) {  // refresh of the recent posts
      Page refresh;
      for (const SimPost& p : posts) {
        if (now - p.created_at > 14 * kDayMs) continue;
        PostRecord r;
        r.platform_post_id = p.id;
        r.created_at = p.created_at;
        r.text = std::string(p.text_length, 'x');  // a refresh re-reads whole posts
        r.url = "https://m.example/@a/" + p.id;
        r.engagement = engagement_at(p, now);
        refresh.batch.posts.push_back(std::move(r));
      }
      must(store->commit_page(account, refresh, now), "commit_page (refresh)");
    }
    if (hour % 24 == 23) must(store->apply_retention(retention, now), "apply_retention");
    if (hour == 365 * 24 - 1) report.bytes_year1 = store->file_size_bytes();
  }
  must(store->apply_retention(retention, kStart + 2 * 365 * kDayMs), "apply_retention");
  must(store->incremental_vacuum(), "incremental_vacuum");
  report.bytes_year2 = store->file_size_bytes();
  report.posts = static_cast<int64_t>(posts.size());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  try {
    SQLite::Statement q(store->db(), "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name");
    while (q.executeStep())
      report.table_bytes_year2[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  } catch (const std::exception&) {
    // dbstat is a compile-time option of SQLite; without it, totals only.
  }
  return report;
}

std::string kib(int64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f KiB", static_cast<double>(bytes) / 1024.0);
  return buf;
}

}  // namespace

int main() {
  setup_logging("error");
  register_builtin_platforms();
  Table table({{"posts/day"},
               {"posts in 2 years", 0},
               {"size after year 1"},
               {"size after year 2"},
               {"per account-year (year 2)"},
               {"largest parts after year 2"},
               {"simulated in"}});
  for (const double rate : {0.5, 2.0, 8.0}) {
    char path[96];
    std::snprintf(path, sizeof path, "/tmp/muniscope-bench-retention-%g.db", rate);
    const SizeReport r = simulate(path, rate, 42);
    std::vector<std::pair<int64_t, std::string>> parts;
    for (const auto& [name, bytes] : r.table_bytes_year2) parts.emplace_back(bytes, name);
    std::sort(parts.rbegin(), parts.rend());
    std::string largest;
    for (size_t i = 0; i < parts.size() && i < 4; ++i) {
      largest += (i ? ", " : "") + parts[i].second + " " + kib(parts[i].first);
    }
    char rate_text[16], secs[32];
    std::snprintf(rate_text, sizeof rate_text, "%g", rate);
    std::snprintf(secs, sizeof secs, "%.1f s", r.seconds);
    table.add_row({std::string(rate_text), r.posts, kib(r.bytes_year1), kib(r.bytes_year2),
                   kib(r.bytes_year2 - r.bytes_year1), largest.empty() ? Cell() : Cell(largest),
                   std::string(secs)});
    std::filesystem::remove(path);
    std::filesystem::remove(std::string(path) + "-wal");
    std::filesystem::remove(std::string(path) + "-shm");
  }
  std::printf("Store size per account under the default schedule and retention\n%s",
              table.render_table().c_str());
  return 0;
}
