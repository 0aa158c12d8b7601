// Hostile Mastodon instances and Bluesky AppViews, over real HTTP on
// loopback, through the engine, the transport and the store (issue #20 §1
// and the "moved" caveat):
//
//   - absence is not deletion: an empty refresh answer deletes nothing and
//     says "degraded"; a post a listing leaves out is deleted only on the
//     platform's own "not found" for that very post, and a post the
//     per-item answer shows is kept (and restored);
//   - a move named by the old instance sends the target's host nothing but
//     the account lookup.
//
// The fakes (support/fake_mastodon.h, support/fake_bluesky.h) play the
// platforms; a Tap around each counts what reached it and can answer in its
// place.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <functional>
#include <mutex>

#include "config/config.h"
#include "connectors/builtin.h"
#include "core/clock.h"
#include "core/strings.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "engine_run.h"
#include "fake_bluesky.h"
#include "fake_mastodon.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr const char* kDid = "did:plc:hostilestadt4567abcdefghi";
constexpr const char* kHandle = "stadt.hostile.example";
constexpr const char* kMastodonId = "110000000000000001";

// In front of a fake: every request's URL is kept, and an override may
// answer instead of the fake.
class Tap {
 public:
  using Override = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
  HttpResponse serve(const HttpRequest& r, const std::function<HttpResponse()>& normal) {
    Override o;
    {
      std::lock_guard<std::mutex> lock(mu_);
      urls_.push_back(r.url);
      o = override_;
    }
    if (o) {
      if (auto answer = o(r)) return *answer;
    }
    return normal();
  }
  void set(Override o) {
    std::lock_guard<std::mutex> lock(mu_);
    override_ = std::move(o);
  }
  void clear() { set(nullptr); }
  // Requests whose URL contains `needle`.
  int count(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count_if(urls_.begin(), urls_.end(), [&](const std::string& u) {
      return u.find(needle) != std::string::npos;
    }));
  }
  std::vector<std::string> urls() {
    std::lock_guard<std::mutex> lock(mu_);
    return urls_;
  }
  void forget() {
    std::lock_guard<std::mutex> lock(mu_);
    urls_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> urls_;
  Override override_;
};

HttpResponse json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

// "/path?query" of a URL.
std::string target_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

// A Mastodon instance and a Bluesky AppView with one municipal account each,
// every post inside the refresh window.
struct World {
  Tap mastodon_tap;
  Tap bluesky_tap;
  FakeMastodon mastodon{""};
  FakeBluesky bluesky;
  LoopbackServer mastodon_server{[this](const HttpRequest& r) {
    return mastodon_tap.serve(r, [&] { return mastodon.handle(r); });
  }};
  LoopbackServer appview{[this](const HttpRequest& r) {
    return bluesky_tap.serve(r, [&] { return bluesky.handle(r); });
  }};
  std::vector<std::string> statuses;  // oldest first
  std::vector<std::string> posts;     // oldest first

  World(int n_statuses, int n_posts) {
    mastodon.set_base_url(mastodon_server.base_url());
    const TimeMs now = SystemClock().now();
    mastodon.add_account("rathaus", kMastodonId, 2841);
    for (int i = 0; i < n_statuses; ++i) {
      statuses.push_back(mastodon.add_status("rathaus", now - (n_statuses - i) * 4 * kHourMs,
                                             PostKind::kOriginal, "", "", i % 7));
    }
    bluesky.add_account(kDid, kHandle, 900);
    for (int i = 0; i < n_posts; ++i) {
      posts.push_back(bluesky.add_post(kDid, now - (n_posts - i) * 3 * kHourMs, PostKind::kOriginal,
                                       "", i % 5));
    }
  }
};

// One muniscope over the world: a store, the real connectors, libcurl; one
// engine for the whole test, loaded at the start.
struct Run {
  explicit Run(World& w, const std::string& extra_accounts = "")
      : world(w), run(config_for(w, extra_accounts), builtin_connectors()) {
    run.options().once_backoff = BackoffPolicy{20, 50, 20};
    run.options().once_max_attempts = 2;
    run.engine();
  }

  static std::string config_for(World& w, const std::string& extra_accounts) {
    return "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
           "  request_timeout: 2s\n"
           "platforms:\n"
           "  mastodon: {rate_limit: {requests: 1000, per: 1s}}\n"
           "  bluesky: {base_url: " +
           w.appview.base_url() +
           ", rate_limit: {requests: 1000, per: 1s}}\n"
           "municipalities:\n"
           "  - id: stadt\n    name: Stadt\n    ags: \"08231000\"\n    kind: Stadt\n    state: BW\n"
           "    accounts:\n"
           "      - {platform: mastodon, handle: \"" +
           w.mastodon_server.base_url() +
           "/@rathaus\"}\n"
           "      - {platform: bluesky, handle: " +
           kHandle + "}\n" + extra_accounts;
  }

