// A hostile YouTube, over real HTTP on loopback: the engine, the libcurl
// transport, the YouTube connector and the store against the fake Data API
// (tests/support/fake_youtube.h) turned hostile with set_tamper. One case
// per finding of issue #20 that concerns YouTube:
//
//   1  videos.list answering no items (twice), or leaving videos out, marks
//      nothing deleted; a video really gone is deleted on per-video evidence
//   4  a comment thread's page token that repeats, circles or never ends is
//      stopped by the connector (at most 50 requests for one video)
//   5  an upload dated 9999-12-31 never becomes the head: the next real
//      upload is stored
//   8  absurd counts (comment likes, channel views, video views) are stored
//      as unknown, never as numbers
//   caveat: a 403 with an empty body is "HTTP 403 without a reason", retried
//      within the hour, not auth_required
//
// Each round is one `poll --once` of the account (poll, backfill, refresh,
// comment sweep) by a fresh engine over the same store.
#include <doctest/doctest.h>

#include <chrono>

#include "config/config.h"
#include "connectors/builtin.h"
#include "connectors/toolkit.h"
#include "core/clock.h"
#include "core/strings.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "engine_run.h"
#include "fake_youtube.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr const char* kChannel = "UCstadtHostileaaaaaaaaaa";
constexpr const char* kKey = "AIzaHostile-test-key-0123456789";

struct World {
  FakeYouTube yt{kKey};
  LoopbackServer server{[this](const HttpRequest& r) { return yt.handle(r); }};
  World() { yt.add_channel(kChannel, "@stadthostile", 4321); }
};

// The key in the environment, where the configuration names it, for as long
// as the run lives.
struct KeyInEnvironment {
  KeyInEnvironment() { setenv("MUNI_HOSTILE_YT_KEY", kKey, 1); }
  ~KeyInEnvironment() { unsetenv("MUNI_HOSTILE_YT_KEY"); }
};

// One store; each round() is one poll --once of the channel by a new engine.
struct Run {
  explicit Run(World& w) : run(config_for(w), builtin_connectors()) {
    run.transport_options().total_timeout_ms = 2000;
    run.transport_options().connect_timeout_ms = 2000;
    run.options().once_backoff = BackoffPolicy{50, 200, 20};
    run.options().once_max_attempts = 2;
  }

  static std::string config_for(World& w) {
    return "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
           "  request_timeout: 2s\n"
           "platforms:\n  youtube:\n    base_url: " +
           w.server.base_url() + "/youtube/v3\n    feed_base_url: " + w.server.base_url() +
           "\n    credential: {env: MUNI_HOSTILE_YT_KEY}\n"
           "municipalities:\n"
           "  - id: stadt\n    name: Stadt\n    ags: \"08231000\"\n    kind: Stadt\n    state: BW\n"
           "    accounts:\n      - {platform: youtube, handle: " +
           std::string(kChannel) + "}\n";
  }

  void round() {
    run.fresh_engine();
    run.once();
  }

  StoredAccount account() { return run.account(std::string("youtube:") + kChannel); }
  int64_t scalar(const std::string& sql) { return run.scalar(sql); }
  std::string text(const std::string& sql) { return run.text(sql); }
  int64_t posts(bool deleted) {
    return scalar(std::string("SELECT COUNT(*) FROM posts WHERE deleted_at IS ") +
                  (deleted ? "NOT NULL" : "NULL"));
  }
  // The last entry of the poll log for one kind of work: "outcome | error".
  std::string last_log(const std::string& work) {
    return text("SELECT outcome || ' | ' || IFNULL(error, '') FROM poll_log WHERE work = '" + work +
                "' ORDER BY rowid DESC LIMIT 1");
  }

  KeyInEnvironment key;
  EngineRun run;
};

