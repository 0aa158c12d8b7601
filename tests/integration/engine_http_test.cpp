// The engine over real HTTP: libcurl against a loopback server, and crash
// safety with a child process killed at random instants.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/json.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "loopback_server.h"
#include "simulated_transport.h"
#include "test_connector.h"
#include "test_support.h"
#include "toy_world.h"

extern char** environ;

using namespace muni;
using namespace muni::test;

namespace {

// Runs transport.poll until `n` completions arrived (or 10 s passed).
std::vector<HttpTransport::Completion> wait_for(CurlTransport& t, size_t n) {
  std::vector<HttpTransport::Completion> out;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.size() < n && std::chrono::steady_clock::now() < end) {
    for (auto& c : t.poll(100)) out.push_back(std::move(c));
  }
  return out;
}

Fault stall(int ms) {
  Fault f;
  f.kind = Fault::Kind::kStall;
  f.stall_ms = ms;
  return f;
}

Fault truncate() {
  Fault f;
  f.kind = Fault::Kind::kTruncate;
  return f;
}

Fault status(int code, std::vector<HttpHeader> headers, std::string body) {
  Fault f;
  f.status = code;
  f.headers = std::move(headers);
  f.body = std::move(body);
  return f;
}

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  return r;
}

}  // namespace

TEST_CASE("curl transport: JSON over gzip, redirects handed back, size cap, timeout, truncation") {
  LoopbackServer server([](const HttpRequest& r) {
    HttpResponse out;
    if (r.url.find("/hop/") != std::string::npos) {
      const int n = std::stoi(r.url.substr(r.url.find("/hop/") + 5));
      out.status = 302;
      out.headers.push_back({"Location", n > 0 ? "/hop/" + std::to_string(n - 1) : "/data"});
      return out;
    }
    if (r.url.find("/big") != std::string::npos) {
      out.status = 200;
      out.body = std::string(300000, 'x');
      return out;
    }
    out.status = 200;
    out.body = "{\"items\":[" + std::string(2000, ' ') + "1,2,3]}";
    out.headers.push_back({"X-Echo-UA", ""});
    for (const auto& h : r.headers) {
      if (h.name == "User-Agent") out.headers.back().value = h.value;
    }
    return out;
  });
  CurlTransportOptions opts = loopback_transport();
  opts.user_agent = "muniscope-test (+mailto:test@example.org)";
  opts.max_response_bytes = 100000;
  opts.total_timeout_ms = 700;
  CurlTransport t(opts);
  const std::string base = server.base_url();

  t.start(1, get(base + "/data"));
  auto done = wait_for(t, 1);
  REQUIRE(done.size() == 1);
  const HttpResponse& ok = done[0].response;
  CHECK(ok.status == 200);
  // Sent compressed (cpp-httplib picks br or gzip from curl's offer), decoded for us.
  REQUIRE(ok.header("content-encoding").has_value());
  CHECK((*ok.header("content-encoding") == "br" || *ok.header("content-encoding") == "gzip"));
  CHECK(parse_json(ok.body).ok());
  CHECK(ok.header("X-Echo-UA") == "muniscope-test (+mailto:test@example.org)");

  // Redirects come back as they are; the engine decides (net_policy.h).
  t.start(2, get(base + "/hop/4"));
  t.start(4, get(base + "/big"));
  done = wait_for(t, 2);
  REQUIRE(done.size() == 2);
  for (const auto& c : done) {
    if (c.tag == 2) {
      CHECK(c.response.status == 302);
      CHECK(c.response.header("Location").has_value());
    } else {
      CHECK(c.response.status == 0);
      CHECK(c.response.transport_error.find("larger than 100000 bytes") != std::string::npos);
      CHECK(c.response.body.empty());
    }
  }

  server.inject(stall(1500));
  t.start(5, get(base + "/data"));
  done = wait_for(t, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].response.status == 0);
  CHECK(done[0].response.transport_error.find("Timeout") != std::string::npos);

  server.inject(truncate());
  t.start(6, get(base + "/data"));
  done = wait_for(t, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].response.status == 0);  // a half body is never handed on as a page
  CHECK(done[0].response.body.empty());
}

TEST_CASE("curl transport: many transfers in flight on one thread") {
  LoopbackServer server([](const HttpRequest&) { return json_response(200, "{}"); }, 64);
  server.set_latency_ms(200);
  CurlTransport t(loopback_transport());
  for (uint64_t i = 1; i <= 40; ++i) t.start(i, get(server.base_url() + "/x?" + std::to_string(i)));
  CHECK(t.in_flight() == 40);
  const auto done = wait_for(t, 40);
  CHECK(done.size() == 40);
  // Concurrent, not one after another: while the server sleeps 200 ms in one
  // answer, others are being served. (How fast is bench/'s business.)
  CHECK(server.peak_concurrency() >= 4);
}

