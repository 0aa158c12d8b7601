// The kill loop: the real muniscope binary against loopback Mastodon,
// Bluesky, YouTube (Data API with a key) and RSS worlds that keep
// publishing, SIGKILLed at random instants, then compared with the worlds.
//
//   muniscope_reliability [--kills N] [--seed S] [--verbose]
//
// Each round starts `muniscope run` or `muniscope poll --once --all`
// (alternately, so both the daemon's backfill and fresh polls are cut
// short), waits a random 50-1200 ms while the worlds add posts and likes,
// and kills it with SIGKILL. After the last round a final `poll --once --all`
// converges. Then, per account: every post of the world stored exactly once,
// nothing stored that the world does not have, every engagement series
// non-decreasing (the worlds' counts only grow), and PRAGMA integrity_check
// ok. Prints a table; exit status 0 when all of that holds.
//
// `make reliability` runs 100 kills; ctest runs a short loop of 20.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_bluesky.h"
#include "fake_feed.h"
#include "fake_mastodon.h"
#include "fake_youtube.h"
#include "loopback_server.h"

extern char** environ;

namespace {

using namespace muni;
using namespace muni::test;

struct MastodonAccount {
  std::string user;
  std::string id;
};

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int run_to_end(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = spawn(args, log);
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A fresh directory for the store and the log, kept when the loop fails.
std::string make_temp_dir() {
  std::string pattern = "/tmp/muniscope-reliability-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "/tmp";
  return pattern;
}

void write_text(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  int kills = 20;
  bool verbose = false;
  uint32_t seed = 20261130;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--kills" && i + 1 < argc) kills = std::atoi(argv[++i]);
    if (a == "--verbose") verbose = true;
    if (a == "--seed" && i + 1 < argc) seed = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
  }
  std::mt19937 rng(seed);
  const auto started = std::chrono::steady_clock::now();

  FakeMastodon mastodon("");
  FakeBluesky bluesky;
  LoopbackServer mastodon_server([&](const HttpRequest& r) { return mastodon.handle(r); }, 32);
  LoopbackServer appview([&](const HttpRequest& r) { return bluesky.handle(r); }, 32);
  mastodon.set_base_url(mastodon_server.base_url());
  // Answers take a while, as over the internet, so kills land mid-work.
  mastodon_server.set_latency_ms(40);
  appview.set_latency_ms(40);

  // A world with several pages of history per account, and enough accounts
  // that the daemon, polling each once a minute at its own offset, is always
  // in the middle of some poll.
  constexpr int kAccounts = 24;  // per platform
  const TimeMs now = SystemClock().now();
  std::vector<MastodonAccount> m_accounts;
  std::vector<std::string> b_accounts;
  for (int i = 0; i < kAccounts; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "1100000000000%05d", i);
    MastodonAccount a{"stadt" + std::to_string(i), id};
    mastodon.add_account(a.user, a.id, 100 * (i + 1));
    for (int k = 0; k < 100 + 25 * (i % 8); ++k) {
      mastodon.add_status(a.user, now - (400 - k) * kHourMs,
                          k % 7 == 6 ? PostKind::kRepost : PostKind::kOriginal, "", "109999", k % 5);
    }
    m_accounts.push_back(a);
    char did[48];
    std::snprintf(did, sizeof did, "did:plc:stadt%02d3456789abcdefghi", i);
    bluesky.add_account(did, "stadt" + std::to_string(i) + ".example", 50 * (i + 1));
    for (int k = 0; k < 120 + 40 * (i % 6); ++k) {
      bluesky.add_post(did, now - (500 - k) * kHourMs,
                       k % 9 == 8 ? PostKind::kReplyOther : PostKind::kOriginal,
                       "did:plc:citizen3456789abcdefghij", k % 4);
    }
    b_accounts.push_back(did);
  }