// A JSON body with its nextPageToken set to `token` ("" removes it). The
// fake writes compact JSON that opens with "kind".
std::string with_token(std::string body, const std::string& token) {
  const size_t at = body.find("\"nextPageToken\":\"");
  if (at != std::string::npos) body.erase(at, body.find('"', at + 17) + 2 - at);
  if (!token.empty()) {
    const size_t after_kind = body.find("\",", body.find("\"kind\":\"")) + 2;
    body.insert(after_kind, "\"nextPageToken\":\"" + token + "\",");
  }
  return body;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string without_param(const std::string& url, const std::string& name) {
  const size_t at = url.find("&" + name + "=");
  if (at == std::string::npos) return url;
  const size_t end = url.find('&', at + 1);
  return url.substr(0, at) + (end == std::string::npos ? "" : url.substr(end));
}

HttpResponse no_items(const char* kind) {
  HttpResponse r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "application/json; charset=UTF-8"});
  r.body = std::string("{\"kind\":\"") + kind +
           "\",\"etag\":\"e\",\"items\":[],\"pageInfo\":{\"totalResults\":0,\"resultsPerPage\":0}}";
  return r;
}

bool is_batch(const HttpRequest& r) {
  return url_query_param(r.url, "id").value_or("").find(',') != std::string::npos;
}

}  // namespace

TEST_CASE("hostile YouTube: absence is not deletion (issue #20, 1)") {
  const TimeMs now = SystemClock().now();
  World w;
  std::vector<std::string> videos;
  for (int i = 0; i < 6; ++i)
    videos.push_back(w.yt.add_video(kChannel, now - (10 - i) * kDayMs, 100 + i));
  Run run(w);
  run.round();
  REQUIRE(run.posts(false) == 6);
  CHECK(run.last_log("refresh").rfind("ok", 0) == 0);

  // 1. videos.list answers no items, whatever it is asked, in two runs.
  int uploads_checks = 0;
  w.yt.set_tamper(
      [&](const std::string& method, const HttpRequest& r, const FakeYouTube::Honest& honest) {
        if (method == "playlistItems" && url_query_param(r.url, "videoId")) ++uploads_checks;
        return method == "videos" ? no_items("youtube#videoListResponse") : honest(r);
      });
  run.round();
  run.round();
  CHECK(run.posts(false) == 6);
  CHECK(run.posts(true) == 0);
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE missing_count > 0") == 0);
  const std::string log = run.last_log("refresh");
  CHECK_MESSAGE(log.rfind("server_error", 0) == 0, log);
  CHECK_MESSAGE(log.find("videos.list returned none of the 6 requested videos, though " +
                         videos.back() + " is there") != std::string::npos,
                log);
  // One check (of the newest video) per refresh attempt, two attempts a run.
  CHECK(uploads_checks >= 2);
  CHECK(uploads_checks <= 4);

  // 2. The batch leaves out all but one, and each video asked alone is
  //    missing too; the uploads still list them: nothing is deleted.
  uploads_checks = 0;
  w.yt.set_tamper(
      [&](const std::string& method, const HttpRequest& r, const FakeYouTube::Honest& honest) {
        if (method == "videos" && is_batch(r)) {
          HttpRequest first = r;
          const std::string ids = url_query_param(r.url, "id").value_or("");
          first.url = without_param(r.url, "id") + "&id=" + ids.substr(0, ids.find(','));
          return honest(first);
        }
        if (method == "videos") return no_items("youtube#videoListResponse");
        if (method == "playlistItems" && url_query_param(r.url, "videoId")) ++uploads_checks;
        return honest(r);
      });
  run.round();
  CHECK(uploads_checks == 5);  // each suspect, once
  CHECK(run.posts(true) == 0);
  CHECK(run.last_log("refresh").rfind("ok", 0) == 0);

  // 3. Honest again, and one video really is gone: deleted, on its own
  //    evidence; the others are untouched.
  w.yt.set_tamper(nullptr);
  w.yt.remove_video(videos[2]);
  const int64_t video_calls = w.yt.calls("videos");
  run.round();
  CHECK(run.posts(true) == 1);
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL AND "
                   "platform_post_id = '" +
                   videos[2] + "'") == 1);
  CHECK(w.yt.calls("videos") - video_calls == 2);  // the batch, the one check

  // 4. The channel deletes every other recent video: the batch comes back
  //    empty, and that is true: the first is proven gone, then the others.
  for (const std::string& v : videos) {
    if (v != videos[2]) w.yt.remove_video(v);
  }
  run.round();
  CHECK(run.posts(true) == 6);
  CHECK(run.last_log("refresh").rfind("ok", 0) == 0);
}

