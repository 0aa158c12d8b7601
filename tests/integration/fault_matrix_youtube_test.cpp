// The fault matrix's YouTube family: how the Data API carries the generic
// faults, where YouTube's outcome differs from the default, and the rows
// only YouTube can have (its fake: tests/support/fake_youtube.h).
// The harness, the generic rows every family gets and what is asserted for
// each row: tests/support/fault_matrix.h; the faults and what muniscope does
// with each: docs/reliability.md.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_youtube.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

bool has_param(const HttpRequest& r, const char* name) {
  return url_query_param(r.url, name).has_value();
}

const char* json_date(Dates d) {
  return d == Dates::kFuture ? "9999-12-31T00:00:00.000Z" : "0001-01-01T00:00:00.000Z";
}

// The Data API with a key, both channels on it (one host, one key).
class YouTubeFamily final : public Family {
 public:
  static constexpr const char* kKey = "AIzaMatrix-test-key-0123456789";
  static constexpr const char* kKeyVariable = "MUNI_MATRIX_YT_KEY";
  static constexpr const char* kFaulty = "UCfaultyKanalaaaaaaaaaaa";
  static constexpr const char* kHealthy = "UChealthyKanalaaaaaaaaaa";

  YouTubeFamily() : Family("youtube") {
    setenv(kKeyVariable, kKey, 1);
    api_.set_fault_selector([this](const HttpRequest& r) { return faults().transport_fault(r); });
    yt_.add_channel(kFaulty, "@faultykanal", 4321);
    yt_.add_channel(kHealthy, "@healthykanal", 321);
    const TimeMs now = SystemClock().now();
    // 70 uploads two days apart (two pages of history, 7 within the
    // refresh window), 12 three days apart.
    for (int i = 0; i < 70; ++i)
      faulty_videos_.insert(
          yt_.add_video(kFaulty, now - (139 - 2 * i) * kDayMs - i * kMinuteMs, 100 + i));
    for (int i = 0; i < 12; ++i)
      healthy_videos_.insert(yt_.add_video(kHealthy, now - (34 - 3 * i) * kDayMs, 10 + i));
    // Citizens ask under the two newest videos; the channel answers one.
    int n = 0;
    for (const std::string& video : {newest(faulty_videos_, 0), newest(faulty_videos_, 1)}) {
      for (int i = 0; i < 3; ++i) {
        const std::string thread =
            yt_.add_comment(video, "UCbuerger00000000000000" + std::to_string(10 + n++),
                            now - 20 * kHourMs + i * kHourMs);
        faulty_threads_.insert(thread);
        if (i == 0) yt_.add_comment(video, kFaulty, now - 2 * kHourMs, thread);
      }
    }
  }
  ~YouTubeFamily() override { unsetenv(kKeyVariable); }

