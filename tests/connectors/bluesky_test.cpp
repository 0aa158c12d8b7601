// Bluesky: parsers over fixtures (every stored field), and the connector's
// state machine: resolution, incremental catch-up to the stored head with a
// crash-safe pending cursor, backfill with its completeness check, refresh.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "connectors/bluesky/bluesky_connector.h"
#include "connectors/bluesky/bluesky_parse.h"
#include "core/json.h"
#include "core/strings.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kOwn = "did:plc:mustrstadt2345abcdefghij";
constexpr const char* kApp = "https://public.api.bsky.app/xrpc/";

std::string post_uri(const char* rkey) {
  return std::string("at://") + kOwn + "/app.bsky.feed.post/" + rkey;
}

bluesky::FeedPage mixed() {
  auto page = bluesky::parse_author_feed(read_fixture("bluesky/getAuthorFeed_mixed.json"), kOwn);
  REQUIRE(page.ok());
  return *page;
}

AccountView view(std::string cursor = "", BackfillState bf = BackfillState::kPending) {
  AccountView v;
  v.account_id = 1;
  v.platform = "bluesky";
  v.handle = "stadt.musterstadt.example";
  v.cursor = std::move(cursor);
  v.backfill_state = bf;
  if (!v.cursor.empty()) v.platform_id = kOwn;
  return v;
}