  // YouTube channels with a few pages of uploads, and press feeds.
  constexpr int kChannels = 6;
  constexpr int kFeeds = 6;
  const std::string yt_key = "AIzaReliabilityKey000000000000000000000";
  FakeYouTube youtube(yt_key);
  LoopbackServer yt_server([&](const HttpRequest& r) { return youtube.handle(r); }, 16);
  yt_server.set_latency_ms(40);
  std::vector<std::string> channels;
  std::map<std::string, std::vector<std::string>> videos;  // channel -> ids
  std::mutex videos_mu;
  for (int i = 0; i < kChannels; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "UCreliability%010d", i);
    channels.push_back(id);
    youtube.add_channel(id, "@ytstadt" + std::to_string(i), 1000 * (i + 1));
    for (int k = 0; k < 60 + 20 * i; ++k)
      videos[id].push_back(youtube.add_video(id, now - (300 - k) * kHourMs, 10 * k));
  }
  std::vector<std::unique_ptr<FakeFeedSite>> feeds;
  std::vector<std::vector<std::string>> feed_items(kFeeds);
  std::mutex feeds_mu;
  for (int i = 0; i < kFeeds; ++i) {
    feeds.push_back(std::make_unique<FakeFeedSite>());
    // The fake feed shows its newest 10 items, as many sites do; a feed has
    // no history, so the world is kept within that window (4 now, up to 10).
    for (int k = 0; k < 4; ++k) {
      const std::string guid = "https://www.stadt" + std::to_string(i) + ".example/presse/" +
                               std::to_string(k);
      feeds[i]->add_item(guid, now - (100 - k) * kHourMs, "Meldung " + std::to_string(k));
      feed_items[i].push_back(guid);
    }
  }
  LoopbackServer feed_server(
      [&](const HttpRequest& r) {
        for (int i = 0; i < kFeeds; ++i) {
          if (r.url.find("/feed" + std::to_string(i) + ".xml") != std::string::npos)
            return feeds[i]->handle(r);
        }
        HttpResponse none;
        none.status = 404;
        return none;
      },
      16);
  feed_server.set_latency_ms(40);
  setenv("MUNI_RELIABILITY_YT_KEY", yt_key.c_str(), 1);

  const std::string dir = make_temp_dir();
  const std::string config = dir + "/muniscope.yaml";
  std::string yaml =
      "defaults:\n  contact: mailto:reliability@example.org\n  allow_private_addresses: true\n"
      "  poll_interval: 1m\n  refresh_interval: 1m\n"
      "platforms:\n  bluesky: {base_url: \"" + appview.base_url() + "\"}\n"
      "  youtube:\n    base_url: " + yt_server.base_url() + "/youtube/v3\n    feed_base_url: " +
      yt_server.base_url() + "\n    credential: {env: MUNI_RELIABILITY_YT_KEY}\n"
      "municipalities:\n";
  for (int i = 0; i < kAccounts; ++i) {
    yaml += "  - id: m" + std::to_string(i) + "\n    name: Stadt " + std::to_string(i) +
            "\n    ags: \"08231000\"\n    kind: Stadt\n    state: BW\n    accounts:\n"
            "      - {platform: mastodon, handle: \"" + mastodon_server.base_url() + "/@" +
            m_accounts[i].user + "\"}\n"
            "      - {platform: bluesky, handle: stadt" + std::to_string(i) + ".example}\n";
    if (i < kChannels)
      yaml += "      - {platform: youtube, handle: \"@ytstadt" + std::to_string(i) + "\"}\n";
    if (i < kFeeds)
      yaml += "      - {platform: rss, handle: \"" + feed_server.base_url() + "/feed" +
              std::to_string(i) + ".xml\"}\n";
  }
  write_text(config, yaml);
  const std::string db = dir + "/s.db";
  const std::string log = dir + "/muniscope.log";
  const std::string binary = MUNISCOPE_BINARY;

  // The worlds keep publishing and counting likes while muniscope works.
  std::atomic<bool> publishing{true};
  std::atomic<int64_t> published{0};
  std::thread publisher([&] {
    std::mt19937 prng(seed + 1);
    while (publishing) {
      const int i = static_cast<int>(prng() % kAccounts);
      const TimeMs t = SystemClock().now();
      const uint32_t what = prng() % 8;
      if (what == 6) {
        const std::string& channel = channels[i % kChannels];
        const std::string id = youtube.add_video(channel, t, 0);
        std::lock_guard<std::mutex> lock(videos_mu);
        videos[channel].push_back(id);
      } else if (what == 7 && feed_items[i % kFeeds].size() < 10) {
        const int f = i % kFeeds;
        std::lock_guard<std::mutex> lock(feeds_mu);
        const std::string guid = "https://www.stadt" + std::to_string(f) + ".example/presse/" +
                                 std::to_string(feed_items[f].size());
        feeds[f]->add_item(guid, t, "Meldung " + std::to_string(feed_items[f].size()));
        feed_items[f].push_back(guid);
      } else if (what % 2 == 0) {
        const std::string id = mastodon.add_status(m_accounts[i].user, t, PostKind::kOriginal);
        mastodon.set_likes(m_accounts[i].user, id, static_cast<int64_t>(prng() % 3));
      } else {
        const std::string uri = bluesky.add_post(b_accounts[i], t, PostKind::kOriginal);
        bluesky.set_likes(uri, static_cast<int64_t>(prng() % 3));
      }
      ++published;
      std::this_thread::sleep_for(std::chrono::milliseconds(10 + prng() % 30));
    }
  });

  // Rounds until `kills` processes were killed while running (a round whose
  // process finished before its instant is not counted as a kill).
  int delivered = 0, rounds = 0, killed_mid_work = 0;
  int64_t last_rows = 0;
  while (delivered < kills && rounds < 3 * kills) {
    const bool daemon = rounds % 3 != 2;  // two daemon rounds, then one poll --once
    ++rounds;
    std::vector<std::string> args = {binary, daemon ? "run" : "poll", "-c", config, "--db", db};
    if (!daemon) {
      args.push_back("--once");
      args.push_back("--all");
    }
    const pid_t pid = spawn(args, log);
    if (pid < 0) {
      std::fprintf(stderr, "cannot start %s\n", binary.c_str());
      return 2;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 1500)(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const bool killed = WIFSIGNALED(status);
    delivered += killed;
    int64_t rows = last_rows;
    try {
      SQLite::Database d(db, SQLite::OPEN_READONLY);
      // Anything written in the round: posts, engagement samples, poll log rows.
      rows = d.execAndGet(
                  "SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM post_samples) + "
                  "(SELECT COUNT(*) FROM poll_log)")
                 .getInt64();
    } catch (const std::exception&) {
      // The first round may be killed before the store exists.
    }
    if (killed && rows > last_rows) ++killed_mid_work;
    if (verbose) {
      std::printf("round %d (%s): %s, %lld rows written\n", rounds, daemon ? "run" : "poll --once",
                  killed ? "killed" : "had finished", static_cast<long long>(rows - last_rows));
    }
    last_rows = rows;
  }
  publishing = false;
  publisher.join();

  // Converge: catch up with everything published, backfill to the end.
  int final_rc = 0;
  for (int pass = 0; pass < 2; ++pass)
    final_rc = run_to_end({binary, "poll", "-c", config, "--db", db, "--once", "--all"}, log);

  // Compare the store with the worlds.
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  int64_t world_posts = 0, verified = 0, lost = 0, extra = 0, duplicated = 0;
  auto compare = [&](const std::string& handle_like, const std::vector<std::string>& world_ids) {
    SQLite::Statement q(d,
                        "SELECT p.platform_post_id, COUNT(*) FROM posts p JOIN accounts a ON "
                        "a.id = p.account_id WHERE a.handle LIKE ? GROUP BY p.platform_post_id");
    q.bind(1, handle_like);
    std::map<std::string, int64_t> stored;
    while (q.executeStep()) stored[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    const std::set<std::string> world(world_ids.begin(), world_ids.end());
    world_posts += static_cast<int64_t>(world.size());
    for (const std::string& id : world) {
      const auto it = stored.find(id);
      if (it == stored.end()) {
        ++lost;
        if (verbose) std::printf("lost: %s %s\n", handle_like.c_str(), id.c_str());
      } else {
        ++verified;
        if (it->second > 1) duplicated += it->second - 1;
      }
    }
    for (const auto& [id, n] : stored) {
      if (!world.count(id)) extra += n;
    }
  };
  for (int i = 0; i < kAccounts; ++i) {
    compare("%/@" + m_accounts[i].user, mastodon.ids(m_accounts[i].user));
    compare("stadt" + std::to_string(i) + ".example", bluesky.ids(b_accounts[i]));
  }
  for (int i = 0; i < kChannels; ++i) compare("@ytstadt" + std::to_string(i), videos[channels[i]]);
  for (int i = 0; i < kFeeds; ++i)
    compare("%/feed" + std::to_string(i) + ".xml", feed_items[i]);
  // Engagement series only grow in these worlds.
  int64_t samples = 0, non_monotone = 0;
  {
    SQLite::Statement q(d, "SELECT post_id, likes FROM post_samples ORDER BY post_id, observed_at");
    int64_t last_post = -1;
    int64_t last_likes = -1;
    while (q.executeStep()) {
      ++samples;
      const int64_t post = q.getColumn(0).getInt64();
      const int64_t likes = q.getColumn(1).isNull() ? -1 : q.getColumn(1).getInt64();
      if (post == last_post && likes >= 0 && last_likes >= 0 && likes < last_likes) ++non_monotone;
      last_post = post;
      last_likes = likes;
    }
  }
  const std::string integrity = d.execAndGet("PRAGMA integrity_check").getString();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::printf("muniscope kill loop (seed %u)\n", seed);
  std::printf("  %-44s %12d\n", "SIGKILLs at random instants", delivered);
  std::printf("  %-44s %12d\n", "  ... after the round had written to the store", killed_mid_work);
  std::printf("  %-44s %12lld\n", "posts published during the loop", static_cast<long long>(published));
  std::printf("  %-44s %12lld\n", "posts in the worlds", static_cast<long long>(world_posts));
  std::printf("  %-44s %12lld\n", "posts verified stored once", static_cast<long long>(verified));
  std::printf("  %-44s %12lld\n", "lost", static_cast<long long>(lost));
  std::printf("  %-44s %12lld\n", "duplicated", static_cast<long long>(duplicated));
  std::printf("  %-44s %12lld\n", "stored but not in the world", static_cast<long long>(extra));
  std::printf("  %-44s %12lld\n", "engagement samples checked", static_cast<long long>(samples));
  std::printf("  %-44s %12lld\n", "samples lower than the one before", static_cast<long long>(non_monotone));
  std::printf("  %-44s %12s\n", "PRAGMA integrity_check", integrity.c_str());
  std::printf("  %-44s %12d\n", "final poll --once exit status", final_rc);
  std::printf("  %-44s %12.1f\n", "seconds", seconds);
  const bool ok = lost == 0 && duplicated == 0 && extra == 0 && non_monotone == 0 &&
                  integrity == "ok" && final_rc == 0 && verified == world_posts && samples > 0 &&
                  delivered == kills;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  if (!ok) {
    const std::string text = read_file_text(log).value_or("");
    std::fprintf(stderr, "store and log kept in %s; last lines of the log:\n%s\n", dir.c_str(),
                 text.substr(text.size() > 6000 ? text.size() - 6000 : 0).c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return ok ? 0 : 1;
}
