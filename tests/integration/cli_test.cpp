// The muniscope executable: exit codes and messages as a user meets them.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "child_process.h"
#include "config/config.h"
#include "core/clock.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;

namespace {
std::string example() { return test::source_dir() + "/config/example.yaml"; }

// A configuration of one municipality with one Mastodon account, its store
// at `store_path`.
std::string one_account_config(const std::string& contact, const std::string& store_path,
                               bool allow_private_addresses = false) {
  return "defaults:\n  contact: " + contact + "\n" +
         (allow_private_addresses ? "  allow_private_addresses: true\n" : "") +
         "store:\n  path: " + store_path +
         "\nmunicipalities:\n  - {id: m, name: M, ags: \"08231000\", kind: kreisfreie Stadt, "
         "state: BW, accounts: [{platform: mastodon, handle: \"@a@b.social\"}]}\n";
}
}  // namespace

TEST_CASE("cli: check-config accepts the example and prints a summary") {
  const auto r = test::run_muniscope("check-config " + example());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(": OK") != std::string::npos);
  CHECK(r.out.find("municipalities: 8 (Stadt 3, kreisfreie Stadt 5)") != std::string::npos);
  CHECK(r.out.find("accounts: 6 (bluesky 1, mastodon 2, rss 1, wordpress 1, youtube 1)") != std::string::npos);
}

TEST_CASE("cli: a misspelt key exits 2 naming file, line and key") {
  test::TempDir dir;
  std::string text = test::read_file(example());
  const size_t pos = text.find("  poll_interval: 1h");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 18, "  poll_intervall: 1h");
  test::write_file(dir.file("bad.yaml"), text);
  const auto r = test::run_muniscope("check-config " + dir.file("bad.yaml"));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(dir.file("bad.yaml") + ":") != std::string::npos);
  CHECK(r.err.find("defaults.poll_intervall: unknown key 'poll_intervall'") != std::string::npos);
  CHECK(r.err.find("did you mean 'poll_interval'") != std::string::npos);
}

TEST_CASE("cli: usage errors exit 2, help exits 0") {
  CHECK(test::run_muniscope("no-such-command").exit_code == 2);
  CHECK(test::run_muniscope("").exit_code == 2);
  CHECK(test::run_muniscope("status --format xml -c " + example()).exit_code == 2);
  CHECK(test::run_muniscope("poll -c " + example()).exit_code == 2);  // --once is required
  const auto help = test::run_muniscope("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("check-config") != std::string::npos);
  const auto sub = test::run_muniscope("poll --help");
  CHECK(sub.exit_code == 0);
  CHECK(sub.out.find("--municipality") != std::string::npos);
  CHECK(test::run_muniscope("--version").out.find("muniscope ") == 0);
}

TEST_CASE("cli: municipalities and accounts work from the config alone") {
  test::TempDir dir;
  const std::string db = " --db " + dir.file("none.db") + " -c " + example();
  auto r = test::run_muniscope("municipalities --format csv" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("id,name,ags,kind,state,population,accounts,labels\r\n") == 0);
  CHECK(r.out.find(
            "pforzheim,Stadt Pforzheim,08231000,kreisfreie Stadt,Baden-Württemberg,,1,example") !=
        std::string::npos);
  r = test::run_muniscope("accounts --format json" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"handle\":\"stadtpforzheim@xn--baw-joa.social\"") != std::string::npos);
  CHECK(r.out.find("\"handle\":\"stadtaachen.bsky.social\"") != std::string::npos);
  CHECK(r.out.find("\"state\":\"never polled\"") != std::string::npos);
  // status needs a store: a runtime error, not a usage error.
  r = test::run_muniscope("status" + db);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no store at") != std::string::npos);
  // A broken config is a config error for every command.
  r = test::run_muniscope("municipalities -c " + dir.file("missing.yaml"));
  CHECK(r.exit_code == 2);
}