std::unique_ptr<rapidjson::Document> cursor_of(const Page& p) {
  REQUIRE(p.cursor.has_value());
  auto doc = parse_json(*p.cursor);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

std::string head_cursor(const std::string& key, TimeMs at_ms, const std::string& extra = "") {
  return std::string(R"({"did":")") + kOwn + R"(","head":")" + key + R"(","head_at":)" +
         std::to_string(at_ms) + extra + "}";
}

}  // namespace

TEST_CASE("bluesky: profiles, with counts absent left unknown") {
  auto p = bluesky::parse_profile(read_fixture("bluesky/getProfile.json"));
  REQUIRE(p.ok());
  CHECK(p->platform_id == kOwn);
  CHECK(p->handle == "stadt.musterstadt.example");
  CHECK(p->followers == 1532);
  CHECK(p->following == 48);
  CHECK(p->posts == 212);
  CHECK(p->created_at == at("2025-02-03T08:15:42.120Z"));
  CHECK(p->profile_url == std::string("https://bsky.app/profile/") + kOwn);
  auto m = bluesky::parse_profile(read_fixture("bluesky/getProfile_minimal.json"));
  REQUIRE(m.ok());
  CHECK_FALSE(m->followers.has_value());
  CHECK_FALSE(m->posts.has_value());
  CHECK_FALSE(m->created_at.has_value());
}

TEST_CASE("bluesky: every feed entry on a mixed page is classified, with all its fields") {
  const auto page = mixed();
  CHECK(page.cursor == "2025-05-01T09:00:00.000Z");
  REQUIRE(page.items.size() == 11);
  std::vector<PostKind> kinds;
  for (const auto& i : page.items) kinds.push_back(i.post.kind);
  CHECK(kinds == std::vector<PostKind>{PostKind::kOriginal, PostKind::kReplyOther,
                                       PostKind::kReplySelf, PostKind::kOriginal, PostKind::kRepost,
                                       PostKind::kReplyUnknown, PostKind::kReplyUnknown,
                                       PostKind::kQuote, PostKind::kQuote, PostKind::kOriginal,
                                       PostKind::kOriginal});
  const auto& p = page.items;
  SUBCASE("original with an external link") {
    const PostRecord& x = p[0].post;
    CHECK(x.platform_post_id == post_uri("3lqlinkpost2a"));
    CHECK(x.url == std::string("https://bsky.app/profile/") + kOwn + "/post/3lqlinkpost2a");
    CHECK(x.created_at == at("2025-05-06T10:00:00Z"));
    CHECK(x.has_link);
    CHECK_FALSE(x.has_media);
    CHECK(x.language == "de");
    CHECK(x.engagement == Engagement{12, 0, 4, 1, std::nullopt});
    CHECK(p[0].key == x.platform_post_id);
  }
  SUBCASE("reply to another account: the parent's createdAt gives the response time") {
    const PostRecord& x = p[1].post;
    CHECK(x.parent_post_id ==
          "at://did:plc:buergerin234567abcdefgh/app.bsky.feed.post/3lqcitizenq2a");
    CHECK(x.parent_author_id == "did:plc:buergerin234567abcdefgh");
    CHECK(x.parent_created_at == at("2025-05-06T07:10:00Z"));
    CHECK(x.parent_state == ParentState::kVisible);
    CHECK(x.mentions == 1);
  }
  SUBCASE("self-thread reply and its root with images") {
    CHECK(p[2].post.parent_author_id == kOwn);
    CHECK(p[2].post.parent_post_id == post_uri("3lqownroot22a"));
    CHECK(p[3].post.has_media);
    CHECK(p[3].post.engagement.likes == 14);
  }
  SUBCASE("repost: keyed by the repost record, timed at the repost, the original's author kept") {
    const PostRecord& x = p[4].post;
    CHECK(x.platform_post_id ==
          std::string("at://") + kOwn + "/app.bsky.feed.repost/3lqrepostrec2");
    CHECK(x.created_at == at("2025-05-04T18:30:00Z"));
    CHECK(p[4].sort_at == x.created_at);
    CHECK(x.parent_post_id ==
          "at://did:plc:landkreis23456abcdefghi/app.bsky.feed.post/3lqkreisrep2a");
    CHECK(x.parent_author_id == "did:plc:landkreis23456abcdefghi");
    CHECK(x.parent_created_at == at("2025-05-04T16:00:00Z"));
    CHECK(x.engagement.empty());  // 55 likes belong to the Landkreis
  }
  SUBCASE("replies whose parent is deleted or blocked have an unknown target") {
    CHECK(p[5].post.parent_state == ParentState::kDeleted);
    CHECK(p[5].post.parent_author_id == "did:plc:geloescht234567abcdefgh");  // kept from the AT-URI
    CHECK_FALSE(p[5].post.parent_created_at.has_value());
    CHECK(p[6].post.parent_state == ParentState::kBlocked);
    CHECK(p[6].post.parent_author_id == "did:plc:blockiert234567abcdefgh");
  }
  SUBCASE("quotes, with and without media") {
    const PostRecord& q = p[7].post;
    CHECK(q.quoted_post_id ==
          "at://did:plc:landkreis23456abcdefghi/app.bsky.feed.post/3lqkreisquo2a");
    CHECK(q.parent_author_id == "did:plc:landkreis23456abcdefghi");
    CHECK(q.parent_created_at == at("2025-05-03T12:00:00Z"));
    const PostRecord& qm = p[8].post;
    CHECK(qm.quoted_post_id == q.quoted_post_id);
    CHECK(qm.has_media);
    CHECK(qm.parent_state == ParentState::kUnknown);
  }
  SUBCASE("counts absent stay unknown; microsecond createdAt; feed order by the earlier time") {
    const PostRecord& x = p[9].post;
    CHECK(x.engagement.empty());
    CHECK_FALSE(x.engagement.likes.has_value());
    CHECK(x.created_at == at("2025-05-02T09:00:00.189Z"));
    CHECK(p[9].sort_at == at("2025-05-02T08:59:59Z"));
  }
  SUBCASE("embedding a feed generator is not a quote") { CHECK(p[10].post.quoted_post_id.empty()); }
}

TEST_CASE("bluesky: getPosts counts, XRPC errors, AT-URI helpers") {
  auto posts = bluesky::parse_posts_counts(read_fixture("bluesky/getPosts.json"));
  REQUIRE(posts.ok());
  REQUIRE(posts->size() == 2);
  CHECK((*posts)[0].counts_only);
  CHECK((*posts)[0].engagement.likes == 20);
  CHECK((*posts)[0].engagement.replies == 1);
  auto e = bluesky::parse_error(read_fixture("bluesky/error_profile_not_found.json"));
  REQUIRE(e.has_value());
  CHECK(e->error == "InvalidRequest");
  CHECK(e->message == "Profile not found");
  CHECK_FALSE(bluesky::parse_error("<html>").has_value());
  CHECK(bluesky::did_of_uri("at://did:plc:abc/app.bsky.feed.post/1") == "did:plc:abc");
  CHECK(bluesky::did_of_uri("at://handle.example/app.bsky.feed.post/1").empty());
  CHECK(bluesky::web_url_of("at://did:plc:abc/app.bsky.feed.repost/1").empty());
  CHECK_FALSE(bluesky::parse_author_feed("{\"cursor\":\"x\"}", kOwn).ok());
}

TEST_CASE("bluesky connector: the first poll resolves the handle, snapshots and starts backfill") {
  auto connector = make_bluesky_connector();
  CHECK(connector->host_for(view()) == "public.api.bsky.app");
  auto s = connector->begin(view(), WorkKind::kPoll);
  StepResult r = s->start();
  CHECK(r.request->url ==
        std::string(kApp) + "app.bsky.actor.getProfile?actor=stadt.musterstadt.example");
  r = s->on_response(fixture_response(200, "bluesky/getProfile.json"));
  CHECK(r.page->platform_id == kOwn);
  REQUIRE(r.page->batch.events.size() == 1);
  CHECK(r.page->batch.events[0].kind == "resolved");
  CHECK(r.request->url ==
        std::string(kApp) +
            "app.bsky.feed.getAuthorFeed?actor=did%3Aplc%3Amustrstadt2345abcdefghij&limit=100");
  r = s->on_response(fixture_response(200, "bluesky/getAuthorFeed_mixed.json",
                                      "bluesky/getAuthorFeed_mixed.headers"));
  CHECK(r.done);
  CHECK(r.page->batch.posts.size() == 11);
  auto c = cursor_of(*r.page);
  CHECK(json_string(*c, "head") == post_uri("3lqlinkpost2a"));
  CHECK(json_string(*c, "back") == "2025-05-01T09:00:00.000Z");
  CHECK(json_int(*c, "posts_count") == 212);
}

TEST_CASE("bluesky connector: an incremental poll takes entries until the stored head") {
  auto connector = make_bluesky_connector();
  // Head = the self-thread reply: the two newer entries are new.
  const std::string cursor = head_cursor(post_uri("3lqselfrepl2a"), at("2025-05-05T09:01:00Z"));
  auto s = connector->begin(view(cursor, BackfillState::kComplete), WorkKind::kPoll);
  StepResult r = s->start();
  CHECK(r.request->url ==
        std::string(kApp) + "app.bsky.actor.getProfile?actor=did%3Aplc%3Amustrstadt2345abcdefghij");
  r = s->on_response(fixture_response(200, "bluesky/getProfile_renamed.json"));
  CHECK(r.page->batch.snapshot->handle ==
        "rathaus.musterstadt.example");  // the store records the change
  r = s->on_response(fixture_response(200, "bluesky/getAuthorFeed_mixed.json"));
  CHECK(r.done);
  REQUIRE(r.page->batch.posts.size() == 2);
  CHECK(r.page->batch.posts[1].kind == PostKind::kReplyOther);
  auto c = cursor_of(*r.page);
  CHECK(json_string(*c, "head") == post_uri("3lqlinkpost2a"));
  CHECK_FALSE(json_member(*c, "pending"));
}

TEST_CASE("bluesky connector: a long catch-up saves where it is, and resumes there after a crash") {
  auto connector = make_bluesky_connector();
  // The head is older than everything on the page: keep paging.
  const std::string cursor = head_cursor(post_uri("3lqveryold22a"), at("2025-04-01T00:00:00Z"));
  auto s = connector->begin(view(cursor, BackfillState::kComplete), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "bluesky/getProfile.json"));
  StepResult r = s->on_response(fixture_response(200, "bluesky/getAuthorFeed_mixed.json"));
  REQUIRE_FALSE(r.done);
  CHECK(r.page->batch.posts.size() == 11);
  CHECK(r.request->url.find("&cursor=2025-05-01T09%3A00%3A00.000Z") != std::string::npos);
  auto c = cursor_of(*r.page);
  CHECK(json_string(*c, "pending") == "2025-05-01T09:00:00.000Z");
  CHECK(json_string(*c, "pending_head") == post_uri("3lqlinkpost2a"));
  CHECK(json_string(*c, "head") == post_uri("3lqveryold22a"));  // not yet: the gap is not closed
  // An empty page with a cursor is not the end.
  r = s->on_response(fixture_response(200, "bluesky/getAuthorFeed_empty_with_cursor.json"));
  REQUIRE_FALSE(r.done);
  CHECK(r.request->url.find("&cursor=2025-04-25T00%3A00%3A00.000Z") != std::string::npos);

  // Crash here. The next poll resumes from the saved pending cursor.
  auto resumed = connector->begin(view(*r.page->cursor, BackfillState::kComplete), WorkKind::kPoll);
  (void)resumed->start();
  r = resumed->on_response(fixture_response(200, "bluesky/getProfile.json"));
  CHECK(r.request->url.find("&cursor=2025-04-25T00%3A00%3A00.000Z") != std::string::npos);
  r = resumed->on_response(fixture_response(200, "bluesky/getAuthorFeed_last_page.json"));
  CHECK(r.done);
  c = cursor_of(*r.page);
  CHECK(json_string(*c, "head") == post_uri("3lqlinkpost2a"));  // the head adopted once caught up
  CHECK_FALSE(json_member(*c, "pending"));
}

