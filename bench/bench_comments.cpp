// Comment backfill at national scale (issue #22 §1), printed as a table
// (make bench): 400 YouTube channels of 200 videos each, every video's
// comments read once by comment backfill under the default quota (10,000
// units a day, half of it for comment work). The real engine, store and
// YouTube connector run against the loopback-free fake YouTube on a
// simulated transport in simulated time, so 20 days pass in minutes.
//
// Measured: the simulated days until every video's comments were read
// (docs/platforms.md says 80,000 / 5,000 = 16), the most units comment work
// and all work spent on one day (within 5,000 and 10,000), and whether
// polls went on every day.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "connectors/builtin.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "fake_youtube.h"
#include "simulated_transport.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;

namespace {

constexpr int kChannels = 400;
constexpr int kVideos = 200;
constexpr const char* kKey = "AIzaBench-comments-0123456789";

std::string channel_id(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "UCbench%017d", i);  // UC + 22 characters
  return buf;
}

}  // namespace

int main() {
  register_builtin_platforms();
  const std::string dir =
      (std::filesystem::temp_directory_path() / "muniscope-bench-comments").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // Midnight Pacific time, when YouTube's daily quota resets (January: UTC-8),
  // so that each simulated day below is one quota period.
  test::FakeClock clock(1767254400000 /* 2026-01-01T08:00:00Z */);
  const TimeMs start = clock.now();
  test::FakeYouTube yt(kKey);
  yt.set_quota(int64_t{1} << 40);  // the engine's own budget is what is measured
  for (int c = 0; c < kChannels; ++c) {
    yt.add_channel(channel_id(c), "@bench" + std::to_string(c), 1000 + c);
    for (int v = 0; v < kVideos; ++v) {
      const std::string video =
          yt.add_video(channel_id(c), start - 30 * kDayMs - (v * 9 + c % 7) * kDayMs, 100);
      if (v % 10 == 0) yt.add_comment(video, "UCbuerger000000000000001", start - 20 * kDayMs);
    }
  }
  test::SimulatedTransport transport(
      clock, [&](const HttpRequest& r) { return yt.handle(r); }, 80);

  {
    std::ofstream cfg(dir + "/bench.yaml");
    cfg << "defaults: {contact: bench@example.org}\nplatforms:\n  youtube:\n"
        << "    base_url: http://yt.bench/youtube/v3\n    feed_base_url: http://yt.bench\n"
        << "    credential: {env: MUNI_BENCH_YT_KEY}\nmunicipalities:\n";
    for (int c = 0; c < kChannels; ++c) {
      cfg << "  - {id: m" << c << ", name: M, ags: \"08231000\", kind: Gemeinde, state: BW, "
          << "accounts: [{platform: youtube, handle: \"" << channel_id(c) << "\"}]}\n";
    }
  }
  setenv("MUNI_BENCH_YT_KEY", kKey, 1);
  ConfigLoad load = load_config(dir + "/bench.yaml");
  if (!load.config) {
    std::fprintf(stderr, "bench config invalid: %s\n", load.errors[0].format().c_str());
    return 1;
  }
  auto store = std::move(*Store::open(dir + "/bench.db", OpenMode::kReadWrite));
  (void)store->sync_config(*load.config, clock.now());
  ConnectorRegistry registry = builtin_connectors();
  test::FixedRandom random;
  Engine engine(clock, random, transport, *store, registry,
                EngineOptions::from_config(*load.config));
  (void)engine.load(*load.config);

  // Run the daemon's loop in simulated time, day by day, until every
  // video's comments were read (or 30 days).
  const int64_t videos = int64_t{kChannels} * kVideos;
  int days_to_complete = -1;
  std::map<int, int64_t> comment_units, all_units, polls;
  size_t counted = 0;
  for (int day = 0; day < 30 && days_to_complete < 0; ++day) {
    while (clock.now() < start + (day + 1) * kDayMs) engine.step(60'000);
    const auto& sent = transport.sent();
    for (; counted < sent.size(); ++counted) {
      const std::string& url = sent[counted].request.url;
      const int d = static_cast<int>((sent[counted].at - start) / kDayMs);
      ++all_units[d];
      if (url.find("/commentThreads?") != std::string::npos ||
          url.find("/comments?") != std::string::npos)
        ++comment_units[d];
      // Each poll reads its channel's uploads playlist once.
      if (url.find("/playlistItems?") != std::string::npos) ++polls[d];
    }
    const int64_t unread = store->db()
                               .execAndGet("SELECT COUNT(*) FROM posts WHERE comments_swept_at "
                                           "IS NULL")
                               .getInt64();
    const int64_t stored = store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64();
    std::fprintf(stderr, "day %2d: %6lld of %lld videos read, %lld stored, %lld units (%lld comments)\n",
                 day + 1, static_cast<long long>(stored - unread), static_cast<long long>(videos),
                 static_cast<long long>(stored), static_cast<long long>(all_units[day]),
                 static_cast<long long>(comment_units[day]));
    if (stored == videos && unread == 0) days_to_complete = day + 1;
  }
  int64_t max_comment = 0, max_all = 0, min_polls = -1;
  for (const auto& [d, n] : comment_units) max_comment = std::max(max_comment, n);
  for (const auto& [d, n] : all_units) max_all = std::max(max_all, n);
  for (const auto& [d, n] : polls) min_polls = min_polls < 0 ? n : std::min(min_polls, n);

  std::printf("\n%-44s %-22s %s\n", "comment backfill (400 channels x 200 videos)", "measured",
              "expected (docs/platforms.md)");
  std::printf("%-44s %-22s %s\n", "days until every video's comments were read",
              days_to_complete < 0 ? "not within 30" : std::to_string(days_to_complete).c_str(),
              "about 16-17");
  std::printf("%-44s %-22lld %s\n", "most comment units in one quota day",
              static_cast<long long>(max_comment), "<= 5,000 (+ the units under way)");
  std::printf("%-44s %-22lld %s\n", "most units in one quota day, all work",
              static_cast<long long>(max_all), "<= 10,000");
  std::printf("%-44s %-22lld %s\n", "fewest uploads-playlist reads on one day",
              static_cast<long long>(min_polls), "> 0 (polls never starve)");
  std::filesystem::remove_all(dir);
  return days_to_complete < 0 ? 1 : 0;
}