TEST_CASE("engine over HTTP: 429 with Retry-After and a truncated page, then recovery") {
  ToyWorld world;
  world.add_posts("anna", 30, 1700000000000);
  LoopbackServer server([&](const HttpRequest& r) { return world.handle(r); });
  server.inject(status(429, {{"Retry-After", "1"}}, "{\"error\":\"Too many requests\"}"));
  server.inject(truncate());
  TempDir dir;
  const std::string yaml =
      "defaults: {contact: t@example.org, allow_private_addresses: true}\nplatforms:\n  toy:\n    base_url: " + server.base_url() +
      "\nmunicipalities:\n  - {id: m, name: M, ags: \"08231000\", kind: Stadt, state: BW, "
      "accounts: [{platform: toy, handle: anna}]}\n";
  ConfigLoad load = load_config_from_string(yaml, "t.yaml");
  REQUIRE(load.config.has_value());
  auto store = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  REQUIRE((*store)->sync_config(*load.config, 0).ok());
  ConnectorRegistry registry;
  registry.add(make_test_connector("toy"));
  SystemClock clock;
  SystemRandom random(7);
  CurlTransport transport(loopback_transport());
  EngineOptions options = EngineOptions::from_config(*load.config);
  options.once_backoff = BackoffPolicy{200, 400, 100};
  Engine engine(clock, random, transport, **store, registry, options);
  REQUIRE(engine.load(*load.config).ok());
  const int64_t id = (*store)->find_account("toy:anna")->id;
  engine.start_once({id}, true);
  const auto start = std::chrono::steady_clock::now();
  while (!engine.once_finished() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
    engine.step(100);
  REQUIRE(engine.once_finished());
  CHECK(std::chrono::steady_clock::now() - start >=
        std::chrono::seconds(1));  // waited for Retry-After
  CHECK((*store)->db().execAndGet("SELECT COUNT(*) FROM posts").getInt() == 30);
  CHECK((*store)
            ->db()
            .execAndGet("SELECT COUNT(*) FROM poll_log WHERE outcome = 'transport_error'")
            .getInt() == 1);
  CHECK((*store)->find_account("toy:anna")->state_id() == "ok");
  CHECK(engine.counters().rate_limit_waits >= 1);
}

TEST_CASE("crash safety: kill -9 at random instants loses and duplicates nothing") {
  ToyWorld world;
  const int kUsers = 16;
  for (int i = 0; i < kUsers; ++i) world.add_posts("user" + std::to_string(i), 700, 1600000000000);
  LoopbackServer server([&](const HttpRequest& r) { return world.handle(r); }, 32);
  server.set_latency_ms(15);
  TempDir dir;
  const std::string db = dir.file("crash.db");
  auto spawn = [&](const char* mode) {
    pid_t pid = 0;
    const std::string users = std::to_string(kUsers);
    const std::string base = server.base_url();
    const char* argv[] = {MUNISCOPE_ENGINE_CHILD, db.c_str(), base.c_str(),
                          users.c_str(),          mode,       nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    REQUIRE(posix_spawn(&pid, MUNISCOPE_ENGINE_CHILD, &fa, nullptr, const_cast<char**>(argv),
                        environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  };
  std::mt19937 rng(20261125);
  int killed_with_work_done = 0;
  int64_t last_count = 0;
  for (int round = 0; round < 7; ++round) {
    const pid_t pid = spawn("forever");
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 700)(rng)));
    // New posts keep arriving while the child works.
    world.add_posts("user" + std::to_string(round % kUsers), 5, 1700000000000 + round * 600000);
    REQUIRE(kill(pid, SIGKILL) == 0);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    auto store = Store::open(db, OpenMode::kReadOnly);
    if (store.ok()) {
      const int64_t n = (*store)->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64();
      if (n > last_count) ++killed_with_work_done;
      last_count = n;
    }
  }
  CHECK(killed_with_work_done >= 3);  // the kills did land in the middle of ingest
  const pid_t pid = spawn("once");
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto store = Store::open(db, OpenMode::kReadOnly);
  REQUIRE(store.ok());
  SQLite::Database& d = (*store)->db();
  CHECK(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
  int64_t expected = 0;
  for (int i = 0; i < kUsers; ++i) expected += world.post_count("user" + std::to_string(i));
  CHECK(d.execAndGet("SELECT COUNT(*) FROM posts").getInt64() == expected);
  for (int i = 0; i < kUsers; ++i) {
    // Exactly the world's own ids: nothing lost, nothing invented.
    SQLite::Statement ids(d,
                          "SELECT p.platform_post_id FROM posts p JOIN accounts a ON a.id = "
                          "p.account_id WHERE a.handle = ? ORDER BY CAST(p.platform_post_id AS "
                          "INTEGER)");
    ids.bind(1, "user" + std::to_string(i));
    std::vector<std::string> stored;
    while (ids.executeStep()) stored.push_back(ids.getColumn(0).getString());
    CHECK_MESSAGE(stored == world.post_ids("user" + std::to_string(i)), "user" << i);
    SQLite::Statement q(
        d,
        "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE a.handle = ?");
    q.bind(1, "user" + std::to_string(i));
    q.executeStep();
    CHECK_MESSAGE(q.getColumn(0).getInt64() == world.post_count("user" + std::to_string(i)),
                  "user" << i);
  }
}
