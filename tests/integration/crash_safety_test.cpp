// Crash safety: a child process running the real engine
// (support/engine_child_main.cpp) is killed with SIGKILL at random instants
// of its ingest; the store must stay intact, lose nothing and duplicate
// nothing. `make reliability` runs the longer kill loop with the muniscope
// binary (support/reliability_main.cpp).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"
#include "toy_world.h"

extern char** environ;

using namespace muni;
using namespace muni::test;

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