TEST_CASE(
    "bluesky connector: backfill to the end checks the profile's post count, a repeating cursor "
    "stops it as incomplete") {
  auto connector = make_bluesky_connector();
  const std::string cursor = head_cursor(post_uri("3lqlinkpost2a"), at("2025-05-06T10:00:00Z"),
                                         R"(,"back":"2025-05-01T09:00:00.000Z","posts_count":212)");
  auto s = connector->begin(view(cursor), WorkKind::kBackfill);
  StepResult r = s->start();
  CHECK(r.request->url.find("&cursor=2025-05-01T09%3A00%3A00.000Z") != std::string::npos);
  r = s->on_response(fixture_response(200, "bluesky/getAuthorFeed_last_page.json"));
  CHECK(r.done);
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(r.page->expected_own_posts ==
        212);  // the store turns this into kIncomplete if fewer are stored
  const std::string repeating =
      head_cursor(post_uri("3lqlinkpost2a"), 0, R"(,"back":"2025-05-01T09:00:00.000Z")");
  auto s2 = connector->begin(view(repeating), WorkKind::kBackfill);
  (void)s2->start();
  r = s2->on_response(
      fixture_response(200, "bluesky/getAuthorFeed_mixed.json"));  // returns the same cursor
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);  // a loop, not the end
  CHECK(r.page->history_note->find("the cursor it was asked with") != std::string::npos);
  auto s3 = connector->begin(view(cursor), WorkKind::kBackfill);
  (void)s3->start();
  r = s3->on_response(fixture_response(200, "bluesky/getAuthorFeed_empty_with_cursor.json"));
  CHECK_FALSE(r.page->backfill_state.has_value());  // still pending
  CHECK(json_string(*cursor_of(*r.page), "back") == "2025-04-25T00:00:00.000Z");
}

