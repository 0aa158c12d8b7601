// Engine benchmarks, printed as a table (make bench):
//
//  (a) poll cycle: N accounts (default 10,000) on one loopback host that
//      answers every request after 50 ms; how long until every account was
//      polled once, against the concurrency bound N x 50 ms / per-host cap.
//      The server runs in a forked child process, so CPU time and RSS are the
//      engine's alone.
//  (b) ingest: posts per second from recorded-shape pages (the Mastodon and
//      Bluesky fixtures, multiplied to full pages with fresh ids) parsed and
//      committed to a store, one transaction per page.
//  (c) idle: CPU and RSS of the engine loop with all N accounts configured
//      and nothing due, as the daemon sits between polls.
//  (d) rate-limited backfill: 60 histories from a server that allows 300
//      requests per 10 s, against the budget's bound.
//  (e) skewed backfill: 60 histories on 5 hosts, one with 100x the pages of
//      the others, against the physical bound (the longest page chain).
//
// Environment: MUNISCOPE_BENCH_ACCOUNTS (10000), MUNISCOPE_BENCH_CAP (32),
// MUNISCOPE_BENCH_IDLE_S (10), MUNISCOPE_BENCH_ONLY (letters, e.g. "e").
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <fstream>
#include <string>
#include <thread>

#include "connectors/builtin.h"
#include "cli/output.h"
#include "config/config.h"
#include "connectors/bluesky/bluesky_parse.h"
#include "connectors/mastodon/mastodon_parse.h"
#include "core/clock.h"
#include "core/json.h"
#include "daemon/logging.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_connector.h"
#include "toy_world.h"

using namespace muni;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int64_t peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// VmHWM: the peak since start or since the last reset through clear_refs.
int64_t hwm_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

int64_t current_rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Starts the toy platform server in a child process; returns its port.
pid_t start_server(int accounts, int latency_ms, int* port) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto world = std::make_unique<test::ToyWorld>();
    for (int i = 0; i < accounts; ++i)
      world->add_posts("user" + std::to_string(i), 3, 1700000000000);
    test::LoopbackServer server([&](const HttpRequest& r) { return world->handle(r); }, 128);
    server.set_latency_ms(latency_ms);
    const int p = server.port();
    if (write(fds[1], &p, sizeof p) != static_cast<ssize_t>(sizeof p)) std::exit(1);
    close(fds[1]);
    pause();  // until the parent kills us
    std::exit(0);
  }
  close(fds[1]);
  if (read(fds[0], port, sizeof *port) != static_cast<ssize_t>(sizeof *port)) std::exit(1);
  close(fds[0]);
  return pid;
}

// (d): a server that allows `limit` requests per `window_s` seconds (fixed
// windows aligned to the epoch, as Bluesky's RateLimit-* headers describe
// them: Reset in whole epoch seconds, Policy "limit;w=window") and answers
// 429 beyond that; every account has `posts` posts to backfill.
pid_t start_limited_server(int accounts, int posts, int limit, int window_s, int* port) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto world = std::make_unique<test::ToyWorld>();
    for (int i = 0; i < accounts; ++i)
      world->add_posts("hist" + std::to_string(i), posts, 1700000000000);
    std::mutex mu;
    int64_t window_start = 0;
    int used = 0;
    test::LoopbackServer server(
        [&](const HttpRequest& r) {
          int64_t start = 0;
          int remaining = 0;
          bool refused = false;
          {
            std::lock_guard<std::mutex> lock(mu);
            const int64_t now_s = std::time(nullptr);
            start = now_s - now_s % window_s;
            if (start != window_start) window_start = start, used = 0;
            refused = used >= limit;
            if (!refused) ++used;
            remaining = limit - used;
          }
          HttpResponse out;
          if (refused) {
            out.status = 429;
            out.body = "{\"error\":\"RateLimitExceeded\"}";
          } else {
            out = world->handle(r);
          }
          out.headers.push_back({"RateLimit-Limit", std::to_string(limit)});
          out.headers.push_back({"RateLimit-Remaining", std::to_string(remaining)});
          out.headers.push_back({"RateLimit-Reset", std::to_string(start + window_s)});
          out.headers.push_back(
              {"RateLimit-Policy", std::to_string(limit) + ";w=" + std::to_string(window_s)});
          return out;
        },
        32);
    const int p = server.port();
    if (write(fds[1], &p, sizeof p) != static_cast<ssize_t>(sizeof p)) std::exit(1);
    close(fds[1]);
    pause();
    std::exit(0);
  }
  close(fds[1]);
  if (read(fds[0], port, sizeof *port) != static_cast<ssize_t>(sizeof *port)) std::exit(1);
  close(fds[0]);
  return pid;
}

