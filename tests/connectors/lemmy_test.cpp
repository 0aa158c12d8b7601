// Lemmy: handles, parsers over fixtures in both API shapes (0.19's and
// 1.0's renamed fields), staff persons, the thread of a post from comment
// paths (three levels deep, deleted and removed comments, a citizen's post
// as its own thread), and the connector's sessions driven with fixture
// answers: poll with the instance's version, community and person, catch-up
// to the stored head past pinned posts, backfill by page and by cursor with
// its stall guard, refresh with per-post deletion checks, comment sweeps,
// and both shapes of a rate-limit refusal. There are no recorded Lemmy
// samples in ../shared/api-samples (tests/fixtures/lemmy/SOURCES.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "connectors/lemmy/lemmy_connector.h"
#include "connectors/lemmy/lemmy_handle.h"
#include "connectors/lemmy/lemmy_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kCommunity = "!rathaus@lemmy.musterstadt.example";
constexpr const char* kPerson = "@presse@lemmy.musterstadt.example";
constexpr const char* kBase = "https://lemmy.musterstadt.example";

AccountView view(std::string cursor = "", std::string handle = kCommunity) {
  AccountView v;
  v.account_id = 1;
  v.platform = "lemmy";
  v.handle = std::move(handle);
  v.cursor = std::move(cursor);
  v.now = at("2026-11-30T12:00:00Z");
  v.settings["staff_persons"] = "lemmy.musterstadt.example=presse";
  return v;
}

toolkit::CursorJson cursor_of(const StepResult& r) {
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->cursor.has_value());
  return toolkit::CursorJson::parse(*r.page->cursor);
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json"});
  return r;
}

std::unique_ptr<ConnectorSession> begin(const AccountView& v, WorkKind w) {
  static const auto connector = make_lemmy_connector();
  return connector->begin(v, w);
}

// A post list of `n` posts by citizens, ids from `first_id` down, an hour
// apart below `newest`.
std::string post_list(int n, int first_id, TimeMs newest, const std::string& next = "") {
  std::string out = "{\"posts\":[";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ",";
    const std::string id = std::to_string(first_id - i);
    out += "{\"post\":{\"id\":" + id + ",\"name\":\"Frage " + id +
           "\",\"creator_id\":40,\"community_id\":7,\"removed\":false,\"deleted\":false,"
           "\"published\":\"" +
           format_iso8601(newest - i * kHourMs) + "\",\"ap_id\":\"" + kBase + "/post/" + id +
           "\",\"featured_community\":false,\"featured_local\":false},"
           "\"creator\":{\"id\":40,\"name\":\"buergerin\",\"actor_id\":\"" +
           kBase + "/u/buergerin\"},\"counts\":{\"comments\":1,\"upvotes\":2,\"downvotes\":0}}";
  }
  out += "]";
  if (!next.empty()) out += ",\"next_page\":\"" + next + "\"";
  return out + "}";
}

}  // namespace

TEST_CASE("lemmy handles: communities and persons, addresses, remote communities") {
  CHECK(*canonical_lemmy_handle("!Rathaus@Lemmy.Musterstadt.example") ==
        "!rathaus@lemmy.musterstadt.example");
  CHECK(*canonical_lemmy_handle("@presse@lemmy.musterstadt.example") ==
        "@presse@lemmy.musterstadt.example");
  CHECK(*canonical_lemmy_handle("https://lemmy.musterstadt.example/c/rathaus") == kCommunity);
  CHECK(*canonical_lemmy_handle("lemmy.musterstadt.example/c/rathaus/") == kCommunity);
  CHECK(*canonical_lemmy_handle("https://lemmy.musterstadt.example/u/presse?page=2") == kPerson);
  // A remote community seen on another instance: its home is asked.
  CHECK(*canonical_lemmy_handle("https://feddit.org/c/rathaus@lemmy.musterstadt.example") ==
        kCommunity);
  CHECK(*canonical_lemmy_handle("http://127.0.0.1:8080/c/Rathaus") ==
        "http://127.0.0.1:8080/c/rathaus");
  CHECK_FALSE(canonical_lemmy_handle("rathaus@lemmy.musterstadt.example").ok());
  CHECK_FALSE(canonical_lemmy_handle("!rathaus").ok());
  CHECK_FALSE(canonical_lemmy_handle("!rat haus@lemmy.musterstadt.example").ok());
  CHECK_FALSE(canonical_lemmy_handle("https://lemmy.musterstadt.example/post/612").ok());

  auto a = lemmy::actor_of(kCommunity);
  REQUIRE(a);
  CHECK(a->community);
  CHECK(a->base_url == kBase);
  CHECK(a->name == "rathaus");
  auto p = lemmy::actor_of("http://127.0.0.1:8080/u/presse");
  REQUIRE(p);
  CHECK_FALSE(p->community);
  CHECK(p->host == "127.0.0.1:8080");
  CHECK(p->base_url == "http://127.0.0.1:8080");
}

