// Metrics at national scale (make bench): a synthetic store with 11,000
// municipalities, 40,000 accounts and 50 million posts, generated once (and
// reused when it exists), then
//   - metrics for one municipality over one year (median of 25 random ones),
//   - metrics for all municipalities over one year,
//   - store size in bytes per post,
//   - `muniscope metrics` end to end for one municipality (process start,
//     reading a 40,000-account config, the query, printing).
//
// Environment: MUNISCOPE_BENCH_SCALE (1.0 = full size; 0.02 for a quick run),
// MUNISCOPE_BENCH_STORE (default /tmp/muniscope-national-<scale>.db).
#include <sys/wait.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "connectors/builtin.h"
#include "cli/output.h"
#include "core/tz.h"
#include "daemon/logging.h"
#include "metrics/metrics.h"
#include "store/store.h"

using namespace muni;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string base36(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s += kDigits[v % 36];
    v /= 36;
  } while (v > 0);
  std::reverse(s.begin(), s.end());
  return s;
}

constexpr TimeMs kEnd = 1767225600000;  // 2026-01-01T00:00:00Z

// Writes municipalities, accounts, posts, follower samples and coverage spans
// straight into a fresh store (bulk SQL, one transaction per 200,000 rows).
int64_t generate(const std::string& path, double scale, const std::string& config_path) {
  const int municipalities = std::max(1, static_cast<int>(11000 * scale));
  const int accounts = std::max(1, static_cast<int>(40000 * scale));
  const int64_t target_posts = static_cast<int64_t>(50'000'000 * scale);
  auto store = std::move(*Store::open(path, OpenMode::kReadWrite));
  SQLite::Database& db = store->db();
  db.exec("PRAGMA synchronous = OFF");
  std::mt19937_64 rng(42);
  {
    SQLite::Transaction txn(db);
    SQLite::Statement m(db,
                        "INSERT INTO municipalities (id, name, ags, kind, state, population, "
                        "first_configured_at, updated_at) "
                        "VALUES (?, ?, ?, 'Gemeinde', 'Bayern', ?, 0, 0)");
    for (int i = 0; i < municipalities; ++i) {
      const std::string id = "m" + std::to_string(i);
      char ags[16];
      std::snprintf(ags, sizeof ags, "09%06d", i + 1);
      m.bind(1, id);
      m.bind(2, "Gemeinde " + std::to_string(i));
      m.bind(3, std::string(ags));
      m.bind(4, static_cast<int64_t>(2000 + rng() % 200000));
      m.exec();
      m.reset();
    }
    txn.commit();
  }
  // Accounts spread over municipalities; post counts skewed (a few very
  // active city accounts, many quiet ones), scaled to the target total.
  std::vector<double> weight(static_cast<size_t>(accounts));
  std::exponential_distribution<double> expo(1.0);
  double wsum = 0;
  for (auto& w : weight) wsum += (w = 0.1 + expo(rng));
  const char* platforms[] = {"mastodon", "bluesky", "facebook", "instagram", "youtube", "x"};
  const char* categories[] = {"microblog",      "microblog",         "social_network",
                              "social_network", "content_community", "microblog"};
  std::vector<std::pair<std::string, std::string>> handles;  // (platform, handle) per account
  SQLite::Statement acc(
      db,
      "INSERT INTO accounts (id, municipality_id, platform, category, handle, account_key, "
      "platform_id, "
      "backfill_state, state, first_configured_at, updated_at, created_at) VALUES (?,?,?,?,?,?,?, "
      "'complete', 'ok', 0, 0, ?)");
  SQLite::Statement post(
      db,
      "INSERT INTO posts (account_id, platform_post_id, created_at, kind, parent_author_id, "
      "parent_created_at, mentions, first_seen, last_seen, likes, replies, reposts, text) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?, '')");
  SQLite::Statement sample(
      db, "INSERT INTO account_samples (account_id, observed_at, followers) VALUES (?,?,?)");
  SQLite::Statement span(db,
                         "INSERT INTO coverage_spans (account_id, from_at, to_at) VALUES (?,?,?)");
  int64_t rows = 0, posts = 0, next_id = 1;
  auto txn = std::make_unique<SQLite::Transaction>(db);
  auto tick = [&] {
    if (++rows % 200000 == 0) {
      txn->commit();
      txn = std::make_unique<SQLite::Transaction>(db);
    }
  };
  std::uniform_real_distribution<double> uni(0, 1);
  for (int a = 0; a < accounts; ++a) {
    const int64_t id = a + 1;
    const int municipality = a % municipalities;
    const int pf = static_cast<int>(rng() % 6);
    const TimeMs start =
        kEnd - static_cast<TimeMs>((1 + uni(rng) * 9) * 365 * kDayMs);  // 1 to 10 years of history
    // Handles in canonical form, so the generated config matches the store.
    const std::string plat = platforms[pf];
    const std::string handle = "acc" + std::to_string(a) +
                               (plat == "mastodon"  ? "@m.example"
                                : plat == "bluesky" ? ".bsky.example"
                                                    : "");
    handles.emplace_back(plat, handle);
    acc.bind(1, id);
    acc.bind(2, "m" + std::to_string(municipality));
    acc.bind(3, platforms[pf]);
    acc.bind(4, categories[pf]);
    acc.bind(5, handle);
    acc.bind(6, std::string(platforms[pf]) + ":" + handle);
    acc.bind(7, "p" + std::to_string(a));
    acc.bind(8, static_cast<int64_t>(start));
    acc.exec();
    acc.reset();
    const auto n = static_cast<int64_t>(static_cast<double>(target_posts) *
                                        weight[static_cast<size_t>(a)] / wsum);
    std::vector<TimeMs> times(static_cast<size_t>(n));
    for (auto& t : times)
      t = start + static_cast<TimeMs>(uni(rng) * static_cast<double>(kEnd - start));
    std::sort(times.begin(), times.end());
    for (const TimeMs t : times) {
      const double r = uni(rng);
      const char* kind = r < 0.70   ? "original"
                         : r < 0.85 ? "reply_other"
                         : r < 0.90 ? "reply_self"
                         : r < 0.97 ? "repost"
                                    : "quote";
      post.bind(1, id);
      post.bind(2, base36(static_cast<uint64_t>(next_id++)));
      post.bind(3, static_cast<int64_t>(t));
      post.bind(4, kind);
      if (kind[0] == 'r' && kind[2] == 'p' && kind[6] == 'o') {  // reply_other
        post.bind(5, "citizen");
        post.bind(6, static_cast<int64_t>(t - static_cast<TimeMs>(uni(rng) * 48 * kHourMs)));
      } else if (kind[0] == 'r' && kind[2] == 'p' && kind[3] == 'o') {  // repost
        post.bind(5, "other");
        post.bind(6);
      } else {
        post.bind(5);
        post.bind(6);
      }
      post.bind(7, static_cast<int>(rng() % 10 == 0));
      post.bind(8, static_cast<int64_t>(t));
      post.bind(9, static_cast<int64_t>(t));
      if (kind[2] == 'p' && kind[3] == 'o') {  // reposts carry no counts
        post.bind(10);
        post.bind(11);
        post.bind(12);
      } else {
        if (rng() % 20 == 0) {
          post.bind(10);
        } else {
          post.bind(10, static_cast<int64_t>(rng() % 40));
        }
        post.bind(11, static_cast<int64_t>(rng() % 5));
        post.bind(12, static_cast<int64_t>(rng() % 8));
      }
      post.exec();
      post.reset();
      ++posts;
      tick();
    }
    // Weekly follower samples over the account's life.
    int64_t followers = 50 + static_cast<int64_t>(rng() % 500);
    for (TimeMs t = start; t < kEnd; t += kWeekMs) {
      followers += static_cast<int64_t>(rng() % 20);
      sample.bind(1, id);
      sample.bind(2, static_cast<int64_t>(t));
      sample.bind(3, followers);
      sample.exec();
      sample.reset();
      tick();
    }
    span.bind(1, id);
    span.bind(2, static_cast<int64_t>(start));
    span.bind(3, static_cast<int64_t>(kEnd));
    span.exec();
    span.reset();
  }
  txn->commit();
  db.exec("ANALYZE");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  // The CLI reads a configuration whose municipalities and accounts match.
  std::ofstream cfg(config_path);
  cfg << "defaults: {contact: bench@example.org}\nmunicipalities:\n";
  for (int i = 0; i < municipalities; ++i) {
    cfg << "  - {id: m" << i
        << ", name: G, ags: \"09162000\", kind: Gemeinde, state: BY, accounts: [";
    for (int a = i; a < accounts; a += municipalities) {
      cfg << (a == i ? "" : ", ") << "{platform: " << handles[static_cast<size_t>(a)].first
          << ", handle: \"" << handles[static_cast<size_t>(a)].second << "\"}";
    }
    cfg << "]}\n";
  }
  return posts;
}

}  // namespace

