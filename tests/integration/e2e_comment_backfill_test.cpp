// End to end: comment backfill (issue #22 §1). `muniscope poll --once` (the
// real binary) against a loopback YouTube whose citizens asked under videos
// of the past year, long outside the refresh window. The comments of every
// video of the history are read, within comment work's share of the quota;
// until they are, the dialogue figures of the year are unknown with their
// reason, and after, they equal what the fake's own data says under the
// answered rule (docs/metrics.md). A feed's dialogue figures are unknown:
// feeds show no comments.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_feed.h"
#include "fake_youtube.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr const char* kChannel = "UCstadtCommentsAaaaaaaaa";
constexpr const char* kKey = "AIzaE2E-comments-0123456789";

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

// The value of `name` in the CSV row of `municipality`.
std::string metric(const std::string& csv, const std::string& municipality,
                   const std::string& name) {
  const auto lines = split(csv, '\n');
  if (lines.empty()) return "<no output>";
  const auto header = split(lines[0], ',');
  const auto col = std::find(header.begin(), header.end(), name) - header.begin();
  if (static_cast<size_t>(col) >= header.size()) return "<no column " + name + ">";
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto row = split(lines[i], ',');
    if (!row.empty() && row[0] == municipality && static_cast<size_t>(col) < row.size())
      return std::string(trim(row[col]));
  }
  return "<no row " + municipality + ">";
}

std::string config(const std::string& yt, const std::string& feed, const std::string& quota) {
  return "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
         "platforms:\n  youtube:\n    base_url: " +
         yt + "/youtube/v3\n    feed_base_url: " + yt +
         "\n    credential: {env: MUNI_E2E_COMMENTS_KEY}\n" + quota +
         "municipalities:\n"
         "  - id: stadt\n    name: Stadt\n    ags: \"08231000\"\n"
         "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
         "      - {platform: youtube, handle: \"" +
         std::string(kChannel) +
         "\"}\n"
         "  - id: dorf\n    name: Dorf\n    ags: \"08111000\"\n"
         "    kind: Gemeinde\n    state: BW\n    accounts:\n"
         "      - {platform: rss, handle: \"" +
         feed + "\"}\n";
}

}  // namespace