TEST_CASE("lemmy staff persons: names on the instance, qualified names, scoped lists") {
  const auto s = lemmy::staff_persons_for(
      "lemmy.musterstadt.example=presse, @Buergermeister, feddit.org=rathaus_team, "
      "someone@feddit.org",
      "lemmy.musterstadt.example");
  CHECK(s == std::set<std::string>{"presse@lemmy.musterstadt.example",
                                   "buergermeister@lemmy.musterstadt.example"});
  const auto all = lemmy::staff_persons_for("presse, info@feddit.org", "lemmy.example");
  CHECK(all == std::set<std::string>{"presse@lemmy.example", "info@feddit.org"});
}

TEST_CASE("lemmy parse: site, community and posts in the 0.19 and 1.0 shapes") {
  CHECK(*lemmy::parse_site_version(read_fixture("lemmy/site_0_19.json")) == "0.19.5");
  CHECK(*lemmy::parse_site_version(read_fixture("lemmy/site_1_0.json")) == "1.0.0");
  CHECK(*lemmy::version_number("0.19.5") == 19);
  CHECK(*lemmy::version_number("1.0.0-beta.3") == 1000);
  CHECK_FALSE(lemmy::version_number("unknown"));

  for (const char* f : {"lemmy/community_0_19.json", "lemmy/community_1_0.json"}) {
    CAPTURE(f);
    auto c = lemmy::parse_community(read_fixture(f));
    REQUIRE(c.ok());
    CHECK(c->id == 7);
    CHECK(c->snapshot.platform_id == kCommunity);
    CHECK(c->snapshot.display_name == "Rathaus Musterstadt");
    CHECK(c->snapshot.created_at == at("2023-06-15T10:30:00.123Z"));
    CHECK(c->snapshot.followers.value_or(-1) >= 1204);
    CHECK(c->snapshot.posts.value_or(-1) >= 131);
    CHECK(c->snapshot.following == std::nullopt);
    CHECK_FALSE(c->deleted);
  }

  auto list = lemmy::parse_posts(read_fixture("lemmy/posts_0_19.json"));
  REQUIRE(list.ok());
  CHECK(list->items == 3);
  CHECK(list->next_page == "Pa608");
  REQUIRE(list->posts.size() == 3);
  const auto& pinned = list->posts[0];
  CHECK(pinned.featured);
  CHECK(pinned.creator == "presse@lemmy.musterstadt.example");
  const auto& q = list->posts[1];
  CHECK(q.post.platform_post_id == "612");
  CHECK(q.post.item_type == "post");
  CHECK(q.post.title == "Wann wird die Brücke an der Mühlstraße repariert?");
  CHECK(q.post.text == "Seit März gesperrt. Gibt es einen Termin?");
  CHECK(q.post.url == "https://lemmy.musterstadt.example/post/612");
  CHECK(q.post.created_at == at("2026-11-28T08:15:00Z"));
  CHECK(q.post.edited_at == at("2026-11-28T08:20:00Z"));
  CHECK(q.post.engagement.likes == 13);
  CHECK(q.post.engagement.replies == 5);
  CHECK(q.post.engagement.reposts == std::nullopt);
  CHECK(q.creator == "buergerin@lemmy.musterstadt.example");
  CHECK_FALSE(q.featured);
  CHECK(list->posts[2].post.has_link);  // a link post

  auto v1 = lemmy::parse_posts(read_fixture("lemmy/posts_1_0.json"));
  REQUIRE(v1.ok());
  REQUIRE(v1->posts.size() == 1);
  CHECK(v1->posts[0].post.created_at == at("2026-11-28T08:15:00Z"));
  CHECK(v1->posts[0].post.engagement.replies == 5);
  CHECK(v1->posts[0].post.engagement.likes == 13);
  CHECK(v1->posts[0].creator == "buergerin@lemmy.musterstadt.example");
  CHECK(v1->next_page == "Pa612");

  auto one = lemmy::parse_post(read_fixture("lemmy/post_612.json"));
  REQUIRE(one.ok());
  CHECK(one->post.platform_post_id == "612");
  CHECK_FALSE(one->gone);
}