namespace {

std::string thread_url(const std::string& uri) {
  return std::string(kApp) + "app.bsky.feed.getPostThread?uri=" + url_encode(uri) +
         "&depth=0&parentHeight=0";
}

HttpResponse text_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Every page of a step, by account.
std::map<int64_t, Page> pages_of(StepResult& r) {
  std::map<int64_t, Page> out;
  if (r.page) out[r.page->account_id] = std::move(*r.page);
  for (Page& p : r.more_pages) out[p.account_id] = std::move(p);
  return out;
}

}  // namespace

TEST_CASE(
    "bluesky connector: a refresh asks getPosts in batches of 25, and a post it left out is "
    "deleted "
    "only on getPostThread's NotFound") {
  auto connector = make_bluesky_connector();
  AccountView v = view(head_cursor("x", 0));
  v.refresh_ids = {post_uri("3lqlinkpost2a"), post_uri("3lqownroot22a"), post_uri("3lqdeleted22a"),
                   post_uri("3lqhiddenpo2a")};
  auto s = connector->begin(v, WorkKind::kRefresh);
  StepResult r = s->start();
  CHECK(r.request->url ==
        std::string(kApp) +
            "app.bsky.feed.getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Amustrstadt2345abcdefghij%2Fapp."
            "bsky.feed.post%2F3lqlinkpost2a&uris=at%3A%2F%2Fdid%3Aplc%3Amustrstadt2345abcdefghij%"
            "2Fapp.bsky.feed.post%2F3lqownroot22a&uris=at%3A%2F%2Fdid%3Aplc%"
            "3Amustrstadt2345abcdefghij%2Fapp.bsky.feed.post%2F3lqdeleted22a&uris=at%3A%2F%2Fdid%"
            "3Aplc%3Amustrstadt2345abcdefghij%2Fapp.bsky.feed.post%2F3lqhiddenpo2a");
  r = s->on_response(fixture_response(200, "bluesky/getPosts.json"));
  // Two posts came back with their counts; the two left out are suspects.
  auto pages = pages_of(r);
  REQUIRE(pages.size() == 1);
  CHECK(pages[1].batch.posts.size() == 2);
  CHECK(pages[1].batch.missing_post_ids.empty());
  CHECK(pages[1].batch.deleted_post_ids.empty());
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == thread_url(post_uri("3lqdeleted22a")));
  // The AppView's own NotFound for that very post.
  r = s->on_response(fixture_response(400, "bluesky/getPostThread_not_found.json"));
  pages = pages_of(r);
  CHECK(pages[1].batch.deleted_post_ids == std::vector<std::string>{post_uri("3lqdeleted22a")});
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == thread_url(post_uri("3lqhiddenpo2a")));
  // The other one is there: its current counts are stored (which restores
  // it if it had been marked deleted).
  r = s->on_response(fixture_response(200, "bluesky/getPostThread.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  pages = pages_of(r);
  REQUIRE(pages[1].batch.posts.size() == 1);
  CHECK(pages[1].batch.posts[0].platform_post_id == post_uri("3lqhiddenpo2a"));
  CHECK(pages[1].batch.posts[0].counts_only);
  CHECK(pages[1].batch.posts[0].engagement == Engagement{12, 0, 3, 0, std::nullopt});
  CHECK(pages[1].batch.deleted_post_ids.empty());
  CHECK(pages[1].batch.missing_post_ids.empty());

  // 30 posts: 25 in the first call, 5 in the second; the 23 left out of the
  // first are checked after, at most 10, the rest only noted.
  v.refresh_ids = {post_uri("3lqlinkpost2a"), post_uri("3lqownroot22a")};
  for (int i = 0; i < 28; ++i) v.refresh_ids.push_back(post_uri(("p" + std::to_string(i)).c_str()));
  auto many = connector->begin(v, WorkKind::kRefresh);
  r = many->start();
  CHECK(std::count(r.request->url.begin(), r.request->url.end(), '&') == 24);  // 25 uris
  r = many->on_response(fixture_response(200, "bluesky/getPosts.json"));
  REQUIRE_FALSE(r.done);
  CHECK(r.request->url.find("getPosts") != std::string::npos);
  CHECK(std::count(r.request->url.begin(), r.request->url.end(), '&') == 4);  // the other 5
  // The second call returns one of its five (a getPosts answer of its own).
  const std::string one = R"({"posts":[{"uri":")" + post_uri("p27") +
                          R"(","cid":"bafyreip27","author":{"did":")" + kOwn +
                          R"(","handle":"stadt.musterstadt.example"},"record":{"$type":)"
                          R"("app.bsky.feed.post","createdAt":"2025-05-01T08:00:00.000Z",)"
                          R"("text":"x"},"indexedAt":"2025-05-01T08:00:00.000Z","likeCount":2}]})";
  r = many->on_response(text_response(200, one));
  int checks = 0;
  while (r.request.has_value()) {
    CHECK(r.request->url.find("getPostThread") != std::string::npos);
    ++checks;
    r = many->on_response(fixture_response(400, "bluesky/getPostThread_not_found.json"));
  }
  CHECK(checks == 10);
  pages = pages_of(r);
  CHECK(pages[1].batch.missing_post_ids.size() == 27 - 10);  // 23 + 4 left out, 10 checked
}