  std::string settings_yaml() const override {
    return "base_url: " + api_.base_url() + "/youtube/v3, feed_base_url: " + api_.base_url() +
           ", credential: {env: " + kKeyVariable + "}";
  }
  std::string handle(bool faulty) const override { return faulty ? kFaulty : kHealthy; }
  std::vector<std::string> secrets() const override { return {kKey}; }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? faulty_videos_ : healthy_videos_;
  }
  bool shares_host() const override { return true; }

  // A call about the faulty channel alone: its channel, its uploads, its
  // videos, their comments. (A refresh batch that names both channels is
  // the healthy one's too, and is left alone.)
  bool any_request(const HttpRequest& r) const override {
    const auto param = [&](const char* name) { return url_query_param(r.url, name).value_or(""); };
    const auto all_of = [](const std::string& list, const std::set<std::string>& set) {
      const std::vector<std::string> ids = split(list, ',');
      return !ids.empty() && std::all_of(ids.begin(), ids.end(),
                                         [&](const std::string& id) { return set.count(id) > 0; });
    };
    if (method(r) == "channels") return param("id") == kFaulty;
    if (method(r) == "playlistItems") return param("playlistId") == uploads();
    if (method(r) == "videos") return all_of(param("id"), faulty_videos_);
    if (method(r) == "commentThreads") return faulty_videos_.count(param("videoId")) > 0;
    if (method(r) == "comments") return faulty_threads_.count(param("parentId")) > 0;
    return false;
  }
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && (method(r) == "playlistItems" || method(r) == "videos");
  }
  bool first_listing(const HttpRequest& r) const override {
    return any_request(r) && method(r) == "playlistItems" && !has_param(r, "pageToken") &&
           !has_param(r, "videoId");
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string body) const override {
    const std::string kind = body.find("youtube#videoListResponse") != std::string::npos
                                 ? "youtube#videoListResponse"
                                 : "youtube#playlistItemListResponse";
    return "{\"kind\":\"" + kind +
           "\",\"etag\":\"e\",\"items\":[],\"pageInfo\":{\"totalResults\":0,\"resultsPerPage\":50}"
           "}";
  }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(viewCount|likeCount|commentCount)\":\"-?[0-9]+\"",
                        [&](const std::smatch& m, int n) {
                          // Counts are strings of digits in the Data API.
                          return "\"" + m[1].str() + "\":\"" + values[n % values.size()] + "\"";
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    return replace_each(body, "\"(publishedAt|videoPublishedAt)\":\"[^\"]*\"",
                        [&](const std::smatch& m, int) {
                          return "\"" + m[1].str() + "\":\"" + json_date(d) + "\"";
                        });
  }
  // The second video of the answer takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::string> ids;
    const std::regex video("\"(?:videoId|id)\":\"(v[0-9]{10})\"");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), video);
         it != std::sregex_iterator() && ids.size() < 2; ++it) {
      if (ids.empty() || (*it)[1].str() != ids[0]) ids.push_back((*it)[1].str());
    }
    if (ids.size() < 2) return body;
    return replace_all(body, "\"" + ids[1] + "\"", "\"" + ids[0] + "\"");
  }
  CursorFault repeating_cursor() override {
    // An uploads page hands back the token it was asked with.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && method(r) == "playlistItems" && has_param(r, "pageToken");
    };
    p.respond = [](const HttpRequest& r, HttpResponse honest) {
      honest.body = with_token(honest.body, url_query_param(r.url, "pageToken").value_or(""));
      return honest;
    };
    return {"an uploads page token that comes back at once", p};
  }
  CursorFault circling_cursor() override {
    // The last uploads page points back to the first (offset 0), whose
    // token leads to the last again.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && method(r) == "playlistItems" && has_param(r, "pageToken");
    };
    p.respond = [](const HttpRequest&, HttpResponse honest) {
      if (honest.body.find("\"nextPageToken\"") == std::string::npos)
        honest.body = with_token(honest.body, "CAE0");
      return honest;
    };
    return {"uploads page tokens that lead back to the first page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A video id carries no time: nothing can correct the date, so the
        // page guard skips those videos (reported), and no skipped video
        // becomes a stop marker of the catch-up (finding 5). Once the dates
        // are plausible again, the next poll reads every one of them.
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log WHERE account_id = " +
                           std::to_string(run.account(true).id)) > 0);
          CHECK(run.account(true).cursor.find("v0") == std::string::npos);
        };
        break;
      case GenericRow::kEmpty:
        // Backfill ends incomplete, and says why (not complete: finding 1);
        // the next poll's catch-up reads every upload. The state stays
        // "incomplete" after that, although nothing is missing.
        e.reason = "ended after 0 own posts, but the profile reports 70";
        break;
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        // Backfill stops on the token seen before (finding 13); the next
        // poll's catch-up still reads every upload it has not stored.
        e.states = {"ok"};
        e.reason = row == GenericRow::kRepeatingCursor ? "page token came back" : "in circles";
        e.may_miss = 0;
        break;
      case GenericRow::kCollidingIds:
        // Each of the four answers the fault rewrote lost one video to the
        // id of another; nothing reads those again.
        e.may_miss = 4;
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  static std::string method(const HttpRequest& r) {
    const size_t at = r.url.find("/youtube/v3/");
    if (at == std::string::npos) return "";
    const std::string rest = r.url.substr(at + 12);
    return rest.substr(0, rest.find('?'));
  }
  static std::string uploads() { return "UU" + std::string(kFaulty).substr(2); }
  static std::string newest(const std::set<std::string>& ids, size_t k) {
    // Ids grow with each video added, and videos were added oldest first.
    return *std::next(ids.rbegin(), static_cast<long>(k));
  }
  // A JSON body with its nextPageToken set to `token` ("" removes it); the
  // fake writes compact JSON that opens with "kind".
  static std::string with_token(std::string body, const std::string& token) {
    const size_t at = body.find("\"nextPageToken\":\"");
    if (at != std::string::npos) body.erase(at, body.find('"', at + 17) + 2 - at);
    if (!token.empty()) {
      const size_t after_kind = body.find("\",", body.find("\"kind\":\"")) + 2;
      body.insert(after_kind, "\"nextPageToken\":\"" + token + "\",");
    }
    return body;
  }

  mutable FakeYouTube yt_{kKey};
  std::set<std::string> faulty_videos_;
  std::set<std::string> healthy_videos_;
  std::set<std::string> faulty_threads_;
  LoopbackServer api_{
      [this](const HttpRequest& r) { return faults().serve(r, [&] { return yt_.handle(r); }); }};
};