TEST_CASE("lemmy parse: a thread three levels deep, a staff answer, deleted and removed") {
  auto list = lemmy::parse_comments(read_fixture("lemmy/comments_612_0_19.json"));
  REQUIRE(list.ok());
  REQUIRE(list->comments.size() == 7);
  const auto& deep = list->comments[3];
  CHECK(deep.id == "9004");
  CHECK(deep.ancestors == std::vector<std::string>{"9001", "9002", "9003"});
  CHECK(deep.creator == "presse@lemmy.musterstadt.example");
  CHECK(list->comments[0].creator == "nachbar@feddit.example");
  CHECK(list->comments[4].gone);  // deleted
  CHECK(list->comments[6].gone);  // removed

  const std::set<std::string> staff{"presse@lemmy.musterstadt.example"};
  // A citizen's post: its opening is the thread.
  auto t = lemmy::assemble_thread(list->comments, lemmy::opening_id("612"), staff);
  CHECK(t.gone_ids == std::vector<std::string>{"9005", "9007"});
  REQUIRE(t.comments.size() == 5);
  std::map<std::string, CommentRecord> by_id;
  for (const auto& c : t.comments) by_id[c.platform_comment_id] = c;
  CHECK(by_id["9001"].reply_to_comment_id == "post:612");
  CHECK(by_id["9002"].reply_to_comment_id == "9001");
  CHECK(by_id["9003"].reply_to_comment_id == "9002");
  CHECK(by_id["9004"].reply_to_comment_id == "9003");
  CHECK(by_id["9004"].by_account);
  CHECK_FALSE(by_id["9001"].by_account);
  CHECK(by_id["9004"].likes == 9);
  CHECK(by_id["9004"].created_at == at("2026-11-28T14:15:00Z"));
  // Below a deleted comment: the nearest comment above that is not gone,
  // here the opening.
  CHECK(by_id["9006"].reply_to_comment_id == "post:612");
  // The account's own post: top-level comments open threads; below a
  // deleted root, the root's id names the thread.
  auto own = lemmy::assemble_thread(list->comments, "", staff);
  std::map<std::string, std::string> parent;
  for (const auto& c : own.comments) parent[c.platform_comment_id] = c.reply_to_comment_id;
  CHECK(parent["9001"].empty());
  CHECK(parent["9006"] == "9005");

  auto v1 = lemmy::parse_comments(read_fixture("lemmy/comments_612_1_0.json"));
  REQUIRE(v1.ok());
  REQUIRE(v1->comments.size() == 4);
  CHECK(v1->comments[3].comment.created_at == at("2026-11-28T14:15:00Z"));
  CHECK(v1->comments[3].creator == "presse@lemmy.musterstadt.example");
  CHECK(v1->comments[3].comment.likes == 9);
  CHECK(v1->next_page.empty());

  // Hostile paths are skipped, never stored under a wrong thread.
  auto bad = lemmy::parse_comments(
      R"({"comments":[{"comment":{"id":5,"post_id":1,"path":"0.5.5","published":"2026-01-01T00:00:00Z"}},)"
      R"({"comment":{"id":6,"post_id":1,"path":"0.x.6","published":"2026-01-01T00:00:00Z"}},)"
      R"({"comment":{"id":7,"post_id":1,"path":"0.3","published":"2026-01-01T00:00:00Z"}}]})");
  REQUIRE(bad.ok());
  CHECK(bad->comments.empty());
  CHECK(bad->skipped.size() == 3);
}