TEST_CASE("hostile YouTube: comment paging that repeats, circles or never ends (issue #20, 4)") {
  const TimeMs now = SystemClock().now();
  World w;
  const std::string video = w.yt.add_video(kChannel, now - 2 * kDayMs, 500);
  for (int i = 0; i < 6; ++i)
    w.yt.add_comment(video, "UCbuerger0000000000000" + std::to_string(10 + i),
                     now - kDayMs + i * kHourMs);
  Run run(w);

  struct Plan {
    const char* name;
    std::function<std::string(int)> token;  // for the n-th answer
    int64_t requests;                       // commentThreads requests of the sweep
    const char* reason;
  };
  const std::vector<Plan> plans = {
      {"repeating", [](int) { return std::string("CAE2"); }, 2, "a page token came back"},
      {"circling", [](int n) { return std::string(n % 2 == 0 ? "CAE2" : "CAE4"); }, 3,
       "a page token came back"},
      {"never ending", [](int n) { return "Tok" + std::to_string(n); }, 50,
       "stopped after 50 requests"},
  };
  for (const Plan& plan : plans) {
    CAPTURE(plan.name);
    int answers = 0;
    w.yt.set_tamper(
        [&](const std::string& method, const HttpRequest& r, const FakeYouTube::Honest& honest) {
          if (method != "commentThreads") return honest(r);
          // The first page, always, with the plan's token.
          HttpRequest first = r;
          first.url = without_param(r.url, "pageToken");
          HttpResponse answer = honest(first);
          answer.body = with_token(answer.body, plan.token(answers++));
          return answer;
        });
    run.round();
    CHECK(answers == plan.requests);
    const std::string log = run.last_log("comments");
    CHECK_MESSAGE(log.rfind("ok", 0) == 0, log);
    CHECK_MESSAGE(log.find(plan.reason) != std::string::npos, log);
    // What was read is kept: the first page's threads.
    CHECK(run.scalar("SELECT COUNT(*) FROM comments WHERE deleted_at IS NULL") >= 4);
  }
  // Honest again: every comment, and nothing was taken for deleted.
  w.yt.set_tamper(nullptr);
  run.round();
  CHECK(run.scalar("SELECT COUNT(*) FROM comments WHERE deleted_at IS NULL") == 6);
  CHECK(run.last_log("comments") == "ok | ");
}

TEST_CASE("hostile YouTube: a comment reading that comes back empty deletes no comment") {
  const TimeMs now = SystemClock().now();
  World w;
  const std::string video = w.yt.add_video(kChannel, now - 2 * kDayMs, 500);
  for (int i = 0; i < 3; ++i)
    w.yt.add_comment(video, "UCbuerger0000000000000" + std::to_string(10 + i), now - kDayMs);
  Run run(w);
  run.round();
  REQUIRE(run.scalar("SELECT COUNT(*) FROM comments") == 3);
  w.yt.set_tamper([](const std::string& method, const HttpRequest& r,
                     const FakeYouTube::Honest& honest) {
    return method == "commentThreads" ? no_items("youtube#commentThreadListResponse") : honest(r);
  });
  run.round();
  run.round();
  CHECK(run.scalar("SELECT COUNT(*) FROM comments WHERE deleted_at IS NULL") == 3);
  CHECK(run.scalar("SELECT COUNT(*) FROM comments WHERE missing_count > 0") == 0);
}