  // poll --once over every account (poll, backfill, refresh); fails the test on a hang.
  void once() { run.once(); }

  std::string mastodon_key() const {
    return "mastodon:" + world.mastodon_server.base_url() + "/@rathaus";
  }
  static std::string bluesky_key() { return std::string("bluesky:") + kHandle; }
  StoredAccount account(const std::string& key) { return run.account(key); }
  int64_t scalar(const std::string& sql) { return run.scalar(sql); }
  int64_t posts_of(const std::string& key, const std::string& where) {
    return scalar("SELECT COUNT(*) FROM posts WHERE account_id = " +
                  std::to_string(account(key).id) + " AND " + where);
  }
  bool deleted(const std::string& id) {
    SQLite::Statement q(run.store().db(),
                        "SELECT deleted_at IS NOT NULL FROM posts WHERE platform_post_id = ?");
    q.bind(1, id);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getInt() != 0;
  }
  std::string state(const std::string& key) {
    const StoredAccount a = account(key);
    return std::string(a.state_id()) + " (" + a.runtime.state_reason + ")";
  }

  World& world;
  EngineRun run;
};

bool is_get_posts(const HttpRequest& r) {
  return r.url.find("app.bsky.feed.getPosts") != std::string::npos;
}
bool is_thread(const HttpRequest& r) {
  return r.url.find("app.bsky.feed.getPostThread") != std::string::npos;
}
// The refresh's first timeline page: neither min_id (polls) nor max_id (backfill, later pages).
bool is_refresh_timeline(const HttpRequest& r) {
  return r.url.find("/statuses?") != std::string::npos &&
         r.url.find("min_id=") == std::string::npos && r.url.find("max_id=") == std::string::npos;
}

}  // namespace

TEST_CASE(
    "hostile social: two empty getPosts answers mark nothing deleted, and the account says "
    "degraded") {
  World w(0, 100);
  Run run(w);
  run.once();
  REQUIRE(run.posts_of(Run::bluesky_key(), "deleted_at IS NULL") == 100);
  REQUIRE(run.account(Run::bluesky_key()).state_id() == "ok");

  // Found: getPosts answered {"posts": []} twice, and all 100 recent posts
  // were marked deleted while getAuthorFeed still listed every one.
  w.bluesky_tap.set([](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (is_get_posts(r)) return json(200, "{\"posts\":[]}");
    return std::nullopt;
  });
  w.bluesky_tap.forget();
  run.once();
  run.once();
  CHECK(run.posts_of(Run::bluesky_key(), "deleted_at IS NOT NULL") == 0);
  CHECK(run.posts_of(Run::bluesky_key(), "missing_count > 0") == 0);
  const StoredAccount a = run.account(Run::bluesky_key());
  CHECK_MESSAGE(a.state_id() == std::string("degraded"), run.state(Run::bluesky_key()));
  CHECK(a.runtime.state_reason.find("getPosts returned none of the 25 requested posts") !=
        std::string::npos);
  CHECK(a.runtime.state_reason.find("still shows") != std::string::npos);
  // Each refresh asked getPostThread once per empty answer, no more.
  CHECK(w.bluesky_tap.count("getPostThread") == w.bluesky_tap.count("getPosts"));
  CHECK(run.scalar(
            "SELECT COUNT(*) FROM poll_log WHERE work = 'refresh' AND outcome = 'malformed'") >= 2);

  // The AppView answers again: the account is ok, nothing was lost.
  w.bluesky_tap.clear();
  run.once();
  CHECK_MESSAGE(run.account(Run::bluesky_key()).state_id() == std::string("ok"),
                run.state(Run::bluesky_key()));
  CHECK(run.posts_of(Run::bluesky_key(), "deleted_at IS NULL") == 100);
}