TEST_CASE("lemmy parse: errors and both shapes of a rate-limit refusal") {
  CHECK(lemmy::is_rate_limit(400, read_fixture("lemmy/error_rate_limit.json")));
  CHECK(lemmy::is_rate_limit(429, read_fixture("lemmy/error_too_many_requests.json")));
  CHECK(lemmy::is_rate_limit(429, ""));
  CHECK_FALSE(lemmy::is_rate_limit(400, read_fixture("lemmy/error_couldnt_find_community.json")));
  CHECK_FALSE(lemmy::is_rate_limit(200, read_fixture("lemmy/error_rate_limit.json")));
  CHECK(lemmy::error_text(R"({"error":"pictrs_response_error","message":"reason"})") ==
        "pictrs_response_error (reason)");
  CHECK(lemmy::error_text("<html>") == "");
}

TEST_CASE("lemmy poll: version, community, first page, backfill by cursor") {
  auto s = begin(view(), WorkKind::kPoll);
  auto r = s->start();
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kBase) + "/api/v3/site");
  r = s->on_response(fixture_response(200, "lemmy/site_0_19.json"));
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kBase) + "/api/v3/community?name=rathaus");
  REQUIRE(r.page);
  REQUIRE(r.page->batch.events.size() == 1);
  CHECK(r.page->batch.events[0].kind == "instance_version");
  CHECK(r.page->batch.events[0].detail == "the instance runs Lemmy 0.19.5");
  r = s->on_response(fixture_response(200, "lemmy/community_0_19.json"));
  REQUIRE(r.request);
  CHECK(r.request->url ==
        std::string(kBase) + "/api/v3/post/list?community_id=7&type_=All&sort=New&limit=50&page=1");
  REQUIRE(r.page);
  CHECK(r.page->platform_id == kCommunity);
  REQUIRE(r.page->batch.snapshot);
  CHECK(r.page->batch.snapshot->followers == 1204);
  // A short first page: the whole history.
  r = s->on_response(fixture_response(200, "lemmy/posts_0_19.json"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(r.page->batch.posts.size() == 3);
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  auto c = cursor_of(r);
  CHECK(c.str("cid") == "7");
  CHECK(c.num("head") == at("2026-11-28T08:15:00Z"));  // not the pinned post's
  CHECK(c.str("version") == "0.19.5");

  // A full first page with a cursor: backfill goes on by cursor.
  const TimeMs newest = at("2026-11-29T10:00:00Z");
  auto s2 = begin(view(), WorkKind::kPoll);
  s2->start();
  s2->on_response(fixture_response(200, "lemmy/site_0_19.json"));
  s2->on_response(fixture_response(200, "lemmy/community_0_19.json"));
  r = s2->on_response(json_response(200, post_list(50, 1000, newest, "Pa951")));
  REQUIRE(r.page);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  c = cursor_of(r);
  CHECK(c.str("back_cursor") == "Pa951");
  CHECK(c.num("back_oldest") == newest - 49 * kHourMs);

  auto b = begin(view(*r.page->cursor), WorkKind::kBackfill);
  auto br = b->start();
  REQUIRE(br.request);
  CHECK(br.request->url.find("&page_cursor=Pa951") != std::string::npos);
  br = b->on_response(json_response(200, post_list(20, 950, newest - 50 * kHourMs)));
  CHECK(br.done);
  REQUIRE(br.page);
  CHECK(br.page->batch.posts.size() == 20);
  CHECK(br.page->backfill_state == BackfillState::kComplete);
}

TEST_CASE("lemmy poll: a later poll reads down to the head past pinned posts") {
  toolkit::CursorJson c;
  c.set("version", "0.19.5").set("site_in", int64_t{10}).set("cid", "7").set("polled", int64_t{1});
  const TimeMs head = at("2026-11-27T00:00:00Z");
  c.set("head", head);
  auto s = begin(view(c.dump()), WorkKind::kPoll);
  auto r = s->start();
  REQUIRE(r.request);
  CHECK(r.request->url.find("/api/v3/community?name=rathaus") != std::string::npos);
  r = s->on_response(fixture_response(200, "lemmy/community_0_19.json"));
  // Page 1: 50 posts all newer than the head: page 2 follows (by page
  // number: no cursor given).
  r = s->on_response(json_response(200, post_list(50, 2000, at("2026-11-30T11:00:00Z"))));
  REQUIRE(r.request);
  CHECK(r.request->url.find("&page=2") != std::string::npos);
  REQUIRE(r.page);
  CHECK(r.page->batch.posts.size() == 50);
  // Page 2 reaches below the head: done, the head moves to the newest.
  r = s->on_response(json_response(200, post_list(50, 1950, head + 10 * kHourMs)));
  CHECK(r.done);
  CHECK(cursor_of(r).num("head") == at("2026-11-30T11:00:00Z"));
  CHECK_FALSE(r.page->backfill_state);
}

TEST_CASE("lemmy backfill: a server that ignores page stops as incomplete after three tries") {
  toolkit::CursorJson c;
  const TimeMs newest = at("2026-11-29T10:00:00Z");
  c.set("version", "0.19.5").set("cid", "7").set("polled", int64_t{1});
  c.set("back_page", int64_t{2}).set("back_oldest", newest - 49 * kHourMs);
  std::string cursor = c.dump();
  StepResult r;
  for (int i = 0; i < 3; ++i) {
    auto b = begin(view(cursor), WorkKind::kBackfill);
    r = b->start();
    REQUIRE(r.request);
    r = b->on_response(json_response(200, post_list(50, 1000, newest)));  // page 1 again
    REQUIRE(r.page);
    cursor = *r.page->cursor;
  }
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("nothing older") != std::string::npos);
  CHECK_FALSE(toolkit::CursorJson::parse(cursor).has("back_page"));
}