TEST_CASE("bluesky connector: any other answer about a left-out post is no evidence") {
  auto connector = make_bluesky_connector();
  const std::vector<std::pair<std::string, HttpResponse>> answers = {
      {"blocked", fixture_response(200, "bluesky/getPostThread_blocked.json")},
      {"another post", fixture_response(200, "bluesky/getPostThread.json")},
      {"400 InvalidRequest", fixture_response(400, "bluesky/error_profile_not_found.json")},
      {"401", text_response(401, "{\"error\":\"AuthMissing\"}")},
      {"an HTML page", text_response(200, "<html>Wartung</html>")},
      {"a NotFound for another URI as notFoundPost",
       text_response(200, "{\"thread\":{\"$type\":\"app.bsky.feed.defs#notFoundPost\",\"uri\":\"" +
                              post_uri("3lqother222a") + "\",\"notFound\":true}}")},
  };
  for (const auto& [what, answer] : answers) {
    CAPTURE(what);
    AccountView v = view(head_cursor("x", 0));
    v.refresh_ids = {post_uri("3lqlinkpost2a"), post_uri("3lqdeleted22a")};
    auto s = connector->begin(v, WorkKind::kRefresh);
    (void)s->start();
    StepResult r = s->on_response(fixture_response(200, "bluesky/getPosts.json"));
    REQUIRE(r.request.has_value());
    r = s->on_response(answer);
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNone);
    auto pages = pages_of(r);
    CHECK(pages[1].batch.deleted_post_ids.empty());
    CHECK(pages[1].batch.posts.empty());
    CHECK(pages[1].batch.missing_post_ids == std::vector<std::string>{post_uri("3lqdeleted22a")});
  }
  // The lexicon's #notFoundPost for that very URI is the AppView's "not found" too.
  AccountView v = view(head_cursor("x", 0));
  v.refresh_ids = {post_uri("3lqlinkpost2a"), post_uri("3lqdeleted22a")};
  auto s = connector->begin(v, WorkKind::kRefresh);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "bluesky/getPosts.json"));
  StepResult r = s->on_response(
      text_response(200, "{\"thread\":{\"$type\":\"app.bsky.feed.defs#notFoundPost\",\"uri\":\"" +
                             post_uri("3lqdeleted22a") + "\",\"notFound\":true}}"));
  CHECK(pages_of(r)[1].batch.deleted_post_ids ==
        std::vector<std::string>{post_uri("3lqdeleted22a")});
}