TEST_CASE(
    "hostile social: a post getPosts leaves out is deleted only on getPostThread's NotFound, and "
    "restored when getPostThread shows it") {
  World w(0, 30);
  Run run(w);
  run.once();
  REQUIRE(run.posts_of(Run::bluesky_key(), "deleted_at IS NULL") == 30);
  const std::string gone = w.posts[20];
  const std::string hidden = w.posts[25];
  w.bluesky.remove_post(gone);            // really deleted
  w.bluesky.hide_from_get_posts(hidden);  // still there; getPosts leaves it out
  w.bluesky_tap.forget();
  run.once();
  CHECK(run.deleted(gone));
  CHECK_FALSE(run.deleted(hidden));
  CHECK(run.posts_of(Run::bluesky_key(), "deleted_at IS NOT NULL") == 1);
  CHECK(w.bluesky_tap.count("getPostThread?uri=" + url_encode(gone)) == 1);
  CHECK(w.bluesky_tap.count("getPostThread?uri=" + url_encode(hidden)) == 1);
  CHECK(w.bluesky_tap.count("getPostThread") == 2);
  CHECK(run.account(Run::bluesky_key()).state_id() == std::string("ok"));

  // The AppView's own per-item NotFound is the evidence, even for a post it
  // still has: the post is marked deleted...
  w.bluesky_tap.set([&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (is_thread(r) && r.url.find(url_encode(hidden)) != std::string::npos)
      return json(400, "{\"error\":\"NotFound\",\"message\":\"Post not found: " + hidden + "\"}");
    return std::nullopt;
  });
  run.once();
  CHECK(run.deleted(hidden));
  // ...and restored, with its counts, as soon as getPostThread shows it again.
  w.bluesky_tap.clear();
  w.bluesky.set_likes(hidden, 77);
  run.once();
  CHECK_FALSE(run.deleted(hidden));
  CHECK(run.posts_of(Run::bluesky_key(), "likes = 77") == 1);
  CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'post_restored'") == 1);
  CHECK(run.deleted(gone));  // still gone: getPostThread says NotFound each time

  // Anything else is no evidence: a 500, a blocked post, garbage.
  for (const HttpResponse& answer :
       {json(500, "{\"error\":\"InternalServerError\"}"),
        json(200, "{\"thread\":{\"$type\":\"app.bsky.feed.defs#blockedPost\",\"uri\":\"" + hidden +
                      "\",\"blocked\":true,\"author\":{\"did\":\"" + kDid + "\"}}}"),
        json(200, "<html>Wartung</html>")}) {
    CAPTURE(answer.body);
    w.bluesky_tap.set([&](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (is_thread(r)) return answer;
      return std::nullopt;
    });
    run.once();
    CHECK_FALSE(run.deleted(hidden));
    CHECK(run.posts_of(Run::bluesky_key(), "deleted_at IS NOT NULL") == 1);  // `gone` only
  }
  w.bluesky_tap.clear();
}

TEST_CASE(
    "hostile social: two empty Mastodon refresh answers mark nothing deleted, and the account says "
    "degraded") {
  World w(60, 0);
  Run run(w);
  run.once();
  REQUIRE(run.posts_of(run.mastodon_key(), "deleted_at IS NULL") == 60);
  w.mastodon_tap.set([](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (is_refresh_timeline(r)) return json(200, "[]");
    return std::nullopt;
  });
  w.mastodon_tap.forget();
  run.once();
  run.once();
  CHECK(run.posts_of(run.mastodon_key(), "deleted_at IS NOT NULL") == 0);
  CHECK(run.posts_of(run.mastodon_key(), "missing_count > 0") == 0);
  const StoredAccount a = run.account(run.mastodon_key());
  CHECK_MESSAGE(a.state_id() == std::string("degraded"), run.state(run.mastodon_key()));
  CHECK(a.runtime.state_reason.find(
            "the timeline came back empty for a window with 60 stored statuses") !=
        std::string::npos);
  // Only the newest status was asked for by id, once per empty answer.
  CHECK(w.mastodon_tap.count("/api/v1/statuses/" + w.statuses.back()) >= 2);
  CHECK(w.mastodon_tap.count("/api/v1/statuses/") ==
        w.mastodon_tap.count("/api/v1/statuses/" + w.statuses.back()));

  w.mastodon_tap.clear();
  run.once();
  CHECK_MESSAGE(run.account(run.mastodon_key()).state_id() == std::string("ok"),
                run.state(run.mastodon_key()));
  CHECK(run.posts_of(run.mastodon_key(), "deleted_at IS NULL") == 60);
}