TEST_CASE("hostile YouTube: an upload dated 9999-12-31 never hides later uploads (issue #20, 5)") {
  const TimeMs now = SystemClock().now();
  const TimeMs far = test::at("9999-12-31T00:00:00Z");
  World w;
  for (int i = 0; i < 3; ++i) w.yt.add_video(kChannel, now - (5 - i) * kDayMs, 10);
  // Before the first poll ever, and again later above a stored head.
  const std::string future1 = w.yt.add_video(kChannel, far, 0);
  Run run(w);
  run.round();
  CHECK(run.posts(false) == 3);  // the page guard skips the future-dated one
  auto head = [&] { return toolkit::CursorJson::parse(run.account().cursor).str("head"); };
  CHECK(head() != future1);
  CHECK(run.account().cursor.find(future1) == std::string::npos);

  const std::string real1 = w.yt.add_video(kChannel, now - kHourMs, 10);
  run.round();
  CHECK(run.posts(false) == 4);
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE platform_post_id = '" + real1 + "'") == 1);
  CHECK(head() == real1);

  const std::string future2 = w.yt.add_video(kChannel, far - kDayMs, 0);
  run.round();
  CHECK(head() == real1);
  const std::string real2 = w.yt.add_video(kChannel, now - kMinuteMs, 10);
  run.round();
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE platform_post_id = '" + real2 + "'") == 1);
  CHECK(run.posts(false) == 5);
  CHECK(head() == real2);
  const std::string cursor = run.account().cursor;
  CHECK(cursor.find(future1) == std::string::npos);
  CHECK(cursor.find(future2) == std::string::npos);
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE created_at > " +
                   std::to_string(now + kDayMs)) == 0);
}

TEST_CASE("hostile YouTube: absurd counts are stored as unknown (issue #20, 8)") {
  const TimeMs now = SystemClock().now();
  World w;
  const std::string video = w.yt.add_video(kChannel, now - 2 * kDayMs, 500);
  for (int i = 0; i < 4; ++i) {
    const std::string thread =
        w.yt.add_comment(video, "UCbuerger0000000000000" + std::to_string(10 + i), now - kDayMs);
    w.yt.add_comment(video, kChannel, now - kHourMs, thread);
  }
  const std::vector<std::string> likes = {"-5", "9223372036854775807", "\"-8446744073709551617\"",
                                          "\"99999999999999999999\""};
  w.yt.set_tamper(
      [&](const std::string& method, const HttpRequest& r, const FakeYouTube::Honest& honest) {
        HttpResponse answer = honest(r);
        if (method == "channels") {
          answer.body = replace_all(answer.body, "\"viewCount\":\"1000\"",
                                    "\"viewCount\":\"-8446744073709551617\"");
        } else if (method == "videos") {
          answer.body = replace_all(answer.body, "\"viewCount\":\"500\"",
                                    "\"viewCount\":\"99999999999999999999\"");
        } else if (method == "commentThreads" || method == "comments") {
          int n = 0;
          for (size_t at = answer.body.find("\"likeCount\":0"); at != std::string::npos;
               at = answer.body.find("\"likeCount\":0", at + 1)) {
            answer.body.replace(at, 13, "\"likeCount\":" + likes[n++ % likes.size()]);
          }
        }
        return answer;
      });
  Run run(w);
  run.round();
  REQUIRE(run.scalar("SELECT COUNT(*) FROM comments") == 8);
  CHECK(run.scalar("SELECT COUNT(*) FROM comments WHERE likes IS NOT NULL") == 0);
  REQUIRE(run.scalar("SELECT COUNT(*) FROM account_counter_samples WHERE counter = 'views'") >= 1);
  CHECK(run.scalar("SELECT COUNT(*) FROM account_counter_samples WHERE value IS NOT NULL") == 0);
  REQUIRE(run.posts(false) == 1);
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE views IS NOT NULL") == 0);
  CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE likes IS NOT NULL") == 1);  // 25 is fine
}

TEST_CASE("hostile YouTube: a 403 with an empty body is no refused key, and is retried soon") {
  const TimeMs now = SystemClock().now();
  World w;
  w.yt.add_video(kChannel, now - kDayMs, 5);
  w.yt.set_tamper([](const std::string&, const HttpRequest&, const FakeYouTube::Honest&) {
    HttpResponse r;
    r.status = 403;
    return r;
  });
  Run run(w);
  run.round();
  const StoredAccount a = run.account();
  CHECK(a.state_id() != "auth_required");
  CHECK(a.state_id() != "auth_failed");
  CHECK_MESSAGE(a.runtime.state_reason.find("HTTP 403 without a reason") != std::string::npos,
                a.runtime.state_reason);
  REQUIRE(a.runtime.backoff_until.has_value());
  CHECK(*a.runtime.backoff_until < now + kHourMs);
  // The key is not marked rejected: once the server answers again, polling goes on.
  w.yt.set_tamper(nullptr);
  run.round();
  CHECK(run.account().state_id() == "ok");
  CHECK(run.posts(false) == 1);
}