TEST_CASE("lemmy rate limit: 400 rate_limit_error holds the host and is no error") {
  // Refused at the optional version request: it is asked again next poll,
  // the community request that follows meets the refusal.
  auto s = begin(view(), WorkKind::kPoll);
  s->start();
  auto r = s->on_response(fixture_response(400, "lemmy/error_rate_limit.json"));
  REQUIRE(r.request);
  CHECK(r.request->url.find("/api/v3/community?") != std::string::npos);
  CHECK((!r.page || r.page->batch.events.empty()));
  r = s->on_response(fixture_response(400, "lemmy/error_rate_limit.json"));
  CHECK(r.done);
  REQUIRE(r.throttle);
  CHECK(r.throttle->scope == Throttle::Scope::kHost);
  CHECK(r.throttle->wait == 60 * 1000);
  CHECK(r.throttle->reason.find("rate_limit_error") != std::string::npos);
  CHECK(r.failure == FailureKind::kNone);
  CHECK(r.http_status == 400);

  // Any other 400 is an error with the instance's text.
  auto s2 = begin(view(), WorkKind::kPoll);
  s2->start();
  s2->on_response(fixture_response(200, "lemmy/site_0_19.json"));
  r = s2->on_response(fixture_response(400, "lemmy/error_couldnt_find_community.json"));
  CHECK(r.failure == FailureKind::kNotFound);
  CHECK(r.reason.find("couldnt_find_community") != std::string::npos);
  auto s3 = begin(view(), WorkKind::kPoll);
  s3->start();
  s3->on_response(fixture_response(200, "lemmy/site_0_19.json"));
  r = s3->on_response(fixture_response(400, "lemmy/error_instance_is_private.json"));
  CHECK(r.failure == FailureKind::kAuthRequired);
}