struct Row {
  std::string bench, metric, value, target;
};

// (e): loopback servers in one child process, one per host, answering after
// `latency_ms` from one toy world that reports every user's post count (as
// a profile's statuses_count does). Writes each server's port to `ports`.
pid_t start_history_servers(const std::vector<std::pair<std::string, int>>& users, int hosts,
                            int latency_ms, std::vector<int>* ports) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto world = std::make_unique<test::ToyWorld>();
    world->set_report_counts(true);
    for (const auto& [user, posts] : users) world->add_posts(user, posts, 1700000000000);
    std::vector<std::unique_ptr<test::LoopbackServer>> servers;
    for (int h = 0; h < hosts; ++h) {
      servers.push_back(std::make_unique<test::LoopbackServer>(
          [&](const HttpRequest& r) { return world->handle(r); }, 16));
      servers.back()->set_latency_ms(latency_ms);
      const int p = servers.back()->port();
      if (write(fds[1], &p, sizeof p) != static_cast<ssize_t>(sizeof p)) std::exit(1);
    }
    close(fds[1]);
    pause();  // until the parent kills us
    std::exit(0);
  }
  close(fds[1]);
  for (int h = 0; h < hosts; ++h) {
    int p = 0;
    if (read(fds[0], &p, sizeof p) != static_cast<ssize_t>(sizeof p)) std::exit(1);
    ports->push_back(p);
  }
  close(fds[0]);
  return pid;
}