TEST_CASE("cli: every command on a damaged store ends with one clear line, never an exception") {
  test::TempDir dir;
  test::write_file(dir.file("c.yaml"),
                   one_account_config("mailto:team@research.invalid", dir.file("s.db"), true));
  const std::string c = "-c " + dir.file("c.yaml") + " ";
  REQUIRE(test::run_muniscope(c + "store compact").exit_code == 0);  // creates the store
  // Lose a table, as a bad restore or a hand-made DROP would.
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadWrite);
    store->db().exec("DROP TABLE post_samples");
  }
  const std::string survey = "survey check " + test::source_dir() +
                             "/config/survey/example_answers.csv --codebook " + test::source_dir() +
                             "/config/survey/kgst2016.codebook.yaml";
  for (const std::string& cmd :
       {std::string("status"), std::string("metrics"), std::string("series followers --account 1"),
        std::string("store info"), std::string("store compact"),
        std::string("accounts --history 1"), survey, std::string("poll --once")}) {
    CAPTURE(cmd);
    const auto r = test::run_muniscope(c + cmd);
    CHECK((r.exit_code == 1 || r.exit_code == 2));
    CHECK(r.err.find("damaged muniscope store: table 'post_samples' is missing") !=
          std::string::npos);
    CHECK(r.err.find("terminate") == std::string::npos);
  }
  // The configuration alone still answers, and says why states are missing.
  const auto accounts = test::run_muniscope(c + "accounts");
  CHECK(accounts.exit_code == 0);
  CHECK(accounts.err.find("damaged") != std::string::npos);
}

TEST_CASE("cli: a store the user may not read says so, and how to fix it, never 'damaged'") {
  // Permissions mean nothing to root: the commands run as `nobody` through
  // runuser(1). CI runs as root; elsewhere (or where `nobody` cannot reach
  // the binary) the case is skipped with a message.
  namespace fs = std::filesystem;
  if (::geteuid() != 0 ||
      std::system(
          ("runuser -u nobody -- test -x " + test::muniscope_binary() + " 2>/dev/null").c_str()) !=
          0) {
    MESSAGE("skipped: needs root, runuser(1) and a binary that user nobody can execute");
    return;
  }
  test::TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  const fs::path home = dir.path() / "state";
  fs::create_directories(home);
  const std::string db = (home / "s.db").string();
  test::write_file(dir.file("c.yaml"), one_account_config("mailto:team@research.invalid", db));
  fs::permissions(dir.file("c.yaml"), fs::perms(0644));
  REQUIRE(test::run_muniscope("-c " + dir.file("c.yaml") + " store compact").exit_code == 0);
  const std::string as_nobody =
      "runuser -u nobody -- " + test::muniscope_binary() + " -c " + dir.file("c.yaml") + " status";
  auto run = [&] {
    test::TempDir out;
    fs::permissions(out.path(), fs::perms(0755));
    test::RunResult r;
    const int status =
        std::system((as_nobody + " >" + out.file("o") + " 2>" + out.file("e")).c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = test::read_file(out.file("o"));
    r.err = test::read_file(out.file("e"));
    return r;
  };

  // A directory nobody may enter: not "no store here, run poll first".
  fs::permissions(home, fs::perms(0700));
  auto r = run();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot look into " + home.string()) != std::string::npos);
  CHECK(r.err.find("permission denied") != std::string::npos);
  CHECK(r.err.find("no store at") == std::string::npos);

  // A file only its owner may read: not "unable to open database file".
  fs::permissions(home, fs::perms(0755));
  fs::permissions(db, fs::perms(0600));
  r = run();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot read " + db + " (owner root, mode 0600) as nobody") !=
        std::string::npos);
  CHECK(r.err.find("as root (sudo muniscope ...)") != std::string::npos);

  // Readable, but the daemon is stopped and the directory is not writable:
  // SQLite cannot create the -shm file. Not "damaged".
  fs::permissions(db, fs::perms(0644));
  r = run();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("must create " + db + "-shm") != std::string::npos);
  CHECK(r.err.find("damaged") == std::string::npos);
  CHECK(r.err.find("not a muniscope store") == std::string::npos);

  // Writing commands say the same about writing (here: the root-owned file).
  const auto compact = [&] {
    test::TempDir out;
    fs::permissions(out.path(), fs::perms(0755));
    const int status = std::system(("runuser -u nobody -- " + test::muniscope_binary() + " -c " +
                                    dir.file("c.yaml") + " store compact 2>" + out.file("e"))
                                       .c_str());
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                          test::read_file(out.file("e")));
  }();
  CHECK(compact.first == 1);
  CHECK(compact.second.find("cannot write " + db + " (owner root, mode 0644) as nobody") !=
        std::string::npos);

  // While the daemon runs (here: a writer holding the store open), its
  // -shm file exists and the same user reads the store.
  {
    auto writer = Store::open(db, OpenMode::kReadWrite);
    REQUIRE(writer.ok());
    (void)(*writer)->set_meta("probe", "1");
    fs::permissions(db + "-shm", fs::perms(0644));
    r = run();
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("cannot") == std::string::npos);
  }
}