TEST_CASE(
    "bluesky connector: getPosts with none of the requested posts is a degraded answer "
    "(regression)") {
  // Found: two empty getPosts answers marked all 100 recent posts deleted
  // while getAuthorFeed still listed every one.
  auto connector = make_bluesky_connector();
  auto refresh = [&](const HttpResponse& posts, const HttpResponse& probe) {
    AccountView v = view(head_cursor("x", 0));
    v.refresh_ids = {post_uri("3lqhiddenpo2a"), post_uri("3lqdeleted22a"),
                     post_uri("3lqthird222a")};
    auto s = connector->begin(v, WorkKind::kRefresh);
    (void)s->start();
    StepResult r = s->on_response(posts);
    REQUIRE(r.request.has_value());
    CHECK(r.request->url == thread_url(post_uri("3lqhiddenpo2a")));  // the first asked for
    for (auto& [account, page] : pages_of(r)) {
      CHECK(page.batch.missing_post_ids.empty());
      CHECK(page.batch.deleted_post_ids.empty());
    }
    return s->on_response(probe);
  };
  const HttpResponse empty = text_response(200, "{\"posts\":[]}");
  // getPostThread still shows the post: the empty answer was degraded.
  StepResult r = refresh(empty, fixture_response(200, "bluesky/getPostThread.json"));
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK(r.reason.find("getPosts returned none of the 3 requested posts") != std::string::npos);
  CHECK(r.reason.find("nothing is marked deleted") != std::string::npos);
  CHECK_FALSE(r.page.has_value());
  CHECK(r.more_pages.empty());
  // Posts that were not asked for do not make the answer less empty.
  StepResult r2 = refresh(fixture_response(200, "bluesky/getPosts.json"),
                          fixture_response(200, "bluesky/getPostThread.json"));
  CHECK(r2.failure == FailureKind::kMalformed);
  // It cannot be told: degraded as well.
  StepResult r3 = refresh(empty, text_response(200, "<html>Wartung</html>"));
  CHECK(r3.failure == FailureKind::kMalformed);
  CHECK(r3.reason.find("could not tell") != std::string::npos);
  // The first is really gone: the account deleted them, each is checked.
  StepResult r4 = refresh(empty, fixture_response(400, "bluesky/getPostThread_not_found.json"));
  CHECK(r4.failure == FailureKind::kNone);
  CHECK(pages_of(r4)[1].batch.deleted_post_ids ==
        std::vector<std::string>{post_uri("3lqhiddenpo2a")});
  REQUIRE(r4.request.has_value());
  CHECK(r4.request->url == thread_url(post_uri("3lqdeleted22a")));
}

TEST_CASE("bluesky: read_post_thread over fixtures") {
  using V = bluesky::PostCheck::Verdict;
  const std::string hidden = post_uri("3lqhiddenpo2a");
  auto shown = bluesky::read_post_thread(200, read_fixture("bluesky/getPostThread.json"), hidden);
  REQUIRE(shown.verdict == V::kShown);
  CHECK(shown.post.platform_post_id == hidden);
  CHECK(shown.post.engagement.likes == 12);
  CHECK(shown.post.engagement.reposts == 3);
  CHECK(bluesky::read_post_thread(400, read_fixture("bluesky/getPostThread_not_found.json"),
                                  post_uri("3lqdeleted22a"))
            .verdict == V::kNotFound);
  auto blocked =
      bluesky::read_post_thread(200, read_fixture("bluesky/getPostThread_blocked.json"), hidden);
  CHECK(blocked.verdict == V::kNoEvidence);
  CHECK(blocked.detail.find("blocked") != std::string::npos);
  // A NotFound with another status, and the rate limit, are no evidence.
  CHECK(bluesky::read_post_thread(404, read_fixture("bluesky/getPostThread_not_found.json"), hidden)
            .verdict == V::kNoEvidence);
  CHECK(bluesky::read_post_thread(429, read_fixture("bluesky/error_rate_limit.json"), hidden)
            .verdict == V::kNoEvidence);
  CHECK(bluesky::read_post_thread(400, read_fixture("bluesky/error_profile_not_found.json"), hidden)
            .verdict == V::kNoEvidence);
}