// (e) skewed backfill, as a new user runs it (poll --once over accounts
// with their whole history): 60 accounts on 5 hosts (one with 20 accounts,
// as a Bluesky AppView serves many, and four instances with 10) at 4
// connections each, every request answered after `latency_ms`. 59
// histories have 2 pages below their first one; one has 100x that, on the
// host with 20 accounts, configured (so polled) last. Nothing can end
// before that account's chain of requests, one after the other, nor before
// the busiest host's requests over its 4 connections: the physical bound is
// the longer of the two. Before issue 21 backfill was served in turns and
// the long chain waited behind the short ones.
void skewed_backfill(int latency_ms, const std::string& dir, const Clock& clock, Random& random,
                     std::vector<Row>& rows) {
  constexpr int kHosts = 5, kCap = 4, kShortPages = 2, kFactor = 100;
  const int host_accounts[kHosts] = {20, 10, 10, 10, 10};
  const int short_posts = (1 + kShortPages) * test::kTestPageSize;
  const int long_posts = (1 + kShortPages * kFactor) * test::kTestPageSize;
  std::vector<std::pair<std::string, int>> users;  // (user, posts), host by host
  std::vector<int> host_of;
  for (int h = 0; h < kHosts; ++h) {
    for (int i = 0; i < host_accounts[h]; ++i) {
      const bool is_long = h == 0 && i == host_accounts[h] - 1;
      users.emplace_back("h" + std::to_string(h) + "u" + std::to_string(i),
                         is_long ? long_posts : short_posts);
      host_of.push_back(h);
    }
  }
  std::vector<int> ports;
  const pid_t servers = start_history_servers(users, kHosts, latency_ms, &ports);
  {
    // One account per municipality, in the order above: the long history
    // is configured (and so polled) last on its host.
    std::ofstream cfg(dir + "/skewed.yaml");
    cfg << "defaults: {contact: bench@example.org, max_connections_per_host: " << kCap << "}\n"
        << "municipalities:\n";
    for (size_t i = 0; i < users.size(); ++i) {
      const std::string id = (i < 10 ? "s0" : "s") + std::to_string(i);
      cfg << "  - {id: " << id << ", name: S, ags: \"08231000\", kind: Stadt, state: BW, "
          << "accounts: [{platform: toy, handle: \"http://127.0.0.1:" << ports[host_of[i]] << "/"
          << users[i].first << "\"}]}\n";
    }
  }
  ConfigLoad load = load_config(dir + "/skewed.yaml");
  if (!load.config) {
    std::fprintf(stderr, "bench config invalid: %s\n", load.errors[0].format().c_str());
    kill(servers, SIGKILL);
    waitpid(servers, nullptr, 0);
    return;
  }
  auto store = std::move(*Store::open(dir + "/skewed.db", OpenMode::kReadWrite));
  (void)store->sync_config(*load.config, clock.now());
  ConnectorRegistry registry;
  registry.add(test::make_test_connector("toy"));
  CurlTransportOptions topts;
  topts.allow_private_addresses = true;
  topts.max_connections_per_host = kCap;
  CurlTransport transport(topts);
  Engine engine(clock, random, transport, *store, registry,
                EngineOptions::from_config(*load.config));
  (void)engine.load(*load.config);
  std::vector<int64_t> ids;
  for (const auto& a : *store->load_accounts(true)) ids.push_back(a.id);
  const TimeMs wall0 = clock.now();
  const auto t0 = std::chrono::steady_clock::now();
  engine.start_once(ids, true);
  while (!engine.once_finished() && seconds_since(t0) < 600) engine.step(100);
  const double wall = seconds_since(t0);
  kill(servers, SIGKILL);
  waitpid(servers, nullptr, 0);
  // Where the long chain's time went, from the poll log: when its first
  // page started (fresh polls go first), how long its requests were out
  // (server latency and HTTP), and what passed between an answer and the
  // next page's request (the commit, bookkeeping, any wait in the queue).
  SQLite::Statement chain_q(store->db(),
                            "SELECT p.work, p.started_at, p.ended_at FROM poll_log p JOIN "
                            "accounts a ON a.id = p.account_id WHERE a.handle LIKE ? "
                            "ORDER BY p.started_at");
  chain_q.bind(1, "%/" + users[static_cast<size_t>(host_accounts[0]) - 1].first);
  TimeMs first_page = 0, last_answer = 0;
  DurationMs out_ms = 0, pages_out_ms = 0;
  int64_t chain_units = 0;
  while (chain_q.executeStep()) {
    const TimeMs started = chain_q.getColumn(1).getInt64();
    const TimeMs ended = chain_q.getColumn(2).getInt64();
    out_ms += ended - started;
    ++chain_units;
    if (chain_q.getColumn(0).getString() != "backfill") continue;
    if (first_page == 0) first_page = started;
    last_answer = ended;
    pages_out_ms += ended - started;
  }
  const double first_page_s = static_cast<double>(first_page - wall0) / 1000.0;
  const double between_s = static_cast<double>(last_answer - first_page - pages_out_ms) / 1000.0;
  const double request_ms =
      chain_units > 0 ? static_cast<double>(out_ms) / static_cast<double>(chain_units) : 0.0;
  int64_t busiest = 0;
  for (const auto& h : engine.host_status()) busiest = std::max(busiest, h.requests_total);
  // The long account's chain: its poll, then one request per older page.
  const int chain = 1 + kShortPages * kFactor;
  const double chain_s = chain * latency_ms / 1000.0;
  const double host_s = static_cast<double>(busiest) * latency_ms / 1000.0 / kCap;
  const double bound = std::max(chain_s, host_s);
  const int64_t stored = store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64();
  int64_t expected = 0;
  for (const auto& [user, posts] : users) expected += posts;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.2f s", wall);
  std::string layout;
  for (const int n : host_accounts) layout += (layout.empty() ? "" : "/") + std::to_string(n);
  rows.push_back({"(e) skewed backfill",
                  "wall time, " + std::to_string(users.size()) + " accounts on " +
                      std::to_string(kHosts) + " hosts (" + layout + "), 1 with " +
                      std::to_string(kFactor) + "x the pages",
                  buf, ""});
  std::snprintf(buf, sizeof buf, "%.2f s (x%.2f)", bound, wall / bound);
  rows.push_back({"",
                  "physical bound: longest chain " + std::to_string(chain) + " x " +
                      std::to_string(latency_ms) + " ms (busiest host " + std::to_string(busiest) +
                      " requests / " + std::to_string(kCap) + " conns)",
                  buf, "<= x1.10"});
  std::snprintf(buf, sizeof buf, "%.2f s", first_page_s);
  rows.push_back({"", "longest chain: its first page after (fresh polls go first)", buf, ""});
  std::snprintf(buf, sizeof buf, "%.2f s (%.1f ms each) / %.2f s",
                static_cast<double>(out_ms) / 1000.0, request_ms, between_s);
  rows.push_back({"",
                  "longest chain: its " + std::to_string(chain_units) +
                      " requests out / time between its pages",
                  buf, ""});
  // The bound at the request time this run measured (50 ms of server
  // latency plus HTTP on a loaded machine): what is left above it is the
  // engine's own, the schedule and the work between pages.
  const double measured_bound = chain * request_ms / 1000.0;
  std::snprintf(buf, sizeof buf, "%.2f s (x%.2f)", measured_bound, wall / measured_bound);
  rows.push_back({"",
                  "longest chain at this run's time a request (" + std::to_string(chain) + " x " +
                      std::to_string(static_cast<int>(request_ms + 0.5)) + " ms)",
                  buf, ""});
  std::snprintf(buf, sizeof buf, "%lld of %lld", static_cast<long long>(stored),
                static_cast<long long>(expected));
  rows.push_back({"", "posts stored", buf, "all"});
}

}  // namespace

