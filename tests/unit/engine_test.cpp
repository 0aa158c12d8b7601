// The engine in virtual time: the simulated transport answers from a toy
// world and advances a fake clock, so hours of scheduling run in
// milliseconds and every timing assertion is exact.
#include <doctest/doctest.h>

#include <cstdlib>
#include <set>

#include <SQLiteCpp/Statement.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "core/strings.h"
#include "daemon/self_metrics.h"
#include "engine/engine.h"
#include "simulated_transport.h"
#include "test_connector.h"
#include "test_support.h"
#include "toy_world.h"

using namespace muni;
using namespace muni::test;

namespace {

struct Harness {
  explicit Harness(const std::string& extra_yaml = "", DurationMs latency = 50, double jitter = 0.5)
      : random(jitter),
        transport(
            clock, [this](const HttpRequest& r) { return world.handle(r); }, latency) {
    yaml =
        "defaults:\n  contact: team@example.org\n  poll_interval: 1h\n  max_connections_per_host: "
        "4\n"
        "platforms:\n  toy:\n    base_url: http://toy.test\n" +
        extra_yaml;
  }

  void add_municipality(const std::string& id, const std::vector<std::string>& handles,
                        const std::string& platform = "toy") {
    municipalities += "  - id: " + id + "\n    name: " + id +
                      "\n    ags: \"08231000\"\n    kind: kreisfreie Stadt\n"
                      "    state: BW\n    accounts:\n";
    for (const auto& h : handles)
      municipalities += "      - {platform: " + platform + ", handle: \"" + h + "\"}\n";
  }

  void start(ConnectorRegistry reg = {}) {
    ConfigLoad load =
        load_config_from_string(yaml + "municipalities:\n" + municipalities, "engine-test.yaml");
    for (const auto& e : load.errors) FAIL(e.format());
    config = *load.config;
    auto s = Store::open(dir.file("engine.db"), OpenMode::kReadWrite);
    REQUIRE(s.ok());
    store = std::move(*s);
    REQUIRE(store->sync_config(config, clock.now()).ok());
    if (reg.platforms().empty()) reg.add(make_test_connector("toy"));
    registry = std::move(reg);
    EngineOptions options = EngineOptions::from_config(config);
    engine = std::make_unique<Engine>(clock, random, transport, *store, registry, options);
    REQUIRE(engine->load(config).ok());
  }