TEST_CASE(
    "hostile social: a status the timeline leaves out is deleted only on the instance's 404 for "
    "it") {
  World w(30, 0);
  Run run(w);
  run.once();
  REQUIRE(run.posts_of(run.mastodon_key(), "deleted_at IS NULL") == 30);
  const std::string gone = w.statuses[10];
  const std::string hidden = w.statuses[20];
  w.mastodon.remove_status("rathaus", gone);
  w.mastodon.hide_from_timeline("rathaus", hidden);
  w.mastodon_tap.forget();
  run.once();
  CHECK(run.deleted(gone));
  CHECK_FALSE(run.deleted(hidden));
  CHECK(w.mastodon_tap.count("/api/v1/statuses/" + gone) == 1);
  CHECK(w.mastodon_tap.count("/api/v1/statuses/" + hidden) == 1);
  CHECK(run.account(run.mastodon_key()).state_id() == std::string("ok"));

  // A 404 that is not the API's (a proxy's HTML page), a 503, a 403: no evidence.
  for (const HttpResponse& answer : {[] {
                                       HttpResponse r;
                                       r.status = 404;
                                       r.body = "<html><body>Not here</body></html>";
                                       r.headers.push_back({"Content-Type", "text/html"});
                                       return r;
                                     }(),
                                     json(503, "{\"error\":\"busy\"}"),
                                     json(403, "{\"error\":\"This action is not allowed\"}")}) {
    CAPTURE(answer.status);
    w.mastodon_tap.set([&](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/api/v1/statuses/" + hidden) != std::string::npos) return answer;
      return std::nullopt;
    });
    run.once();
    CHECK_FALSE(run.deleted(hidden));
    CHECK(run.posts_of(run.mastodon_key(), "deleted_at IS NOT NULL") == 1);  // `gone` only
  }
  w.mastodon_tap.clear();
}

TEST_CASE("hostile social: a move to another host sends that host only the account lookup") {
  // Found: an account whose "moved" named another host made muniscope GET
  // the URL the hostile server named there (the canary got /@evil), every 24
  // polls.
  World w(20, 0);
  Tap canary_tap;
  LoopbackServer canary([&](const HttpRequest& r) {
    return canary_tap.serve(r, [] { return json(404, "{\"error\":\"Record not found\"}"); });
  });
  w.mastodon.set_moved(
      "rathaus", {"evil@127.0.0.1", canary.base_url() + "/@evil", canary.base_url() + "/@evil"});
  Run run(w);
  for (int i = 0; i < 3; ++i) run.once();
  const std::vector<std::string> reached = canary_tap.urls();
  REQUIRE(reached.size() == 1);
  CHECK(target_of(reached[0]) == "/api/v1/accounts/lookup?acct=evil");
  // The move is recorded, not followed; the account is polled as before.
  CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'moved'") == 1);
  CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'move_unverified'") == 1);
  CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'move_verified'") == 0);
  CHECK(run.account(run.mastodon_key()).state_id() == std::string("ok"));
  CHECK(run.account(run.mastodon_key()).platform_id == kMastodonId);
  CHECK(run.posts_of(run.mastodon_key(), "deleted_at IS NULL") == 20);
}

TEST_CASE(
    "hostile social: a verified move reads the target's lookup and actor on the target's host, "
    "then follows") {
  World w(10, 0);
  FakeMastodon target("");
  Tap target_tap;
  LoopbackServer target_server(
      [&](const HttpRequest& r) { return target_tap.serve(r, [&] { return target.handle(r); }); });
  target.set_base_url(target_server.base_url());
  target.add_account("stadt", "113000000000000042", 120);
  const TimeMs now = SystemClock().now();
  for (int i = 0; i < 5; ++i)
    target.add_status("stadt", now - (i + 1) * kHourMs, PostKind::kOriginal);
  target.set_also_known_as("stadt", {w.mastodon_server.base_url() + "/users/rathaus"});
  // The old instance names an actor id of its choosing: it is never asked for.
  w.mastodon.set_moved("rathaus", {"stadt@127.0.0.1", target_server.base_url() + "/@stadt",
                                   target_server.base_url() + "/somewhere/else"});
  Run run(w);
  run.once();
  const std::vector<std::string> reached = target_tap.urls();
  REQUIRE(reached.size() >= 3);
  CHECK(target_of(reached[0]) == "/api/v1/accounts/lookup?acct=stadt");
  CHECK(target_of(reached[1]) == "/users/stadt");  // where the target's instance says its actor is
  CHECK(target_tap.count("/somewhere/else") == 0);
  CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'move_verified'") == 1);
  CHECK(run.account(run.mastodon_key()).platform_id == "113000000000000042");
  // Followed on the first poll: the target's statuses are what is stored.
  CHECK(run.posts_of(run.mastodon_key(), "deleted_at IS NULL") == 5);
}
