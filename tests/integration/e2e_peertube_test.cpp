// End to end: `muniscope poll --once` (the real binary) against two loopback
// PeerTube instances, one on 7.2 and one on 6.1. An account given as a web
// address, a channel given as /c/ and an account of the older instance are
// read: the whole history by offset (backfill over several pages), new
// videos on the next run, counts (no comment count from the older
// instance: unknown, never 0), and the comments of recent videos, with a
// thread where citizens talk among themselves before the account answers,
// a deleted comment, and a video whose comments are switched off. The
// dialogue figures follow the answered rule (docs/metrics.md).
#include <doctest/doctest.h>

#include <algorithm>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_peertube.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

int64_t scalar(Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); }

int64_t posts_of(Store& s, const std::string& handle_part) {
  return scalar(s,
                "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE "
                "a.handle LIKE '%" +
                    handle_part + "' AND p.deleted_at IS NULL");
}

// The value of `name` in the metrics CSV row of `municipality`.
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

}  // namespace

TEST_CASE(
    "e2e: PeerTube history, new videos, counts by version and comments under the answered rule") {
  const TimeMs now = SystemClock().now();
  FakePeerTube tube;
  LoopbackServer tube_server([&](const HttpRequest& r) { return tube.handle(r); });
  tube.set_base_url(tube_server.base_url());
  FakePeerTube old;
  LoopbackServer old_server([&](const HttpRequest& r) { return old.handle(r); });
  old.set_base_url(old_server.base_url());
  old.set_version("6.1.0");

  tube.add_account("stadt", 512);
  tube.add_channel("stadt_channel", "stadt", 300);
  tube.add_channel("ratssitzungen", "stadt", 97);
  // 180 videos over a year (the history needs two backfill pages), the
  // newest two days old; 5 council recordings in their own channel.
  std::string newest;
  for (int i = 0; i < 180; ++i)
    newest = tube.add_video("stadt", "", now - 360 * kDayMs + i * 2 * kDayMs - 2 * kDayMs, 100 + i,
                            i % 7);
  for (int i = 0; i < 5; ++i)
    tube.add_video("stadt", "ratssitzungen", now - 40 * kDayMs + i * 7 * kDayMs, 50, 1);
  const std::string quiet = tube.add_video("stadt", "", now - 3 * kDayMs, 10);
  tube.disable_comments(quiet);

  // Under the newest video: a citizen asks, another citizen (on another
  // instance) and she talk it over, then the city answers in the thread.
  const std::string q1 = tube.add_comment(newest, "buergerin", now - 30 * kHourMs);
  const std::string r1 = tube.add_comment(newest, "bernd@andere.example", now - 29 * kHourMs, q1);
  const std::string r2 = tube.add_comment(newest, "buergerin", now - 28 * kHourMs, r1);
  tube.add_comment(newest, "stadt", now - 27 * kHourMs, r2);  // answered after 3 hours
  // A second question nobody from the city answers; a citizen does.
  const std::string q2 = tube.add_comment(newest, "carla", now - 20 * kHourMs);
  tube.add_comment(newest, "dieter", now - 19 * kHourMs, q2);
  // The city's own top-level note is no question.
  tube.add_comment(newest, "stadt", now - 10 * kHourMs);
  // A comment deleted later: a tombstone, nobody's comment.
  const std::string q3 = tube.add_comment(newest, "eve", now - 9 * kHourMs);
  tube.add_comment(newest, "frank", now - 8 * kHourMs, q3);
  tube.delete_comment(q3);

  old.add_account("kreis", 40);
  for (int i = 0; i < 3; ++i) old.add_video("kreis", "", now - 20 * kDayMs + i * kDayMs, 7);

  TempDir dir;
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             // The fake instances have no limit of their own; PeerTube's
             // default (50 requests per 10 s) would make the comment
             // backfill of 100 videos take half a minute of test time.
             "platforms:\n  peertube:\n    rate_limit: {requests: 1000, per: 10s}\n"
             "municipalities:\n"
             "  - id: stadt\n    name: Stadt P\n    ags: \"08231000\"\n"
             "    kind: kreisfreie Stadt\n    state: BW\n    accounts:\n"
             "      - {platform: peertube, handle: \"" +
                 tube_server.base_url() +
                 "/a/stadt/videos\", role: press}\n"
                 "      - {platform: peertube, handle: \"" +
                 tube_server.base_url() +
                 "/c/ratssitzungen\"}\n"
                 "  - id: kreis\n    name: Kreis P\n    ags: \"08111000\"\n"
                 "    kind: Landkreis\n    state: BW\n    accounts:\n"
                 "      - {platform: peertube, handle: \"" +
                 old_server.base_url() + "/@kreis\"}\n");
  const std::string args =
      "poll --once --all -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");

  // 1. From scratch: every video, counts, and the recent videos' comments.
  auto r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, "/a/stadt") == 186);  // the account lists its channels' videos too
    CHECK(posts_of(*store, "/c/ratssitzungen") == 5);
    CHECK(posts_of(*store, "/a/kreis") == 3);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM accounts WHERE platform = 'peertube' AND "
                 "backfill_state = 'complete'") == 3);
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE item_type <> 'video'") == 0);
    CHECK(
        scalar(*store, "SELECT COUNT(*) FROM accounts WHERE platform_id = 'channel:ratssitzungen@" +
                           tube.host() + "'") == 1);
    CHECK(scalar(*store,
                 "SELECT MAX(followers) FROM account_samples s JOIN accounts a ON a.id = "
                 "s.account_id WHERE a.handle LIKE '%/a/stadt'") == 512);
    // Views and likes everywhere; the comment count only from 7.2 on.
    CHECK(scalar(*store, "SELECT COUNT(*) FROM posts WHERE views IS NULL OR likes IS NULL") == 0);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id "
                 "WHERE a.handle LIKE '%/a/kreis' AND p.replies IS NOT NULL") == 0);
    CHECK(scalar(*store,
                 "SELECT replies FROM posts p JOIN accounts a ON a.id = p.account_id "
                 "WHERE a.handle LIKE '%/a/stadt' AND p.platform_post_id = '" +
                     newest + "'") == 8);
    // Eight comments of the newest video; the deleted one is not stored.
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE "
                 "on_post_id = '" +
                     newest + "'") == 8);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM comments WHERE platform_comment_id = '" + q3 + "'") == 0);
    CHECK(scalar(*store,
                 "SELECT COUNT(DISTINCT platform_comment_id) FROM comments WHERE "
                 "by_account = 1") == 2);
    // What an older instance cannot show is said.
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM account_events WHERE kind = 'instance_version' "
                 "AND detail LIKE '%6.1.0%no comment count%'") == 1);
  }
  const int64_t videos_calls = tube.calls("videos");
  const int64_t config_calls = tube.calls("config") + old.calls("config");
  CHECK(config_calls == 3);  // once per account

  // 2. Two new videos: the next run reads them from the top of the list.
  tube.add_video("stadt", "", now - kHourMs, 1);
  tube.add_video("stadt", "ratssitzungen", now - 30 * kMinuteMs, 2);
  r = run_muniscope(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadOnly);
    CHECK(posts_of(*store, "/a/stadt") == 188);
    CHECK(posts_of(*store, "/c/ratssitzungen") == 6);
    CHECK(scalar(*store,
                 "SELECT COUNT(*) FROM (SELECT account_id, platform_post_id FROM posts "
                 "GROUP BY account_id, platform_post_id HAVING COUNT(*) > 1)") == 0);
  }
  CHECK(tube.calls("videos") - videos_calls <= 4);  // one page per account (and a refresh)
  CHECK(tube.calls("config") + old.calls("config") == config_calls);  // read once, kept

  // 3. The dialogue: two citizen questions, one answered after 3 hours;
  // three follow-ups by citizens.
  auto m = run_muniscope("metrics --format csv -c " + dir.file("muniscope.yaml") + " --db " +
                         dir.file("s.db"));
  REQUIRE_MESSAGE(m.exit_code == 0, m.err);
  INFO(m.out);
  CHECK(metric(m.out, "stadt", "citizen_questions") == "2");
  CHECK(metric(m.out, "stadt", "citizen_replies") == "4");
  CHECK(std::stod(metric(m.out, "stadt", "service_level")) == doctest::Approx(0.5));
  CHECK(std::stod(metric(m.out, "stadt", "answer_time_median_h")) == doctest::Approx(3.0));
}