int main() {
  setup_logging("error");
  register_builtin_platforms();
  test::register_toy_platforms();  // the benchmark's own platform ("toy")
  const int accounts = env_int("MUNISCOPE_BENCH_ACCOUNTS", 10000);
  const int cap = env_int("MUNISCOPE_BENCH_CAP", 32);
  const int idle_seconds = env_int("MUNISCOPE_BENCH_IDLE_S", 10);
  const int latency_ms = env_int("MUNISCOPE_BENCH_LATENCY_MS", 50);
  std::vector<Row> rows;
  char buf[128];

  // MUNISCOPE_BENCH_ONLY picks benchmarks by letter ("e", "bd"); (a) and
  // (c) run together. All of them by default.
  const char* only = std::getenv("MUNISCOPE_BENCH_ONLY");
  auto wanted = [&](char c) {
    return only == nullptr || *only == '\0' || std::strchr(only, c) != nullptr;
  };
  const bool run_poll_cycle = wanted('a') || wanted('c');

  // --- (a) poll cycle ---------------------------------------------------
  // (The configuration is written whatever runs: (b) stores into it. Port
  // 9 stands in when no server runs; nothing is sent to it.)
  int port = 9;
  const pid_t server = run_poll_cycle ? start_server(accounts, latency_ms, &port) : 0;
  const std::string dir = "/tmp/muniscope-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  // The configuration as docs/configuration.md recommends for a national
  // study: a main file and one included file per Land (16 here).
  constexpr int kFiles = 16;
  std::filesystem::create_directories(dir + "/municipalities.d");
  {
    std::ofstream main_file(dir + "/bench.yaml");
    main_file << "defaults: {contact: bench@example.org, poll_interval: 1h, "
                 "max_connections_per_host: "
              << cap << ", refresh_interval: 24h}\nplatforms:\n  toy:\n    base_url: "
              << "http://127.0.0.1:" << port << "\ninclude:\n  - municipalities.d/*.yaml\n";
    const int municipalities = accounts / 4;
    const int per_file = (municipalities + kFiles - 1) / kFiles;
    for (int f = 0; f < kFiles; ++f) {
      std::ofstream part(dir + "/municipalities.d/land" + std::to_string(f) + ".yaml");
      part << "municipalities:\n";
      for (int m = f * per_file; m < std::min(municipalities, (f + 1) * per_file); ++m) {
        part << "  - {id: m" << m << ", name: M, ags: \"08231000\", kind: Stadt, state: BW, "
             << "accounts: [";
        for (int k = 0; k < 4; ++k) {
          part << (k ? ", " : "") << "{platform: toy, handle: user" << m * 4 + k << "}";
        }
        part << "]}\n";
      }
    }
  }
  ConfigLoad load = load_config(dir + "/bench.yaml");
  if (!load.config) {
    std::fprintf(stderr, "bench config invalid: %s\n", load.errors[0].format().c_str());
    if (server > 0) {
      kill(server, SIGKILL);  // the forked server would otherwise outlive us
      waitpid(server, nullptr, 0);
    }
    return 1;
  }
  SystemClock clock;
  SystemRandom random;
  if (run_poll_cycle) {
    auto store = std::move(*Store::open(dir + "/bench.db", OpenMode::kReadWrite));
    (void)store->sync_config(*load.config, clock.now());
    ConnectorRegistry registry;
    registry.add(test::make_test_connector("toy"));
    CurlTransportOptions topts;
    topts.allow_private_addresses = true;  // the fake platforms are on loopback
    topts.max_connections_per_host = cap;
    CurlTransport transport(topts);
    Engine engine(clock, random, transport, *store, registry,
                  EngineOptions::from_config(*load.config));
    (void)engine.load(*load.config);
    malloc_trim(0);  // as the daemon does after reading its config
    const int64_t rss_before = current_rss_kb();
    const int64_t peak_with_config_kb = peak_rss_kb();
    // Reset the high-water mark (Linux >= 4.0) so the cycle's own peak shows.
    const bool hwm_reset = static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5");
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    auto polled = [&] {
      int64_t n = 0;
      for (const auto& [key, count] : engine.counters().polls) n += count;
      return n;
    };
    while (polled() < accounts) engine.step(100);
    const double wall = seconds_since(t0);
    const double cpu = cpu_seconds() - cpu0;
    const double bound = accounts * latency_ms / 1000.0 / cap;
    const int64_t requests = engine.counters().requests;
    std::snprintf(buf, sizeof buf, "%.2f s", wall);
    rows.push_back(
        {"(a) poll cycle", "wall time, " + std::to_string(accounts) + " accounts", buf, ""});
    std::snprintf(buf, sizeof buf, "%.2f s (x%.2f)", bound, wall / bound);
    rows.push_back(
        {"", "concurrency bound N*50ms/cap(" + std::to_string(cap) + ")", buf, "<= x2.00"});
    std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(requests) / wall);
    rows.push_back({"", "requests/s", buf, ""});
    std::snprintf(buf, sizeof buf, "%.2f s", cpu);
    rows.push_back({"", "CPU seconds (engine process)", buf, ""});
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(peak_with_config_kb) / 1024.0);
    rows.push_back({"", "peak RSS incl. loading the config (16 files)", buf, "< 64 MB"});
    if (hwm_reset) {
      std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(hwm_kb()) / 1024.0);
      rows.push_back({"", "peak RSS during the poll cycle", buf, "< 64 MB"});
    }

    // --- (c) idle ---------------------------------------------------------
    const double idle_cpu0 = cpu_seconds();
    const auto idle_t0 = std::chrono::steady_clock::now();
    while (seconds_since(idle_t0) < idle_seconds) engine.step(1000);
    const double idle_cpu = cpu_seconds() - idle_cpu0;
    std::snprintf(buf, sizeof buf, "%.2f %% of a core", 100.0 * idle_cpu / seconds_since(idle_t0));
    rows.push_back(
        {"(c) idle", "CPU, " + std::to_string(accounts) + " accounts, nothing due", buf, ""});
    std::snprintf(buf, sizeof buf, "%.1f MB (%.1f MB before polling)",
                  static_cast<double>(current_rss_kb()) / 1024.0,
                  static_cast<double>(rss_before) / 1024.0);
    rows.push_back({"", "RSS", buf, "< 64 MB"});
    kill(server, SIGKILL);
    waitpid(server, nullptr, 0);
  }

  // --- (b) ingest ---------------------------------------------------------
  if (wanted('b')) {
    auto read = [](const std::string& rel) {
      std::ifstream in(std::string(MUNISCOPE_SOURCE_DIR) + "/tests/fixtures/" + rel);
      return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    const std::string mastodon_page = read("mastodon/statuses_mixed_page.json");
    const std::string bluesky_page = read("bluesky/getAuthorFeed_mixed.json");
    auto ingest_store = std::move(*Store::open(dir + "/ingest.db", OpenMode::kReadWrite));
    (void)ingest_store->sync_config(*load.config, clock.now());
    const int64_t account_id = ingest_store->load_accounts(true)->front().id;
    const int pages = 2500;
    int64_t posts = 0;
    double parse_s = 0;
    const auto i0 = std::chrono::steady_clock::now();
    for (int p = 0; p < pages; ++p) {
      const auto ps = std::chrono::steady_clock::now();
      Page page;
      // A 40-status Mastodon page and a 100-entry Bluesky page, from the
      // fixtures' shapes, each post with a fresh id.
      auto m = mastodon::parse_statuses(mastodon_page, "109318765432109876");
      auto b = bluesky::parse_author_feed(bluesky_page, "did:plc:mustrstadt2345abcdefghij");
      parse_s += seconds_since(ps);
      for (int k = 0; k < 5; ++k) {
        for (const PostRecord& r : m->posts) {
          page.batch.posts.push_back(r);
          page.batch.posts.back().platform_post_id =
              "m" + std::to_string(p) + "-" + std::to_string(k) + "-" + r.platform_post_id;
        }
      }
      page.cursor = "{\"newest\":\"" + std::to_string(p) + "\"}";
      (void)ingest_store->commit_page(account_id, page, clock.now());
      posts += static_cast<int64_t>(page.batch.posts.size());
      Page bpage;
      for (int k = 0; k < 9; ++k) {
        for (const auto& item : b->items) {
          bpage.batch.posts.push_back(item.post);
          bpage.batch.posts.back().platform_post_id =
              "b" + std::to_string(p) + "-" + std::to_string(k) + "-" + item.key;
        }
      }
      bpage.cursor = "{\"back\":\"" + std::to_string(p) + "\"}";
      (void)ingest_store->commit_page(account_id, bpage, clock.now());
      posts += static_cast<int64_t>(bpage.batch.posts.size());
    }
    const double ingest_s = seconds_since(i0);
    std::snprintf(buf, sizeof buf, "%.0f posts/s", static_cast<double>(posts) / ingest_s);
    rows.push_back({"(b) ingest",
                    "parse + commit, " + std::to_string(posts) + " posts in " +
                        std::to_string(2 * pages) + " pages",
                    buf, ">= 50,000"});
    std::snprintf(buf, sizeof buf, "%.0f posts/s",
                  static_cast<double>(posts) / (ingest_s - parse_s));
    rows.push_back({"", "commit only", buf, ""});
    std::snprintf(
        buf, sizeof buf, "%.0f bytes/post",
        static_cast<double>(ingest_store->file_size_bytes()) / static_cast<double>(posts));
    rows.push_back({"", "store size (with texts)", buf, ""});
  }
  // --- (d) rate-limited backfill -----------------------------------------
  // 30 municipalities (60 accounts) backfill their whole history from one
  // server that allows 300 requests per 10 s. The bound is what the budget
  // allows: requests / (300 / 10 s).
  if (wanted('d')) {
    const int hist_accounts = env_int("MUNISCOPE_BENCH_LIMITED_ACCOUNTS", 60);
    const int hist_posts = env_int("MUNISCOPE_BENCH_LIMITED_POSTS", 400);
    constexpr int kLimit = 300, kWindowS = 10;
    int lport = 0;
    const pid_t limited = start_limited_server(hist_accounts, hist_posts, kLimit, kWindowS, &lport);
    std::ofstream cfg(dir + "/limited.yaml");
    cfg << "defaults: {contact: bench@example.org, max_connections_per_host: 8}\n"
        << "platforms:\n  toy:\n    base_url: http://127.0.0.1:" << lport << "\n"
        << "municipalities:\n";
    for (int m = 0; m < hist_accounts / 2; ++m) {
      cfg << "  - {id: h" << m << ", name: H, ags: \"08231000\", kind: Stadt, state: BW, "
          << "accounts: [{platform: toy, handle: hist" << 2 * m << "}, {platform: toy, handle: hist"
          << 2 * m + 1 << "}]}\n";
    }
    cfg.close();
    ConfigLoad lload = load_config(dir + "/limited.yaml");
    auto lstore = std::move(*Store::open(dir + "/limited.db", OpenMode::kReadWrite));
    (void)lstore->sync_config(*lload.config, clock.now());
    ConnectorRegistry lreg;
    lreg.add(test::make_test_connector("toy"));
    CurlTransportOptions lopts;
    lopts.allow_private_addresses = true;
    CurlTransport ltransport(lopts);
    Engine lengine(clock, random, ltransport, *lstore, lreg,
                   EngineOptions::from_config(*lload.config));
    (void)lengine.load(*lload.config);
    std::vector<int64_t> ids;
    for (const auto& a : *lstore->load_accounts(true)) ids.push_back(a.id);
    // Start at the beginning of a server window, so that the bound below is
    // exact: the first window's 300 requests at once, then one window of
    // waiting per further 300.
    {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      std::this_thread::sleep_for(std::chrono::milliseconds(kWindowS * 1000 - ms % (kWindowS * 1000)));
    }
    const auto l0 = std::chrono::steady_clock::now();
    lengine.start_once(ids, true);
    while (!lengine.once_finished() && seconds_since(l0) < 600) lengine.step(100);
    const double lwall = seconds_since(l0);
    int64_t refused = 0, lrequests = 0;
    for (const auto& h : lengine.host_status()) {
      refused += h.rate_limited_total;
      lrequests += h.requests_total;
    }
    const int64_t stored = lstore->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64();
    // The budget bound: all requests in ceil(n / 300) windows, the last
    // one opening (windows - 1) x 10 s after the start.
    const int64_t served = lrequests - refused;
    const double lbound = static_cast<double>((served + kLimit - 1) / kLimit - 1) * kWindowS;
    kill(limited, SIGKILL);
    waitpid(limited, nullptr, 0);
    std::snprintf(buf, sizeof buf, "%.1f s", lwall);
    rows.push_back({"(d) rate-limited backfill",
                    "wall time, " + std::to_string(hist_accounts) + " accounts x " +
                        std::to_string(hist_posts) + " posts, 300 req/10 s",
                    buf, ""});
    std::snprintf(buf, sizeof buf, "%.1f s (x%.2f)", lbound, lwall / lbound);
    rows.push_back({"", "budget bound: " + std::to_string(served) + " requests, windows of 300",
                    buf, "<= x2.00"});
    rows.push_back({"", "requests answered 429 (sent while limited)", std::to_string(refused), "0"});
    std::snprintf(buf, sizeof buf, "%lld of %lld", static_cast<long long>(stored),
                  static_cast<long long>(hist_accounts) * hist_posts);
    rows.push_back({"", "posts stored", buf, "all"});
  }
  if (wanted('e')) skewed_backfill(latency_ms, dir, clock, random, rows);
  std::filesystem::remove_all(dir);

  Table t({{"benchmark"}, {"measure"}, {"result"}, {"target"}});
  for (const Row& r : rows) t.add_row({r.bench, r.metric, r.value, r.target});
  std::fputs(t.render_table().c_str(), stdout);
  return 0;
}