int main() {
  setup_logging("error");
  register_builtin_platforms();
  const char* scale_env = std::getenv("MUNISCOPE_BENCH_SCALE");
  const double scale = scale_env != nullptr ? std::atof(scale_env) : 1.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "/tmp/muniscope-national-%g.db", scale);
  const char* store_env = std::getenv("MUNISCOPE_BENCH_STORE");
  const std::string path = store_env != nullptr ? store_env : buf;
  const std::string config_path = path + ".yaml";
  Table table({{"benchmark"}, {"measure"}, {"result"}, {"target"}});

  if (!std::filesystem::exists(path)) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t posts = generate(path, scale, config_path);
    std::snprintf(buf, sizeof buf, "%.0f s (%.0f posts/s)", seconds_since(t0),
                  static_cast<double>(posts) / seconds_since(t0));
    table.add_row({std::string("generate"),
                   std::string("synthetic store, scale ") + std::to_string(scale), std::string(buf),
                   Cell()});
  }
  auto store = std::move(*Store::open(path, OpenMode::kReadOnly));
  const int64_t posts = store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64();
  const int64_t n_accounts = store->db().execAndGet("SELECT COUNT(*) FROM accounts").getInt64();
  const int64_t n_municipalities =
      store->db().execAndGet("SELECT COUNT(*) FROM municipalities").getInt64();
  std::snprintf(buf, sizeof buf, "%lld municipalities, %lld accounts, %lld posts",
                static_cast<long long>(n_municipalities), static_cast<long long>(n_accounts),
                static_cast<long long>(posts));
  table.add_row({std::string("store"), std::string("contents"), std::string(buf), Cell()});
  std::snprintf(buf, sizeof buf, "%.1f bytes/post (%.2f GB)",
                static_cast<double>(store->file_size_bytes()) / static_cast<double>(posts),
                static_cast<double>(store->file_size_bytes()) / 1e9);
  table.add_row(
      {std::string(""), std::string("size incl. samples and indexes"), std::string(buf), Cell()});

  auto tz = *TimeZone::load("Europe/Berlin");
  const TimeMs from = tz.from_local({2025, 1, 1});
  const TimeMs to = tz.from_local({2026, 1, 1});
  metrics::Query base;
  base.level = metrics::Level::kMunicipality;
  base.periods = metrics::split_periods(from, to, metrics::Granularity::kNone, tz);
  base.options.tz = tz;
  base.options.now = kEnd + kDayMs;
  auto t_load = std::chrono::steady_clock::now();
  auto accounts = *store->load_accounts(true, false);
  const double load_s = seconds_since(t_load);
  std::snprintf(buf, sizeof buf, "%.3f s", load_s);
  table.add_row({std::string("metrics"), std::string("load the account list (once per query)"),
                 std::string(buf), Cell()});

  // One municipality, one year: median of 25.
  std::mt19937 rng(7);
  std::vector<double> one;
  int64_t one_posts = 0;
  for (int i = 0; i < 25; ++i) {
    const std::string m = "m" + std::to_string(rng() % static_cast<unsigned>(n_municipalities));
    metrics::Query q = base;
    for (const auto& a : accounts) {
      if (a.municipality_id == m) q.accounts.push_back(a);
    }
    const auto t0 = std::chrono::steady_clock::now();
    (void)metrics::run_query(*store, q, [&](metrics::Row&& r) {
      one_posts += static_cast<int64_t>(*number_of(r.values["own_posts"]));
    });
    one.push_back(seconds_since(t0) * 1000);
  }
  std::sort(one.begin(), one.end());
  std::snprintf(buf, sizeof buf, "%.1f ms median, %.1f ms max (%lld own posts in 25 runs)",
                one[one.size() / 2], one.back(), static_cast<long long>(one_posts));
  table.add_row({std::string(""), std::string("one municipality, one year"), std::string(buf),
                 std::string("< 50 ms")});

  // All municipalities, one year.
  metrics::Query all = base;
  all.accounts = accounts;
  int64_t rows = 0, own = 0;
  const auto t_all = std::chrono::steady_clock::now();
  (void)metrics::run_query(*store, all, [&](metrics::Row&& r) {
    ++rows;
    own += static_cast<int64_t>(*number_of(r.values["own_posts"]));
  });
  std::snprintf(buf, sizeof buf, "%.1f s (%lld rows, %lld own posts in 2025)", seconds_since(t_all),
                static_cast<long long>(rows), static_cast<long long>(own));
  table.add_row({std::string(""), std::string("all municipalities, one year"), std::string(buf),
                 std::string("< 30 s")});

  // The CLI end to end, for one municipality.
  if (std::filesystem::exists(config_path)) {
    const std::string cmd =
        std::string(MUNISCOPE_BINARY) +
        " metrics --municipality m1 --from 2025-01-01 --to 2025-12-31 --format csv -c " +
        config_path + " --db " + path + " > /dev/null";
    const auto t0 = std::chrono::steady_clock::now();
    const int status = std::system(cmd.c_str());
    std::snprintf(buf, sizeof buf, "%.2f s (exit %d)", seconds_since(t0), WEXITSTATUS(status));
    table.add_row({std::string(""), std::string("`muniscope metrics` end to end, one municipality"),
                   std::string(buf), std::string("(config parse included)")});
  }
  // Retention as the daemon runs it: bounded steps between turns of its event
  // loop. The longest step is how long HTTP waits at worst.
  {
    store.reset();
    auto rw = std::move(*Store::open(path, OpenMode::kReadWrite));
    RetentionPass pass(RetentionSettings{}, kEnd + kDayMs);
    std::vector<double> steps;
    const auto t0 = std::chrono::steady_clock::now();
    while (!pass.done()) {
      const auto ts = std::chrono::steady_clock::now();
      if (auto st = rw->retention_step(pass, kRetentionSamplesPerStep); !st.ok()) {
        std::fprintf(stderr, "retention: %s\n", st.error().message.c_str());
        return 1;
      }
      steps.push_back(seconds_since(ts) * 1000);
    }
    std::sort(steps.begin(), steps.end());
    std::snprintf(buf, sizeof buf, "%.1f s in %zu steps; step median %.1f ms, max %.1f ms",
                  seconds_since(t0), steps.size(), steps[steps.size() / 2], steps.back());
    table.add_row({std::string("retention"),
                   std::string("daemon pass, ") + std::to_string(kRetentionSamplesPerStep) +
                       " samples per step",
                   std::string(buf), std::string("step < 250 ms")});
  }
  std::fputs(table.render_table().c_str(), stdout);
  return 0;
}