std::vector<Case> YouTubeFamily::own_cases() {
  std::vector<Case> cases;
  // finding 1: the refresh batch (the 7 recent videos) answered with no
  // items. The poll and backfill (50 and 20 ids) read their pages honestly.
  // Both channels' refreshes may run as one batch (whether they do depends
  // on timing): then the healthy channel's videos come back empty too, and
  // it must lose nothing either.
  Plan empty_refresh;
  empty_refresh.match = [this](const HttpRequest& r) {
    if (method(r) != "videos") return false;
    const std::vector<std::string> ids = split(url_query_param(r.url, "id").value_or(""), ',');
    return ids.size() > 1 && ids.size() < 20 &&
           std::any_of(ids.begin(), ids.end(),
                       [this](const std::string& id) { return faulty_videos_.count(id) > 0; });
  };
  empty_refresh.respond = [this](const HttpRequest&, HttpResponse r) {
    r.body = empty_listing("youtube#videoListResponse");
    return r;
  };
  // The refresh fails as a degraded answer (twice: poll --once retries it);
  // the comment sweep after it succeeds, so the account ends ok, and the
  // poll log keeps the refresh's failure.
  cases.push_back(row(
      "videos.list answering no items marks nothing deleted (finding 1)", empty_refresh, {"ok"}, "",
      [](Run& run) {
        const std::string refresh = run.last_unit(true, "refresh");
        CHECK_MESSAGE(refresh.rfind("server_error | videos.list returned none of the ", 0) == 0,
                      refresh);
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE missing_count > 0") == 0);
      },
      true));
  // finding 4: the newest video's comment page token never ends.
  Plan endless;
  endless.match = [this](const HttpRequest& r) {
    return any_request(r) && method(r) == "commentThreads" &&
           url_query_param(r.url, "videoId") == newest(faulty_videos_, 0);
  };
  auto n = std::make_shared<std::atomic<int>>(0);
  endless.respond = [n](const HttpRequest&, HttpResponse honest) {
    honest.body = with_token(honest.body, "Tok" + std::to_string((*n)++));
    return honest;
  };
  cases.push_back(row(
      "a comment page token that never ends (finding 4)", endless, {"ok"}, "",
      [](Run& run) {
        // At most 50 requests a video and sweep, whatever the tokens say.
        CHECK(run.family.faults().hits() <= 50);
        const std::string comments = run.last_unit(true, "comments");
        CHECK_MESSAGE(comments.find("stopped after 50 requests") != std::string::npos, comments);
      },
      true));
  // The caveat of issue #20: a 403 without a reason is no refused key.
  HttpResponse empty_403;
  empty_403.status = 403;
  cases.push_back(row("a 403 with an empty body is retried, not auth_required",
                      answer([this](const HttpRequest& r) { return any_request(r); }, empty_403),
                      {"backing_off"}, "HTTP 403 without a reason"));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: YouTube with an API key, one faulty and one healthy channel on one API") {
  YouTubeFamily family;
  run_matrix(family);
}