TEST_CASE("bluesky connector: XRPC errors are classified") {
  auto connector = make_bluesky_connector();
  auto run = [&](int status, const char* file) {
    auto s = connector->begin(view(), WorkKind::kPoll);
    (void)s->start();
    return s->on_response(fixture_response(status, file));
  };
  StepResult r = run(400, "bluesky/error_profile_not_found.json");
  CHECK(r.failure == FailureKind::kNotFound);
  CHECK(r.reason.find("Profile not found") != std::string::npos);
  CHECK(run(400, "bluesky/error_account_takedown.json").failure == FailureKind::kSuspended);
  CHECK(run(400, "bluesky/error_account_deactivated.json").failure == FailureKind::kSuspended);
  CHECK(run(400, "bluesky/error_blocked_actor.json").failure == FailureKind::kBlocked);
  CHECK(run(200, "bluesky/getAuthorFeed_mixed.json").failure ==
        FailureKind::kMalformed);  // not a profile
  AccountView custom = view();
  custom.base_url = "http://127.0.0.1:4321";
  CHECK(connector->host_for(custom) == "127.0.0.1:4321");
  CHECK(connector->begin(custom, WorkKind::kPoll)->start().request->url ==
        "http://127.0.0.1:4321/xrpc/app.bsky.actor.getProfile?actor=stadt.musterstadt.example");
}

TEST_CASE("bluesky connector: an empty first feed closes nothing, a later page reopens backfill") {
  auto connector = make_bluesky_connector();
  auto first_poll = [&](const std::string& cursor, const char* feed) {
    auto s = connector->begin(view(cursor), WorkKind::kPoll);
    (void)s->start();
    (void)s->on_response(fixture_response(200, "bluesky/getProfile.json"));  // postsCount 212
    return s->on_response(fixture_response(200, feed));
  };
  const char* kEmpty = "bluesky/getAuthorFeed_empty_with_cursor.json";
  StepResult r = first_poll("", kEmpty);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK(r.page->history_note->find("empty") != std::string::npos);
  r = first_poll(*r.page->cursor, kEmpty);
  r = first_poll(*r.page->cursor, kEmpty);
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  r = first_poll(*r.page->cursor, "bluesky/getAuthorFeed_mixed.json");
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK(json_string(*cursor_of(*r.page), "back") == "2025-05-01T09:00:00.000Z");
  CHECK(r.page->batch.posts.size() == 11);
}

TEST_CASE("bluesky connector: a cursor going in circles stops backfill and catch-up") {
  // Found: a cycling cursor made `poll --once` page forever (1,188 requests a
  // minute for one account, state "ok").
  auto connector = make_bluesky_connector();
  // Backfill already reached 2025-04-01: the mixed page (2025-05) is nothing older.
  std::string cursor = head_cursor(post_uri("3lqlinkpost2a"), at("2025-05-06T10:00:00Z"),
                                   R"(,"back":"2025-04-01T00:00:00.000Z","back_at":)" +
                                       std::to_string(at("2025-04-01T00:00:00Z")));
  StepResult r;
  std::string body = read_fixture("bluesky/getAuthorFeed_mixed.json");
  const std::string feed_cursor = "\"cursor\": \"2025-05-01T09:00:00.000Z\"";
  const size_t at_cursor = body.find(feed_cursor);
  REQUIRE(at_cursor != std::string::npos);
  for (int i = 0; i < 3; ++i) {
    // A different cursor every time (A, B, C...), the same old entries.
    std::string circling = body;
    circling.replace(at_cursor, feed_cursor.size(), "\"cursor\": \"c" + std::to_string(i) + "\"");
    HttpResponse resp;
    resp.status = 200;
    resp.body = circling;
    auto s = connector->begin(view(cursor), WorkKind::kBackfill);
    (void)s->start();
    r = s->on_response(resp);
    cursor = *r.page->cursor;
  }
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("circles") != std::string::npos);
  // A catch-up whose next page is not older than the one before ends there.
  const std::string old_head = head_cursor(post_uri("3lqveryold22a"), at("2025-04-01T00:00:00Z"));
  auto s = connector->begin(view(old_head, BackfillState::kComplete), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "bluesky/getProfile.json"));
  r = s->on_response(fixture_response(200, "bluesky/getAuthorFeed_mixed.json"));
  REQUIRE_FALSE(r.done);
  std::string other_cursor = read_fixture("bluesky/getAuthorFeed_mixed.json");
  const std::string c = "\"cursor\": \"2025-05-01T09:00:00.000Z\"";
  const size_t at_c = other_cursor.find(c);
  REQUIRE(at_c != std::string::npos);
  other_cursor.replace(at_c, c.size(), "\"cursor\": \"elsewhere\"");
  HttpResponse same_page;
  same_page.status = 200;
  same_page.body = other_cursor;
  r = s->on_response(same_page);  // the same entries again, under another cursor
  CHECK(r.done);
}