  // Runs the loop for `d` of virtual time.
  void run_for(DurationMs d) {
    const TimeMs end = clock.now() + d;
    while (clock.now() < end)
      engine->step(static_cast<int>(std::min<DurationMs>(end - clock.now(), 60'000)));
  }

  // The same on monotonic time, for tests that step the wall clock.
  void run_ticks(DurationMs d) {
    const TimeMs end = clock.monotonic() + d;
    while (clock.monotonic() < end)
      engine->step(static_cast<int>(std::min<DurationMs>(end - clock.monotonic(), 60'000)));
  }

  StoredAccount account(const std::string& handle) { return *store->find_account("toy:" + handle); }
  int64_t posts(const std::string& handle) {
    SQLite::Statement q(store->db(), "SELECT COUNT(*) FROM posts WHERE account_id = ?");
    q.bind(1, account(handle).id);
    q.executeStep();
    return q.getColumn(0).getInt64();
  }
  // The stored post ids, ascending, to compare with the world's own list.
  std::vector<std::string> stored_ids(const std::string& handle) {
    SQLite::Statement q(store->db(),
                        "SELECT platform_post_id FROM posts WHERE account_id = ? AND deleted_at IS "
                        "NULL ORDER BY CAST(platform_post_id AS INTEGER)");
    q.bind(1, account(handle).id);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  }
  std::vector<TimeMs> request_times(const std::string& needle) const {
    std::vector<TimeMs> out;
    for (const auto& s : transport.sent()) {
      if (s.request.url.find(needle) != std::string::npos) out.push_back(s.at);
    }
    return out;
  }

  std::vector<TimeMs> request_ticks(const std::string& needle) const {
    std::vector<TimeMs> out;
    for (const auto& s : transport.sent()) {
      if (s.request.url.find(needle) != std::string::npos) out.push_back(s.tick);
    }
    return out;
  }

  TempDir dir;
  FakeClock clock;
  FixedRandom random;
  ToyWorld world;
  SimulatedTransport transport;
  std::string yaml;
  std::string municipalities;
  Config config;
  std::unique_ptr<Store> store;
  ConnectorRegistry registry;
  std::unique_ptr<Engine> engine;
};

}  // namespace

TEST_CASE(
    "engine: first poll, backfill of the history, then incremental polls without loss or "
    "duplicates") {
  Harness h;
  h.world.add_posts("anna", 50, h.clock.now() - 100 * kDayMs);
  h.add_municipality("m1", {"anna"});
  h.start();
  h.run_for(10 * kMinuteMs);
  CHECK(h.posts("anna") == 50);
  CHECK(h.stored_ids("anna") == h.world.post_ids("anna"));
  const StoredAccount a = h.account("anna");
  CHECK(a.state_id() == "ok");
  CHECK(a.backfill_state == BackfillState::kComplete);
  CHECK(h.request_times("before=").size() == 2);  // 30 older posts in pages of 20
  h.world.add_posts("anna", 25, h.clock.now());
  h.run_for(2 * kHourMs);
  CHECK(h.posts("anna") == 75);
  CHECK(h.stored_ids("anna") == h.world.post_ids("anna"));  // no loss, no duplicate
  // Polls keep their rhythm: one per interval after the first.
  const auto polls = h.request_times("since=");
  REQUIRE(polls.size() >= 3);
  CHECK(h.store->db().execAndGet("SELECT COUNT(*) FROM poll_log WHERE outcome = 'ok'").getInt() >=
        3);
}

TEST_CASE("engine: polls spread over the interval by a deterministic offset per account") {
  Harness h;
  std::vector<std::string> users;
  for (int i = 0; i < 60; ++i) {
    users.push_back("user" + std::to_string(i));
    h.world.add_posts(users.back(), 1, h.clock.now() - kDayMs);
  }
  h.add_municipality("m1", users);
  h.start();
  h.run_for(5 * kMinuteMs);
  std::set<TimeMs> next;
  const TimeMs now = h.clock.now();
  for (const auto& u : users) {
    const StoredAccount a = h.account(u);
    REQUIRE(a.runtime.next_due_at.has_value());
    CHECK(*a.runtime.next_due_at > now - 5 * kMinuteMs);
    CHECK(*a.runtime.next_due_at <= now + kHourMs);
    next.insert(*a.runtime.next_due_at % kHourMs);
  }
  CHECK(next.size() >= 55);  // spread, not all at one instant
  // The offset depends only on the account key: a second engine agrees.
  Harness h2;
  h2.clock.set(h.clock.now() - 5 * kMinuteMs);
  for (const auto& u : users) h2.world.add_posts(u, 1, h2.clock.now() - kDayMs);
  h2.add_municipality("m1", users);
  h2.start();
  h2.run_for(5 * kMinuteMs);
  for (const auto& u : users)
    CHECK(h2.account(u).runtime.next_due_at == h.account(u).runtime.next_due_at);
}

TEST_CASE("engine: at most max_connections_per_host requests per host at once") {
  Harness h("", 200);
  std::vector<std::string> users, others;
  for (int i = 0; i < 30; ++i) {
    users.push_back("u" + std::to_string(i));
    h.world.add_posts(users.back(), 3, h.clock.now() - kDayMs);
    others.push_back("http://other.test/o" + std::to_string(i));
    h.world.add_posts("o" + std::to_string(i), 3, h.clock.now() - kDayMs);
  }
  h.add_municipality("m1", users);
  h.add_municipality("m2", others);
  h.start();
  h.run_for(10 * kMinuteMs);
  CHECK(h.transport.peak_in_flight("toy.test") == 4);
  CHECK(h.transport.peak_in_flight("other.test") == 4);
  CHECK(h.posts("u29") == 3);
  CHECK(*h.store->find_account("toy:http://other.test/o29").value().runtime.last_success_at > 0);
}

TEST_CASE("engine: a 429 holds its host until Retry-After, other hosts carry on") {
  Harness h;
  h.world.add_posts("slow", 5, h.clock.now() - kDayMs);
  h.world.add_posts("o1", 5, h.clock.now() - kDayMs);
  h.world.script("slow", {{429, "{\"error\":\"Too many requests\"}", {{"Retry-After", "120"}}}});
  h.add_municipality("m1", {"slow"});
  h.add_municipality("m2", {"http://other.test/o1"});
  const TimeMs t0 = h.clock.now();
  h.start();
  h.run_for(30 * kSecondMs);
  auto hosts = h.engine->host_status();
  bool waiting = false;
  for (const auto& r : hosts) {
    if (r.host == "toy.test")
      waiting = r.wait_until.has_value() && *r.wait_until >= t0 + 120 * kSecondMs;
  }
  CHECK(waiting);
  CHECK(h.posts("http://other.test/o1") == 5);  // unaffected
  CHECK(h.posts("slow") == 0);
  h.run_for(3 * kMinuteMs);
  const auto times = h.request_times("/u/slow/");
  REQUIRE(times.size() >= 2);
  CHECK(times[1] >= t0 + 120 * kSecondMs);
  CHECK(h.posts("slow") == 5);
  CHECK(h.account("slow").state_id() ==
        "ok");  // a 429 is the host's wait, not the account's failure
  CHECK(h.engine->counters().rate_limit_waits >= 1);
}

TEST_CASE("engine: transport errors and 5xx back off per account with full jitter") {
  Harness h;  // jitter 0.5: delays are half the exponential ceiling (30 s base)
  h.world.add_posts("flaky", 5, h.clock.now() - kDayMs);
  h.world.add_posts("fine", 5, h.clock.now() - kDayMs);
  h.world.script("flaky", {{503, "busy", {}}, {502, "bad gateway", {}}, {500, "oops", {}}});
  h.add_municipality("m1", {"flaky", "fine"});
  h.start();
  h.run_for(10 * kSecondMs);
  CHECK(h.account("flaky").state_id() == "backing_off");
  CHECK(h.account("flaky").runtime.state_reason.find("HTTP 503") != std::string::npos);
  CHECK(h.account("fine").state_id() == "ok");
  h.run_for(10 * kMinuteMs);
  const auto t = h.request_times("/u/flaky/");
  REQUIRE(t.size() >= 4);
  CHECK(t[1] - t[0] >= 15 * kSecondMs);  // 0.5 * 30 s
  CHECK(t[2] - t[1] >= 30 * kSecondMs);  // 0.5 * 60 s
  CHECK(t[3] - t[2] >= 60 * kSecondMs);  // 0.5 * 120 s
  CHECK(t[1] - t[0] < 16 * kSecondMs);
  CHECK(h.account("flaky").state_id() == "ok");
  CHECK(h.posts("flaky") == 5);
}

TEST_CASE("engine: not found is confirmed on consecutive polls, then re-checked daily") {
  Harness h;
  h.add_municipality("m1", {"ghost"});
  h.start();
  h.run_for(kMinuteMs);
  StoredAccount a = h.account("ghost");
  CHECK(a.state_id() == "backing_off");
  CHECK(a.runtime.state_reason.find("1 of 2") != std::string::npos);
  h.run_for(20 * kMinuteMs);
  a = h.account("ghost");
  CHECK(a.state_id() == "not_found");
  REQUIRE(a.runtime.next_due_at.has_value());
  CHECK(*a.runtime.next_due_at >= h.clock.now() + 23 * kHourMs);
  // The account appears: the daily re-check finds it.
  h.world.add_posts("ghost", 2, h.clock.now());
  h.run_for(25 * kHourMs);
  CHECK(h.account("ghost").state_id() == "ok");
  CHECK(h.posts("ghost") == 2);
}

TEST_CASE(
    "engine: a rejected credential fails its platform only, secrets go in headers, not logs") {
  setenv("MUNI_TEST_TOKEN", "tok-123", 1);
  Harness h("    credential: {env: MUNI_TEST_TOKEN}\n  toy2:\n    base_url: http://wp.test\n");
  h.world.add_posts("a1", 3, h.clock.now() - kDayMs);
  h.world.add_posts("w1", 3, h.clock.now() - kDayMs);
  h.world.script("a1", {{401, "{\"error\":\"bad token\"}", {}}});
  h.add_municipality("m1", {"a1"});
  h.add_municipality("m2", {"w1"}, "toy2");
  ConnectorRegistry reg;
  reg.add(make_test_connector("toy", true));
  reg.add(make_test_connector("toy2", false));
  h.start(std::move(reg));
  h.run_for(5 * kMinuteMs);
  CHECK(h.account("a1").state_id() == "auth_failed");
  CHECK(h.store->find_account("toy2:w1")->state_id() == "ok");
  bool authorized = false;
  for (const auto& s : h.transport.sent()) {
    for (const auto& hd : s.request.headers) {
      if (hd.name == "Authorization" && hd.value == "Bearer tok-123" &&
          s.request.url.find("/u/a1/") != std::string::npos) {
        authorized = true;
      }
    }
  }
  CHECK(authorized);
  CHECK(h.store->db()
            .execAndGet("SELECT COUNT(*) FROM poll_log WHERE error LIKE '%tok-123%'")
            .getInt() == 0);
  unsetenv("MUNI_TEST_TOKEN");
}

TEST_CASE("engine: a missing credential is reported at load, without requests") {
  unsetenv("MUNI_TEST_ABSENT");
  Harness h("    credential: {env: MUNI_TEST_ABSENT}\n");
  h.world.add_posts("a1", 3, h.clock.now());
  h.add_municipality("m1", {"a1"});
  h.start();
  h.run_for(5 * kMinuteMs);
  CHECK(h.account("a1").state_id() == "auth_failed");
  CHECK(h.account("a1").runtime.state_reason.find("MUNI_TEST_ABSENT is not set") !=
        std::string::npos);
  CHECK(h.transport.sent().empty());
}

TEST_CASE("engine: a malformed answer degrades the account and stores nothing from that page") {
  Harness h;
  h.world.add_posts("broken", 5, h.clock.now() - kDayMs);
  h.world.add_posts("fine", 5, h.clock.now() - kDayMs);
  h.world.script("broken", {{200, "<html><body>Maintenance</body></html>", {}}});
  h.add_municipality("m1", {"broken", "fine"});
  h.start();
  h.run_for(10 * kSecondMs);
  const StoredAccount a = h.account("broken");
  CHECK(a.state_id() == "degraded");
  CHECK(a.runtime.state_reason.find("HTML or XML where JSON was expected") != std::string::npos);
  CHECK(h.posts("broken") == 0);
  CHECK(h.posts("fine") == 5);
  h.run_for(10 * kMinuteMs);  // the retry succeeds
  CHECK(h.account("broken").state_id() == "ok");
  CHECK(h.posts("broken") == 5);
  CHECK(h.stored_ids("broken") == h.world.post_ids("broken"));
}

TEST_CASE("engine: backfill waits behind fresh polls and leaves a reserve of the budget") {
  Harness h("    rate_limit: {requests: 10, per: 1m}\n");
  for (const char* u : {"a", "b", "c"}) h.world.add_posts(u, 400, h.clock.now() - 30 * kDayMs);
  h.add_municipality("m1", {"a", "b", "c"});
  h.start();
  h.run_for(3 * kMinuteMs);
  const auto& sent = h.transport.sent();
  REQUIRE(sent.size() > 10);
  // The three fresh polls come first.
  for (size_t i = 0; i < 3; ++i) CHECK(sent[i].request.url.find("since=") != std::string::npos);
  // Never more than the budget per window; backfill stops at the 20 % reserve
  // (fresh polls may use the reserve: that is what it is kept for).
  std::map<TimeMs, int> per_window, backfill_per_window;
  for (const auto& s : sent) {
    ++per_window[(s.at - sent[0].at) / kMinuteMs];
    if (s.request.url.find("before=") != std::string::npos)
      ++backfill_per_window[(s.at - sent[0].at) / kMinuteMs];
  }
  for (const auto& [w, n] : per_window) CHECK(n <= 10);
  for (const auto& [w, n] : backfill_per_window) CHECK(n <= 8);
  CHECK(h.account("a").backfill_state == BackfillState::kPending);
  CHECK(h.posts("a") > 20);
}

TEST_CASE("engine: backfill starts the longest history first and runs it without a gap") {
  // Issue 21: a backfill ends when its longest page chain ends, so that
  // chain must start first and never wait behind shorter ones. One host
  // holds the long history (60 pages after its first poll, configured last
  // so that its poll is answered last) and 8 accounts of 15 pages each;
  // two more hosts hold short histories. 4 connections per host.
  Harness h;
  h.world.set_report_counts(true);  // the profile says how many posts there are
  const TimeMs old = h.clock.now() - 400 * kDayMs;
  std::vector<std::string> medium;
  for (int i = 0; i < 8; ++i) {
    medium.push_back("m" + std::to_string(i));
    h.world.add_posts(medium.back(), 20 + 15 * kTestPageSize, old);
  }
  h.world.add_posts("zlong", 20 + 60 * kTestPageSize, old);
  std::vector<std::string> short_b, short_c;
  for (int i = 0; i < 3; ++i) {
    short_b.push_back("http://b.test/b" + std::to_string(i));
    h.world.add_posts("b" + std::to_string(i), 60, old);
    short_c.push_back("http://c.test/c" + std::to_string(i));
    h.world.add_posts("c" + std::to_string(i), 60, old);
  }
  h.add_municipality("g1", medium);
  h.add_municipality("g2", short_b);
  h.add_municipality("g3", short_c);
  h.add_municipality("g9", {"zlong"});
  const TimeMs t0 = h.clock.monotonic();
  h.start();
  h.run_for(2 * kMinuteMs);
  for (const auto& u : medium) CHECK(h.account(u).backfill_state == BackfillState::kComplete);
  REQUIRE(h.account("zlong").backfill_state == BackfillState::kComplete);
  CHECK(h.stored_ids("zlong") == h.world.post_ids("zlong"));
  // The store keeps the profile's count for the next start's ranking.
  CHECK(h.account("zlong").profile_posts == 20 + 60 * kTestPageSize);

  // Its first page is the host's first backfill request (fresh polls still
  // go first), and every further page goes out as soon as the one before
  // is answered.
  std::string first_backfill;
  for (const auto& s : h.transport.sent()) {
    if (s.request.url.find("//toy.test/") != std::string::npos &&
        s.request.url.find("before=") != std::string::npos) {
      first_backfill = s.request.url;
      break;
    }
  }
  CHECK(first_backfill.find("/u/zlong/") != std::string::npos);
  const auto pages = h.request_ticks("/u/zlong/posts?before=");
  REQUIRE(pages.size() == 60);
  for (size_t i = 1; i < pages.size(); ++i) CHECK(pages[i] - pages[i - 1] == 50);

  // The whole backfill ends within 1.1x of the physical bound: the longest
  // chain (61 requests of 50 ms) or the busiest host's requests over its 4
  // connections, whichever is longer.
  TimeMs end = t0;
  std::map<std::string, int> per_host;
  for (const auto& s : h.transport.sent()) {
    end = std::max(end, s.tick + 50);
    ++per_host[parse_url(s.request.url)->host];
  }
  const TimeMs chain = 61 * 50;
  TimeMs busiest = 0;
  for (const auto& [host, n] : per_host) busiest = std::max<TimeMs>(busiest, n * 50 / 4);
  const TimeMs bound = std::max(chain, busiest);
  CHECK(bound == chain);
  MESSAGE("backfill took " << end - t0 << " ms, bound " << bound << " ms");
  CHECK(static_cast<double>(end - t0) <= 1.1 * static_cast<double>(bound));
}

TEST_CASE("engine: an account never has two polls at once, skipped polls are counted") {
  Harness h("", 90 * kMinuteMs);  // answers take longer than the interval
  h.world.add_posts("slowpoke", 3, h.clock.now() - kDayMs);
  h.add_municipality("m1", {"slowpoke"});
  h.start();
  int peak = 0;
  const TimeMs end = h.clock.now() + 5 * kHourMs;
  while (h.clock.now() < end) {
    h.engine->step(60000);
    peak = std::max(peak, static_cast<int>(h.transport.in_flight()));
  }
  CHECK(peak == 1);
  CHECK(h.account("slowpoke").runtime.skipped_polls >= 1);
  CHECK(h.engine->counters().skipped_polls >= 1);
}

TEST_CASE("engine: poll --once runs the selection to completion, backfill included") {
  Harness h;
  h.world.add_posts("x", 70, h.clock.now() - 10 * kDayMs);
  h.world.add_posts("y", 5, h.clock.now() - 10 * kDayMs);
  h.add_municipality("m1", {"x", "y"});
  h.start();
  h.engine->start_once({h.account("x").id}, true);
  int steps = 0;
  while (!h.engine->once_finished() && ++steps < 10000) h.engine->step(1000);
  CHECK(h.engine->once_finished());
  CHECK(h.posts("x") == 70);
  CHECK(h.posts("y") == 0);  // not selected
  CHECK(h.account("x").backfill_state == BackfillState::kComplete);
}

TEST_CASE("engine: one account configured under two spellings is polled and counted once (finding 8)") {
  // Found: a Bluesky handle and its DID passed check-config, every post was
  // stored twice and municipality metrics doubled. Here: a toy handle and
  // its URL form, both resolving to the same id on the same host.
  Harness h;
  h.world.add_posts("alice", 30, h.clock.now() - kDayMs);
  h.add_municipality("m1", {"alice", "http://toy.test/alice"});
  h.start();
  h.run_for(3 * kHourMs);
  const StoredAccount a = h.account("alice");
  const StoredAccount b = h.account("http://toy.test/alice");
  const bool first_primary = !a.duplicate_of.has_value();
  const StoredAccount& primary = first_primary ? a : b;
  const StoredAccount& dup = first_primary ? b : a;
  CHECK_FALSE(primary.duplicate_of.has_value());
  REQUIRE(dup.duplicate_of.has_value());
  CHECK(*dup.duplicate_of == primary.id);
  CHECK(dup.state_id() == "duplicate");
  CHECK(dup.runtime.state_reason.find("the same account as m1/") != std::string::npos);
  CHECK(primary.state_id() == "ok");
  CHECK(h.store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64() == 30);
  // Restarted, the duplicate stays one; polls go to the primary only.
  const size_t sent = h.transport.sent().size();
  REQUIRE(h.engine->load(h.config).ok());
  h.run_for(3 * kHourMs);
  CHECK(h.store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64() == 30);
  CHECK(h.transport.sent().size() > sent);
  CHECK(h.account(first_primary ? "http://toy.test/alice" : "alice").state_id() == "duplicate");
}

TEST_CASE("engine: a redirect to another host is refused and nothing is stored (finding 3)") {
  // Found: a 302 to another host was followed and its answer stored as the
  // account's data, leaving it "ok" with 0 posts (and a blind SSRF).
  Harness h;
  h.world.add_posts("alice", 5, h.clock.now() - kDayMs);
  h.world.add_posts("bob", 5, h.clock.now() - kDayMs);
  h.world.script("alice",
                 {{302, "moved", {{"Location", "http://evil.test/u/alice/posts?since=0"}}}});
  // A redirect within the host is followed.
  h.world.script("bob", {{301, "moved", {{"Location", "/u/bob/posts?since=0"}}}});
  h.add_municipality("m1", {"alice", "bob"});
  h.start();
  h.run_for(10 * kMinuteMs);
  for (const auto& s : h.transport.sent())
    CHECK(s.request.url.find("evil.test") == std::string::npos);
  const StoredAccount a = h.account("alice");
  CHECK(a.state_id() == "refused");
  CHECK(a.runtime.state_reason.find("another host (evil.test)") != std::string::npos);
  CHECK(h.posts("alice") == 0);
  CHECK(h.posts("bob") == 5);
  CHECK(h.account("bob").state_id() == "ok");
  CHECK(h.engine->counters().redirects_refused == 1);
}

TEST_CASE("engine: a persistent 429 without headers says who limits, and until when (finding 18)") {
  // Found: the account showed "pending" with an empty reason.
  Harness h;
  h.world.add_posts("alice", 5, h.clock.now() - kDayMs);
  std::vector<ScriptedAnswer> refusals(8, ScriptedAnswer{429, "{\"error\":\"slow down\"}", {}});
  h.world.script("alice", refusals);
  h.add_municipality("m1", {"alice"});
  h.start();
  h.run_for(5 * kSecondMs);
  StoredAccount a = h.account("alice");
  CHECK(a.state_id() == "rate_limited");
  CHECK(a.runtime.state_reason.find("rate-limited by toy.test until ") != std::string::npos);
  CHECK(a.runtime.state_reason.find("HTTP 429 without a reset hint") != std::string::npos);
  h.run_for(2 * kHourMs);
  CHECK(h.posts("alice") == 5);  // the limit passed; nothing lost
  CHECK(h.stored_ids("alice") == h.world.post_ids("alice"));
  CHECK(h.account("alice").state_id() == "ok");
}

TEST_CASE("engine: backfill that makes no progress stops with a clear state (finding 13)") {
  // Found: a server that ignores the paging parameter served the same page
  // forever and `poll --once` never ended. (Connectors detect it where they
  // can; this is the engine's net under every connector.)
  Harness h;
  h.world.add_posts("loop", 60, h.clock.now() - 10 * kDayMs);
  // Every backfill request gets the same already-stored page with more=true.
  std::string page = "{\"followers\":1,\"posts\":[";
  for (int id = 60; id > 40; --id) {
    page += std::string(id < 60 ? "," : "") + "{\"id\":" + std::to_string(id) +
            ",\"t\":" + std::to_string(h.clock.now() - 10 * kDayMs + (id - 1) * 60000) + "}";
  }
  page += "],\"more\":true}";
  std::vector<ScriptedAnswer> repeats;
  repeats.push_back({200, "", {}});  // the first poll is served normally
  for (int i = 0; i < 50; ++i) repeats.push_back({200, page, {}});
  h.world.script("loop", repeats);
  h.add_municipality("m1", {"loop"});
  h.start();
  h.engine->start_once({h.account("loop").id}, true);
  int steps = 0;
  while (!h.engine->once_finished() && ++steps < 5000) h.engine->step(1000);
  REQUIRE(h.engine->once_finished());
  const StoredAccount a = h.account("loop");
  CHECK(a.backfill_state == BackfillState::kIncomplete);
  CHECK(a.history_note.find("brought no new post") != std::string::npos);
  CHECK(h.request_times("before=").size() < 12);
}

TEST_CASE("engine: secrets from env, file and inline reach no log line, table, status or label") {
  const std::string env_secret = "s3cr3t-env-AAAA1111";
  const std::string file_secret = "s3cr3t-file-BBBB2222";
  const std::string inline_secret = "s3cr3t-inline-CCCC3333";
  setenv("MUNI_TEST_SECRET_ENV", env_secret.c_str(), 1);
  TempDir secrets;
  write_file(secrets.file("key"), file_secret + "\n");
  Harness h(
      "    credential: {env: MUNI_TEST_SECRET_ENV}\n"
      "  toy2:\n    base_url: http://wp.test\n    credential: {file: \"" +
      secrets.file("key") +
      "\"}\n"
      "  toy3:\n    base_url: http://wiki.test\n    credential: \"" +
      inline_secret + "\"\n");
  for (const char* u : {"e1", "f1", "i1"}) h.world.add_posts(u, 30, h.clock.now() - kDayMs);
  // Unkind servers: one rejects the key, one echoes the request in errors.
  h.world.script("e1", {{401, "{\"error\":\"bad key\"}", {}}});
  h.world.script("f1", {{500, "internal error for " + file_secret, {}},
                        {400, "{\"echo\":\"key=" + file_secret + "\"}", {}}});
  h.world.script("i1", {{302, "", {{"Location", "http://evil.test/?key=" + inline_secret}}}});
  h.add_municipality("m1", {"e1"});
  h.add_municipality("m2", {"f1"}, "toy2");
  h.add_municipality("m3", {"i1"}, "toy3");
  ConnectorRegistry reg;
  reg.add(make_test_connector("toy", true, false));  // bearer header
  reg.add(make_test_connector("toy2", true, true));  // query parameter
  reg.add(make_test_connector("toy3", true, true));
  test_connector_inputs().clear();
  // Everything logged, at trace level, by every logger.
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100000);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().push_back(sink);
    l->set_level(spdlog::level::trace);
  });
  h.start(std::move(reg));
  h.run_for(3 * kHourMs);
  h.engine->save_host_status();
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().pop_back();
    l->set_level(spdlog::level::off);
  });
  const std::vector<std::string> secrets_list = {env_secret, file_secret, inline_secret};
  auto leaks = [&](const std::string& text) {
    for (const auto& s : secrets_list) {
      if (text.find(s) != std::string::npos) return true;
    }
    return false;
  };
  // The requests did carry them (otherwise this test proves nothing).
  bool sent_header = false, sent_query = false;
  for (const auto& s : h.transport.sent()) {
    for (const auto& hd : s.request.headers) sent_header |= hd.value == "Bearer " + env_secret;
    sent_query |= s.request.url.find("key=" + file_secret) != std::string::npos;
  }
  CHECK(sent_header);
  CHECK(sent_query);
  const std::vector<std::string> logged = sink->last_formatted();
  CHECK(logged.size() > 10);
  for (const std::string& line : logged) CHECK_MESSAGE(!leaks(line), line);
  for (const std::string& input : test_connector_inputs()) CHECK_MESSAGE(!leaks(input), input);
  // Every text column of every table.
  SQLite::Statement tables(h.store->db(), "SELECT name FROM sqlite_master WHERE type = 'table'");
  int cells = 0;
  while (tables.executeStep()) {
    const std::string table = tables.getColumn(0).getString();
    SQLite::Statement rows(h.store->db(), "SELECT * FROM \"" + table + "\"");
    while (rows.executeStep()) {
      for (int c = 0; c < rows.getColumnCount(); ++c) {
        if (rows.getColumn(c).isText()) {
          ++cells;
          CHECK_MESSAGE(!leaks(rows.getColumn(c).getString()),
                        table << ": " << rows.getColumn(c).getString());
        }
      }
    }
  }
  CHECK(cells > 50);
  // The status command and the Prometheus exposition.
  // The real binary knows no toy platforms, so its configuration names only
  // the store; status reads everything else from there.
  write_file(h.dir.file("c.yaml"), "defaults:\n  contact: team@example.org\nmunicipalities: []\n");
  auto status =
      run_muniscope("status -c " + h.dir.file("c.yaml") + " --db " + h.dir.file("engine.db"));
  CHECK(status.exit_code == 0);
  CHECK_FALSE(leaks(status.out + status.err));
  SelfMetricsInput in;
  in.counters = h.engine->counters();
  in.summary = h.engine->summary();
  in.hosts = h.engine->host_status();
  in.version = "test";
  CHECK_FALSE(leaks(render_prometheus(in)));
  CHECK(h.account("e1").state_id() == "auth_failed");
  unsetenv("MUNI_TEST_SECRET_ENV");
}

TEST_CASE("self metrics: quota budgets are exported with spent, units and held") {
  SelfMetricsInput in;
  in.now = 1000;
  BudgetRow spent;
  spent.scope = "youtube#default";
  spent.platform = "youtube";
  spent.policy = "daily";
  spent.units = 10000;
  spent.spent = 10000;
  spent.blocked_until = 5000;
  BudgetRow fresh = spent;
  fresh.scope = "youtube#research";
  fresh.spent = 12;
  fresh.blocked_until = 900;  // in the past: no longer held
  in.budgets = {spent, fresh};
  const std::string text = render_prometheus(in);
  CHECK(text.find("muniscope_quota_units{budget=\"youtube#default\",platform=\"youtube\"} 10000") !=
        std::string::npos);
  CHECK(text.find("muniscope_quota_spent{budget=\"youtube#research\",platform=\"youtube\"} 12") !=
        std::string::npos);
  CHECK(text.find("muniscope_quota_held{budget=\"youtube#default\",platform=\"youtube\"} 1") !=
        std::string::npos);
  CHECK(text.find("muniscope_quota_held{budget=\"youtube#research\",platform=\"youtube\"} 0") !=
        std::string::npos);
}

TEST_CASE("engine: poll --once ends units held by a long host rate limit instead of waiting") {
  // Found by the fault matrix under load: a 429 whose Retry-After the
  // limiter bounds to a 300 s window held a second account's request on the
  // same host, and the once run waited the whole window.
  Harness h;
  h.world.add_posts("slow", 5, h.clock.now() - kDayMs);
  h.world.add_posts("other", 5, h.clock.now() - kDayMs);
  h.world.script("slow", {{429, "{}", {{"Retry-After", "600"}}}});
  h.add_municipality("m1", {"slow", "other"});
  h.start();
  const TimeMs t0 = h.clock.now();
  h.engine->start_once({h.account("slow").id, h.account("other").id}, true);
  int steps = 0;
  while (!h.engine->once_finished() && ++steps < 10000) h.engine->step(1000);
  REQUIRE(h.engine->once_finished());
  CHECK(h.clock.now() - t0 < 2 * kMinuteMs);
  const StoredAccount slow = h.account("slow");
  CHECK(slow.state_id() == "rate_limited");
  CHECK(slow.runtime.state_reason.find("until") != std::string::npos);
  CHECK(h.posts("slow") == 0);
}

TEST_CASE(
    "engine: a wall clock stepped back or forward neither stalls polling nor fires it early") {
  Harness h;
  h.world.add_posts("anna", 5, h.clock.now() - kDayMs);
  h.add_municipality("m1", {"anna"});
  h.start();
  h.run_ticks(10 * kMinuteMs);  // the first poll (and the backfill)
  const size_t first = h.request_ticks("/u/anna/posts?since").size();
  REQUIRE(first >= 1);
  // NTP (or someone with `date -s`) steps the wall clock back three hours:
  // on wall time the next poll would wait three hours more.
  h.clock.jump_wall(-3 * kHourMs);
  h.run_ticks(3 * kHourMs);
  auto polls = h.request_ticks("/u/anna/posts?since");
  REQUIRE(polls.size() == first + 3);
  for (size_t i = first; i < polls.size(); ++i) CHECK(polls[i] - polls[i - 1] == kHourMs);
  // Stepped forward five hours: no burst of overdue work, the rhythm goes on.
  h.clock.jump_wall(5 * kHourMs);
  h.run_ticks(2 * kHourMs);
  polls = h.request_ticks("/u/anna/posts?since");
  REQUIRE(polls.size() == first + 5);
  for (size_t i = first; i < polls.size(); ++i) CHECK(polls[i] - polls[i - 1] == kHourMs);
  // What is stored is wall time: the poll log and the next due time follow
  // the clock as it now reads.
  const TimeMs wall = h.clock.now();
  const TimeMs ended = h.store->db().execAndGet("SELECT MAX(ended_at) FROM poll_log").getInt64();
  CHECK(ended <= wall);
  CHECK(ended > wall - kHourMs);
  const StoredAccount a = h.account("anna");
  REQUIRE(a.runtime.next_due_at.has_value());
  CHECK(*a.runtime.next_due_at > wall);
  CHECK(*a.runtime.next_due_at <= wall + kHourMs);
}

TEST_CASE("engine: backoff and a host's Retry-After hold are waited on monotonic time") {
  Harness h;  // jitter 0.5: the first backoff is 15 s
  h.world.add_posts("flaky", 5, h.clock.now() - kDayMs);
  h.world.add_posts("slow", 5, h.clock.now() - kDayMs);
  h.world.script("flaky", {{503, "busy", {}}});
  h.world.script("slow", {{429, "{\"error\":\"Too many requests\"}", {{"Retry-After", "120"}}}});
  h.add_municipality("m1", {"flaky"});
  h.add_municipality("m2", {"http://other.test/slow"});
  h.start();
  h.run_ticks(5 * kSecondMs);
  CHECK(h.account("flaky").state_id() == "backing_off");
  h.clock.jump_wall(-kHourMs);
  h.run_ticks(3 * kMinuteMs);
  const auto flaky = h.request_ticks("/u/flaky/");
  REQUIRE(flaky.size() >= 2);
  CHECK(flaky[1] - flaky[0] >= 15 * kSecondMs);
  CHECK(flaky[1] - flaky[0] < 16 * kSecondMs);
  const auto slow = h.request_ticks("/u/slow/");
  REQUIRE(slow.size() >= 2);
  CHECK(slow[1] - slow[0] >= 120 * kSecondMs);
  CHECK(slow[1] - slow[0] < 125 * kSecondMs);
  CHECK(h.posts("flaky") == 5);
  CHECK(h.posts("http://other.test/slow") == 5);
}