TEST_CASE("lemmy poll: a person's posts and comments") {
  auto s = begin(view("", kPerson), WorkKind::kPoll);
  auto r = s->start();
  r = s->on_response(fixture_response(200, "lemmy/site_1_0.json"));
  REQUIRE(r.request);
  CHECK(r.request->url ==
        std::string(kBase) + "/api/v3/user?username=presse&sort=New&limit=50&page=1");
  REQUIRE(r.page);
  CHECK(r.page->batch.events[0].detail.find("Lemmy 1.0.0") != std::string::npos);
  r = s->on_response(fixture_response(200, "lemmy/person_0_19.json"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(r.page->platform_id == kPerson);
  REQUIRE(r.page->batch.snapshot);
  CHECK(r.page->batch.snapshot->posts == 42);
  CHECK(r.page->batch.snapshot->followers == std::nullopt);
  REQUIRE(r.page->batch.posts.size() == 3);
  const auto comment = std::find_if(r.page->batch.posts.begin(), r.page->batch.posts.end(),
                                    [](const PostRecord& p) { return p.item_type == "comment"; });
  REQUIRE(comment != r.page->batch.posts.end());
  CHECK(comment->platform_post_id == "comment:9004");
  CHECK(comment->kind == PostKind::kReplyOther);  // on a citizen's post
  CHECK(comment->parent_post_id == "612");
  CHECK(r.page->backfill_state == BackfillState::kComplete);
}

TEST_CASE("lemmy comments: a citizen's post, its thread and the staff answer") {
  auto v = view();
  v.comment_ids = {"612", "comment:9004"};
  auto s = begin(v, WorkKind::kCommentBackfill);
  auto r = s->start();
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kBase) + "/api/v3/post?id=612");
  r = s->on_response(fixture_response(200, "lemmy/post_612.json"));
  REQUIRE(r.request);
  CHECK(r.request->url ==
        std::string(kBase) + "/api/v3/comment/list?post_id=612&type_=All&sort=Old&limit=50&page=1");
  REQUIRE(r.page);
  REQUIRE(r.page->batch.comments.size() == 1);  // the opening
  CHECK(r.page->batch.comments[0].platform_comment_id == "post:612");
  CHECK_FALSE(r.page->batch.comments[0].by_account);
  CHECK(r.page->batch.comments[0].reply_to_comment_id.empty());
  r = s->on_response(fixture_response(200, "lemmy/comments_612_0_19.json"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(r.page->batch.comments.size() == 5);
  CHECK(r.page->batch.missing_comment_ids.size() == 2);
  REQUIRE(r.page->batch.comment_sweeps.size() == 2);
  CHECK(r.page->batch.comment_sweeps[0].on_post_id == "612");
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kComplete);
  CHECK(r.page->batch.comment_sweeps[1].on_post_id == "comment:9004");
  const auto staff = std::count_if(r.page->batch.comments.begin(), r.page->batch.comments.end(),
                                   [](const CommentRecord& c) { return c.by_account; });
  CHECK(staff == 1);

  // A post the instance no longer has: deleted, no sweep.
  auto v2 = view();
  v2.comment_ids = {"999"};
  auto s2 = begin(v2, WorkKind::kComments);
  s2->start();
  r = s2->on_response(fixture_response(404, "lemmy/error_not_found.json"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"999"});
  CHECK(r.page->batch.comment_sweeps.empty());

  // A rate limit mid-sweep: the host is held, the item stays unswept.
  auto s3 = begin(v, WorkKind::kComments);
  s3->start();
  s3->on_response(fixture_response(200, "lemmy/post_612.json"));
  r = s3->on_response(fixture_response(400, "lemmy/error_rate_limit.json"));
  REQUIRE(r.throttle);
  CHECK((!r.page || r.page->batch.comment_sweeps.empty()));
}

TEST_CASE("lemmy refresh: counts of the window, a post gone by the instance's word") {
  toolkit::CursorJson c;
  c.set("version", "0.19.5").set("cid", "7").set("polled", int64_t{1});
  auto v = view(c.dump());
  v.refresh_ids = {"612", "608", "600", "599"};
  v.refresh_since = at("2026-11-01T00:00:00Z");
  auto s = begin(v, WorkKind::kRefresh);
  auto r = s->start();
  REQUIRE(r.request);
  r = s->on_response(fixture_response(200, "lemmy/posts_0_19.json"));
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kBase) + "/api/v3/post?id=600");
  r = s->on_response(fixture_response(404, "lemmy/error_not_found.json"));
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kBase) + "/api/v3/post?id=599");
  REQUIRE(r.page);
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"600"});
  r = s->on_response(json_response(502, "<html>bad gateway</html>"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(r.page->batch.missing_post_ids == std::vector<std::string>{"599"});
  CHECK(r.page->batch.deleted_post_ids.empty());
}

TEST_CASE("lemmy descriptor: forum with comments, a rate budget, the staff setting") {
  const auto d = lemmy_platform();
  CHECK(d.id == "lemmy");
  CHECK(d.category == Category::kForum);
  CHECK(d.capabilities.comments);
  CHECK(d.rate_requests > 0);
  REQUIRE(d.work_spec(WorkKind::kCommentBackfill));
  CHECK(d.work_spec(WorkKind::kCommentBackfill)->interval_ms == 6 * kHourMs);
  CHECK(std::any_of(d.settings.begin(), d.settings.end(),
                    [](const SettingSpec& s) { return s.key == "staff_persons"; }));
}