TEST_CASE("bluesky: an unreadable feed entry is skipped, a backdated one keeps its index time") {
  std::string body = read_fixture("bluesky/getAuthorFeed_mixed.json");
  // Break one entry (no post) and backdate another's createdAt to 1970.
  const std::string first = "\"feed\": [\n  {\n   \"post\": {";
  const size_t at_first = body.find(first);
  REQUIRE(at_first != std::string::npos);
  body.replace(at_first, first.size(), "\"feed\": [\n  {\"broken\": true},\n  {\n   \"post\": {");
  auto page = bluesky::parse_author_feed(body, kOwn);
  REQUIRE(page.ok());
  CHECK(page->items.size() == 11);
  REQUIRE(page->skipped.size() == 1);
  CHECK(page->skipped[0].reason.find("without post") != std::string::npos);
  for (const auto& item : page->items) {
    if (item.post.kind != PostKind::kRepost) CHECK(item.post.created_at_evidence.has_value());
  }
}

TEST_CASE("bluesky connector: a batched refresh reads 25 profiles and their posts per call") {
  auto connector = make_bluesky_connector();
  AccountView city = view(head_cursor("x", 0));
  city.account_id = 7;
  city.refresh_ids = {post_uri("3lqlinkpost2a"), post_uri("3lqownroot22a"),
                      post_uri("3lqdeleted22a")};
  AccountView museum = view();
  museum.account_id = 8;
  museum.platform_id = "did:plc:museummuster234567abcdef";
  AccountView unknown = view();
  unknown.account_id = 9;
  unknown.platform_id = "did:plc:unbekannt234567abcdefghi";
  auto s = connector->begin_batch({city, museum, unknown}, WorkKind::kRefresh);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("app.bsky.actor.getProfiles?actors=") != std::string::npos);
  CHECK(std::count(r.request->url.begin(), r.request->url.end(), '&') == 2);  // three actors
  r = s->on_response(fixture_response(200, "bluesky/getProfiles.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("app.bsky.feed.getPosts?uris=") != std::string::npos);
  // Two snapshots; the actor the AppView left out gets none (and is not failed).
  REQUIRE(r.more_pages.size() == 2);
  std::map<int64_t, int64_t> followers;
  for (const Page& p : r.more_pages) followers[p.account_id] = *p.batch.snapshot->followers;
  CHECK(followers == std::map<int64_t, int64_t>{{7, 1532}, {8, 311}});
  r = s->on_response(fixture_response(200, "bluesky/getPosts.json"));
  REQUIRE(r.more_pages.size() == 1);
  CHECK(r.more_pages[0].account_id == 7);
  CHECK(r.more_pages[0].batch.posts.size() == 2);
  CHECK(r.more_pages[0].batch.missing_post_ids.empty());
  // The post left out is checked on its own, and its page is its account's.
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == thread_url(post_uri("3lqdeleted22a")));
  r = s->on_response(fixture_response(400, "bluesky/getPostThread_not_found.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.more_pages.size() == 1);
  CHECK(r.more_pages[0].account_id == 7);
  CHECK(r.more_pages[0].batch.deleted_post_ids ==
        std::vector<std::string>{post_uri("3lqdeleted22a")});
  // A single account keeps the single-account refresh (getPosts only).
  auto one = connector->begin_batch({city}, WorkKind::kRefresh);
  CHECK(one->start().request->url.find("getPosts") != std::string::npos);
}

TEST_CASE("bluesky: getProfiles, the recorded answer and the fixture") {
  auto mine = bluesky::parse_profiles(read_fixture("bluesky/getProfiles.json"));
  REQUIRE(mine.ok());
  CHECK(mine->size() == 2);
  CHECK_FALSE(bluesky::parse_profiles("{\"profile\":[]}").ok());
  auto dir = test::shared_samples("bluesky");
  if (!dir) return;
  auto real = bluesky::parse_profiles(test::read_file((*dir / "getProfiles.json").string()));
  REQUIRE(real.ok());
  REQUIRE_FALSE(real->empty());
  CHECK(real->front().handle == "chriskenny.bsky.social");
}