TEST_CASE("cli: run and poll refuse a placeholder contact before contacting anything") {
  test::TempDir dir;
  test::write_file(dir.file("c.yaml"),
                   one_account_config("mailto:research-team@example.org", dir.file("s.db")));
  const std::string c = "-c " + dir.file("c.yaml") + " ";
  const auto check = test::run_muniscope("check-config " + dir.file("c.yaml"));
  CHECK(check.exit_code == 0);
  CHECK(check.err.find("reserved for examples") != std::string::npos);
  for (const std::string& cmd : {std::string("poll --once"), std::string("run")}) {
    CAPTURE(cmd);
    const auto r = test::run_muniscope(c + cmd);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("not contacting any server") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("s.db")));  // nothing was even opened
}

TEST_CASE("cli: status with the daemon stopped says its times are the last run's plans") {
  // An account as a run leaves it after a 503: backing off, the next poll
  // planned 15 minutes ago, the retry 14 minutes ago, and the engine's
  // "(retry in 22s)" written at the failure.
  test::TempDir dir;
  test::write_file(dir.file("c.yaml"),
                   one_account_config("mailto:team@research.invalid", dir.file("s.db"), true));
  const std::string c = "-c " + dir.file("c.yaml") + " ";
  const TimeMs now = SystemClock().now();
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadWrite);
    const ConfigLoad load = load_config(dir.file("c.yaml"));
    REQUIRE(load.config);
    REQUIRE(store->sync_config(*load.config, now).ok());
    const StoredAccount account = store->load_accounts(true)->front();
    AccountRuntime rt;
    rt.state = AccountState::kBackingOff;
    rt.state_reason = "HTTP 503 (retry in 22s)";
    rt.next_due_at = now - 15 * kMinuteMs;
    rt.backoff_until = now - 14 * kMinuteMs;
    rt.failures = 1;
    REQUIRE(store->save_account_runtime(account.id, rt, now).ok());
  }
  auto set_daemon = [&](const std::string& pid) {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadWrite);
    REQUIRE(store->set_meta("daemon", pid + " " + format_iso8601(now - kHourMs)).ok());
  };

  SUBCASE("never started: the times are the last poll --once's plans") {
    const auto r = test::run_muniscope(c + "status");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("daemon: never started on this store\n") != std::string::npos);
    CHECK(r.out.find("plans of the last run; nothing polls until the daemon runs") !=
          std::string::npos);
    CHECK(r.out.find(" ago (overdue; daemon not running)") != std::string::npos);
  }

  SUBCASE("stopped: overdue, the retry that was due, the hosts as left") {
    set_daemon("999999999");  // above any pid_max: no such process
    const auto r = test::run_muniscope(c + "status");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("daemon: not running (last started ") != std::string::npos);
    CHECK(r.out.find("as pid 999999999)\n") != std::string::npos);
    CHECK(r.out.find("plans of the last run") != std::string::npos);
    // "15m ago", or "15m1s ago" on a slow machine.
    CHECK(r.out.find("  15m") != std::string::npos);
    CHECK(r.out.find(" ago (overdue; daemon not running)") != std::string::npos);
    CHECK(r.out.find("HTTP 503 (retry was due 14m") != std::string::npos);
    CHECK(r.out.find(" ago; daemon not running)") != std::string::npos);
    CHECK(r.out.find("retry in 22s") == std::string::npos);
    // Machine formats keep absolute times; JSON says whether a daemon acts on them.
    const auto j = test::run_muniscope(c + "status --format json");
    CHECK(j.exit_code == 0);
    CHECK(j.out.find("\"daemon\":{\"running\":false,\"pid\":\"999999999\",\"started\":\"") !=
          std::string::npos);
    CHECK(j.out.find("overdue") == std::string::npos);
  }

  SUBCASE("running: the plans are live and shown as they are") {
    // A process whose name is muniscope is what status takes for the
    // daemon (/proc/PID/comm): sleep(1) under that name stands in for it.
    std::filesystem::create_symlink("/bin/sleep", dir.file("muniscope"));
    test::ChildProcess daemon(dir.file("muniscope"), {"60"}, dir.file("sleep.log"));
    REQUIRE(daemon.alive());
    set_daemon(std::to_string(daemon.pid()));
    const auto r = test::run_muniscope(c + "status");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("daemon: running, pid " + std::to_string(daemon.pid())) != std::string::npos);
    CHECK(r.out.find("daemon not running") == std::string::npos);
    CHECK(r.out.find("plans of the last run") == std::string::npos);
    CHECK(r.out.find("HTTP 503 (retry in 22s)") != std::string::npos);
    const auto j = test::run_muniscope(c + "status --format json");
    CHECK(j.out.find("\"daemon\":{\"running\":true,") != std::string::npos);
  }
}