TEST_CASE("e2e: comment backfill reads the comments of the whole history within its quota share") {
  const TimeMs now = SystemClock().now();
  FakeYouTube yt(kKey);
  LoopbackServer yt_server([&](const HttpRequest& r) { return yt.handle(r); });
  FakeFeedSite site;
  LoopbackServer site_server([&](const HttpRequest& r) { return site.handle(r); });

  // 60 videos from January 2025 on, one every 11 days: the last is weeks
  // old, so no video is in the 14-day refresh window the daily sweep reads.
  const TimeMs jan2025 = days_from_civil({2025, 1, 1}) * kDayMs + 9 * kHourMs;
  REQUIRE(jan2025 + 59 * 11 * kDayMs < now - 20 * kDayMs);
  yt.add_channel(kChannel, "@stadtkommentare", 4200);
  std::vector<std::string> videos;
  for (int i = 0; i < 60; ++i) videos.push_back(yt.add_video(kChannel, jan2025 + i * 11 * kDayMs, 50));
  // 2025, under the answered rule: three citizen questions; the channel
  // answers the first after 3 h (a citizen followed up before), the second
  // after 10 h; the third stays unanswered. A question of 2026 is outside.
  const TimeMs v3 = jan2025 + 3 * 11 * kDayMs;
  const std::string q1 = yt.add_comment(videos[3], "UCbuergerin00000000000001", v3 + kDayMs);
  yt.add_comment(videos[3], "UCbuerger000000000000002", v3 + kDayMs + kHourMs, q1);
  yt.add_comment(videos[3], kChannel, v3 + kDayMs + 3 * kHourMs, q1);
  const TimeMs v20 = jan2025 + 20 * 11 * kDayMs;
  const std::string q2 = yt.add_comment(videos[20], "UCbuerger000000000000003", v20 + 2 * kDayMs);
  yt.add_comment(videos[20], kChannel, v20 + 2 * kDayMs + 10 * kHourMs, q2);
  const TimeMs v25 = jan2025 + 25 * 11 * kDayMs;
  yt.add_comment(videos[25], "UCbuerger000000000000004", v25 + 5 * kHourMs);
  const TimeMs v40 = jan2025 + 40 * 11 * kDayMs;  // 2026
  yt.add_comment(videos[40], "UCbuerger000000000000005", v40 + kHourMs);
  site.add_item("pm-1", now - 3 * kDayMs, "Meldung");

  TempDir dir;
  const std::string feed_url = site_server.base_url() + "/aktuelles/rss.xml";
  setenv("MUNI_E2E_COMMENTS_KEY", kKey, 1);
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");
  const std::string metrics_args = "metrics --from 2025-01-01 --to 2026-01-01 --format csv -c " +
                                   dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. Comment work may spend 3 % of 1,000 units: 30. The backfill stops
  //    there (a unit under way finishes: at most 20 videos), polls are not
  //    held, and the year's dialogue is unknown, with the reason.
  write_file(dir.file("muniscope.yaml"),
             config(yt_server.base_url(), feed_url,
                    "    quota: {units: 1000, comment_share: 0.03}\n"));
  auto r = run_muniscope(args);
  INFO(r.out << r.err);
  const int64_t comment_calls = yt.calls("commentThreads") + yt.calls("comments");
  CHECK(comment_calls >= 30);
  CHECK(comment_calls < 30 + 20);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE item_type = 'video'") == 60);
    const int64_t swept =
        scalar(*store, "SELECT COUNT(*) FROM posts WHERE comments_swept_at IS NOT NULL");
    CHECK(swept >= 30);
    CHECK(swept < 60);
    CHECK(scalar(*store, "SELECT units FROM budgets WHERE scope = 'youtube#default#comments'") ==
          30);
  }
  auto m = run_muniscope(metrics_args);
  REQUIRE_MESSAGE(m.exit_code == 0, m.err);
  CHECK_MESSAGE(metric(m.out, "stadt", "service_level").empty(), m.out);
  CHECK(metric(m.out, "stadt", "citizen_questions").empty());
  CHECK(metric(m.out, "stadt", "dialogue_unknown").find("never read for this period") !=
        std::string::npos);
  auto status = run_muniscope("status -c " + dir.file("muniscope.yaml") + " --db " +
                              dir.file("s.db"));
  CHECK_MESSAGE(status.out.find(" of 60 items, ") != std::string::npos, status.out);

  // 2. The default share (half of 10,000 units): the rest of the history.
  //    Every video's comments are read once, each with one call (no thread
  //    has more replies than commentThreads embeds).
  write_file(dir.file("muniscope.yaml"), config(yt_server.base_url(), feed_url, ""));
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(yt.calls("commentThreads") == 60);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    // Every video; the feed's item has no comments to read.
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE item_type = 'video' AND "
                         "comments_swept_at IS NULL") == 0);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE comments_sweep = 'complete'") == 60);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments") == 7);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM comments WHERE by_account = 1") == 2);
  }
  m = run_muniscope(metrics_args);
  REQUIRE_MESSAGE(m.exit_code == 0, m.err);
  INFO(m.out);
  CHECK(metric(m.out, "stadt", "citizen_questions") == "3");
  CHECK(metric(m.out, "stadt", "citizen_replies") == "1");
  CHECK(std::stod(metric(m.out, "stadt", "service_level")) == doctest::Approx(2.0 / 3));
  CHECK(std::stod(metric(m.out, "stadt", "answer_time_median_h")) == doctest::Approx(6.5));
  CHECK(std::stod(metric(m.out, "stadt", "comment_coverage")) == doctest::Approx(1.0));
  CHECK(metric(m.out, "stadt", "dialogue_unknown").empty());
  // Feeds show no comments: unknown, never 0, and why.
  CHECK(metric(m.out, "dorf", "citizen_questions").empty());
  CHECK(metric(m.out, "dorf", "dialogue_unknown") == "the platform shows no comments");
  status = run_muniscope("status -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db"));
  CHECK_MESSAGE(status.out.find("60 of 60 items") != std::string::npos, status.out);

  // 3. Nothing is due: another run reads no comments again.
  const int64_t threads = yt.calls("commentThreads");
  r = run_muniscope(args);
  CHECK(r.exit_code == 0);
  CHECK(yt.calls("commentThreads") == threads);
  unsetenv("MUNI_E2E_COMMENTS_KEY");
}
