// PeerTube: handles, parsers over fixtures (every stored field), the
// connector's sessions driven with fixture and generated answers (poll with
// the instance's version, account or channel, backfill by offset while
// videos arrive or go, refresh with per-video deletion checks, comment
// sweeps with trees, tombstones and switched-off comments, RFC 7807 errors),
// and a conformance test over the recorded samples in
// ../shared/api-samples/peertube (skipped when absent).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "connectors/peertube/peertube_connector.h"
#include "connectors/peertube/peertube_handle.h"
#include "connectors/peertube/peertube_parse.h"
#include "connectors/toolkit.h"
#include "core/json.h"
#include "core/strings.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kHandle = "stadt_musterstadt@tube.musterstadt.example";
constexpr const char* kBase = "https://tube.musterstadt.example";
constexpr const char* kOwner = "stadt_musterstadt@tube.musterstadt.example";
constexpr const char* kVideo = "9c9de5e8-0a1e-484a-b099-e80766180a6d";

AccountView view(std::string cursor = "", std::string handle = kHandle) {
  AccountView v;
  v.account_id = 1;
  v.platform = "peertube";
  v.handle = std::move(handle);
  v.cursor = std::move(cursor);
  v.now = at("2026-11-30T12:00:00Z");
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
  r.headers.push_back({"Content-Type", status == 200 ? "application/json; charset=utf-8"
                                                     : "application/problem+json; charset=utf-8"});
  return r;
}

// A video list page: `ids` newest first, dated a day apart before `newest`.
std::string video_list(int64_t total, const std::vector<std::string>& ids,
                       TimeMs newest = at("2026-11-29T10:00:00Z")) {
  JsonWriter w;
  w.begin_object().key("total").value(total).key("data").begin_array();
  TimeMs t = newest;
  for (const std::string& id : ids) {
    w.begin_object().key("id").value(int64_t{1}).key("uuid").value(id);
    w.key("name").value("Video " + id).key("url").value(std::string(kBase) + "/w/" + id);
    w.key("publishedAt").value(format_iso8601(t)).key("views").value(int64_t{10});
    w.key("likes").value(int64_t{1}).key("comments").value(int64_t{0});
    w.end_object();
    t -= kDayMs;
  }
  w.end_array().end_object();
  return w.str();
}

// The world of a backfill test: videos "old-0" (newest) .. "old-N-1" and
// uploads since, listed newest first as PeerTube does.
struct ListWorld {
  std::vector<std::string> ids;  // newest first
  HttpResponse answer(const std::string& url) const {
    const int64_t start = parse_int64(url_query_param(url, "start").value_or("0")).value_or(0);
    const int64_t count = parse_int64(url_query_param(url, "count").value_or("15")).value_or(15);
    std::vector<std::string> page;
    for (int64_t i = start; i < start + count && i < static_cast<int64_t>(ids.size()); ++i)
      page.push_back(ids[static_cast<size_t>(i)]);
    return json_response(200, video_list(static_cast<int64_t>(ids.size()), page));
  }
};

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

std::vector<std::string> ids_of(const std::vector<PostRecord>& posts) {
  std::vector<std::string> out;
  for (const auto& p : posts) out.push_back(p.platform_post_id);
  return out;
}

// The cursor after a first poll of an account on a 7.2 instance.
toolkit::CursorJson polled_cursor() {
  toolkit::CursorJson c;
  c.set("kind", "account").set("owner", kOwner).set("version", "7.2.1");
  c.set("config_in", int64_t{50}).set("polled", int64_t{1});
  return c;
}

const CommentRecord* find_comment(const std::vector<CommentRecord>& all, const std::string& id) {
  for (const auto& c : all)
    if (c.platform_comment_id == id) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("peertube: handles, addresses and channels become one canonical form") {
  const std::map<std::string, std::string> good = {
      {"stadt_musterstadt@tube.musterstadt.example", kHandle},
      {"@stadt_musterstadt@Tube.Musterstadt.Example", kHandle},
      {"account:stadt_musterstadt@tube.musterstadt.example", kHandle},
      {"https://tube.musterstadt.example/a/stadt_musterstadt", kHandle},
      {"https://tube.musterstadt.example/a/stadt_musterstadt/videos", kHandle},
      {"https://tube.musterstadt.example/accounts/stadt_musterstadt", kHandle},
      {"tube.musterstadt.example/a/stadt_musterstadt", kHandle},
      {"https://tube.musterstadt.example/@stadt_musterstadt", kHandle},
      {"channel:Ratssitzungen@tube.musterstadt.example",
       "channel:Ratssitzungen@tube.musterstadt.example"},
      {"https://tube.musterstadt.example/c/ratssitzungen/videos",
       "channel:ratssitzungen@tube.musterstadt.example"},
      {"https://tube.musterstadt.example/video-channels/ratssitzungen",
       "channel:ratssitzungen@tube.musterstadt.example"},
      {"https://other.example/c/ratssitzungen@tube.musterstadt.example",
       "channel:ratssitzungen@tube.musterstadt.example"},
      {"http://127.0.0.1:8080/a/rathaus", "http://127.0.0.1:8080/a/rathaus"},
      {"http://127.0.0.1:8080/c/rat", "http://127.0.0.1:8080/c/rat"},
  };
  for (const auto& [in, want] : good) {
    CAPTURE(in);
    auto h = canonical_peertube_handle(in);
    REQUIRE(h.ok());
    CHECK(*h == want);
  }
  for (const char* bad :
       {"stadt_musterstadt", "@x@localhost", "https://tube.example/videos/watch/1",
        "a b@tube.example", "channel:https://tube.example/c/x", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(canonical_peertube_handle(bad).ok());
  }
  auto a = peertube::actor_of("channel:rat@tube.musterstadt.example");
  REQUIRE(a.has_value());
  CHECK(a->base_url == kBase);
  CHECK(a->name == "rat");
  CHECK(a->channel_only);
  auto b = peertube::actor_of("http://127.0.0.1:8080/a/rathaus");
  REQUIRE(b.has_value());
  CHECK(b->base_url == "http://127.0.0.1:8080");
  CHECK(b->name == "rathaus");
  CHECK_FALSE(b->channel_only);
}

TEST_CASE("peertube: accounts and channels give followers, creation and the answering account") {
  auto a = peertube::parse_account(read_fixture("peertube/account.json"));
  REQUIRE(a.ok());
  CHECK(a->snapshot.platform_id == kHandle);
  CHECK(a->snapshot.handle == kHandle);
  CHECK(a->snapshot.display_name == "Stadt Musterstadt");
  CHECK(a->snapshot.profile_url == std::string(kBase) + "/accounts/stadt_musterstadt");
  CHECK(a->snapshot.followers == 318);
  CHECK(a->snapshot.followers_precision == CountPrecision::kExact);
  CHECK(a->snapshot.following == 2);
  CHECK(a->snapshot.created_at == at("2021-04-12T08:30:11.214Z"));
  CHECK_FALSE(a->snapshot.posts.has_value());
  CHECK(a->owner == kOwner);

  auto c = peertube::parse_channel(read_fixture("peertube/channel.json"));
  REQUIRE(c.ok());
  CHECK(c->snapshot.platform_id == "channel:ratssitzungen@tube.musterstadt.example");
  CHECK(c->snapshot.followers == 97);
  CHECK(c->snapshot.posts == 3);
  REQUIRE(c->snapshot.counters.size() == 1);
  CHECK(c->snapshot.counters[0].name == "views");
  CHECK(c->snapshot.counters[0].value == 12077);
  CHECK(c->owner == kOwner);  // the channel's ownerAccount answers

  CHECK_FALSE(peertube::parse_account("[]").ok());
  CHECK_FALSE(peertube::parse_account(R"({"name":"x"})").ok());
  CHECK_FALSE(peertube::parse_channel("<html>").ok());
}

TEST_CASE("peertube: video lists give uuid, publishedAt, views, likes and comments from 7.2") {
  auto page = peertube::parse_videos(read_fixture("peertube/videos_7_2.json"));
  REQUIRE(page.ok());
  CHECK(page->total == 3);
  CHECK(page->items == 3);
  REQUIRE(page->posts.size() == 3);
  const PostRecord& p = page->posts[0];
  CHECK(p.platform_post_id == kVideo);
  CHECK(p.item_type == kItemVideo);
  CHECK(p.kind == PostKind::kOriginal);
  CHECK(p.title == "Ratssitzung vom 12. November 2026");
  CHECK(p.text.find("Tagesordnung") != std::string::npos);
  CHECK(p.url == std::string(kBase) + "/videos/watch/" + kVideo);
  CHECK(p.language == "de");
  CHECK(p.created_at == at("2026-11-13T08:00:00Z"));  // publishedAt, not createdAt
  CHECK_FALSE(p.edited_at.has_value());
  CHECK(p.has_media);
  CHECK(p.has_link);
  CHECK(p.engagement.views == 412);
  CHECK(p.engagement.likes == 9);
  CHECK(p.engagement.replies == 4);
  CHECK_FALSE(p.engagement.reposts.has_value());
  CHECK(page->posts[1].text.empty());  // a null description
  CHECK(page->posts[1].language.empty());
  CHECK(page->posts[1].engagement.replies == 0);  // 7.2 says 0: a real 0
  // An import: the PeerTube item's time, not the original recording's.
  CHECK(page->posts[2].created_at == at("2022-01-21T11:00:00Z"));

  auto old = peertube::parse_videos(read_fixture("peertube/videos_6_1.json"));
  REQUIRE(old.ok());
  CHECK(old->total == 250);
  CHECK(old->items == 3);
  REQUIRE(old->posts.size() == 1);
  CHECK(old->posts[0].engagement.views == 0);
  CHECK(old->posts[0].engagement.likes == 0);
  CHECK_FALSE(old->posts[0].engagement.replies.has_value());  // before 7.2: unknown, never 0
  REQUIRE(old->skipped.size() == 2);
  CHECK(old->skipped[0].reason == "video without uuid");
  CHECK(old->skipped[1].id == "0d9b2e55-6a51-4c1e-9a43-9f1c2b3a4d5e");

  CHECK_FALSE(peertube::parse_videos(R"({"total":1})").ok());
  CHECK_FALSE(peertube::parse_videos("[]").ok());
}

TEST_CASE("peertube: video details say whether comments are switched off, old and new") {
  auto off = peertube::parse_video(read_fixture("peertube/video_details_disabled.json"));
  REQUIRE(off.ok());
  CHECK(off->post.platform_post_id == kVideo);
  CHECK(off->comments_disabled == true);
  auto on = peertube::parse_video(read_fixture("peertube/video_details_enabled.json"));
  REQUIRE(on.ok());
  CHECK(on->comments_disabled == false);
  auto old = peertube::parse_video(read_fixture("peertube/video_details_6_1_disabled.json"));
  REQUIRE(old.ok());
  CHECK(old->comments_disabled == true);
  CHECK_FALSE(old->post.engagement.replies.has_value());
}

TEST_CASE("peertube: comment threads and trees, tombstones and the account's own answers") {
  auto list = peertube::parse_comment_threads(read_fixture("peertube/comment_threads.json"), kVideo,
                                              kOwner);
  REQUIRE(list.ok());
  CHECK(list->total == 3);
  REQUIRE(list->threads.size() == 3);
  CHECK(list->threads[0].id == "1003");
  CHECK(list->threads[0].deleted);
  CHECK_FALSE(list->threads[0].comment.has_value());
  CHECK(list->threads[0].total_replies == 1);
  const auto& q = list->threads[1];
  CHECK(q.id == "1001");
  REQUIRE(q.comment.has_value());
  CHECK(q.comment->on_post_id == kVideo);
  CHECK(q.comment->author_id == "anna_k@tube.musterstadt.example");
  CHECK_FALSE(q.comment->by_account);
  CHECK(q.comment->reply_to_comment_id.empty());
  CHECK(q.comment->created_at == at("2026-11-13T10:00:00Z"));
  CHECK(q.comment->text == "Warum wurde der Punkt 4 vertagt?");
  CHECK_FALSE(q.comment->likes.has_value());
  CHECK(q.total_replies == 5);
  REQUIRE(list->threads[2].comment.has_value());
  CHECK(list->threads[2].comment->by_account);  // the account's own top-level comment

  auto tree =
      peertube::parse_comment_tree(read_fixture("peertube/comment_tree_1001.json"), kVideo, kOwner);
  REQUIRE(tree.ok());
  CHECK(tree->descendants == 5);
  CHECK(tree->deleted_ids == std::vector<std::string>{"1006"});
  REQUIRE(tree->replies.size() == 4);
  const auto* bernd = find_comment(tree->replies, "1004");
  REQUIRE(bernd != nullptr);
  CHECK(bernd->author_id == "bernd@andere.example");  // a remote citizen
  CHECK(bernd->reply_to_comment_id == "1001");
  const auto* anna = find_comment(tree->replies, "1005");
  REQUIRE(anna != nullptr);
  CHECK(anna->reply_to_comment_id == "1004");
  CHECK(anna->edited_at == at("2026-11-13T11:35:00Z"));
  const auto* answer = find_comment(tree->replies, "1007");
  REQUIRE(answer != nullptr);
  CHECK(answer->by_account);
  CHECK(answer->reply_to_comment_id == "1005");
  // Below a deleted reply: the thread's root answers for it.
  const auto* carla = find_comment(tree->replies, "1009");
  REQUIRE(carla != nullptr);
  CHECK(carla->reply_to_comment_id == "1001");
  CHECK_FALSE(carla->by_account);

  auto orphan =
      peertube::parse_comment_tree(read_fixture("peertube/comment_tree_1003.json"), kVideo, kOwner);
  REQUIRE(orphan.ok());
  REQUIRE(orphan->replies.size() == 1);
  CHECK(orphan->replies[0].reply_to_comment_id == "1003");  // the deleted root names the thread

  CHECK_FALSE(peertube::parse_comment_tree(R"({"children":[]})", kVideo, kOwner).ok());
  CHECK_FALSE(peertube::parse_comment_threads(R"({"total":0})", kVideo, kOwner).ok());
}

TEST_CASE("peertube: RFC 7807 problems, the legacy error member and the instance's version") {
  auto p = peertube::parse_problem(read_fixture("peertube/problem_403_follow.json"));
  REQUIRE(p.has_value());
  CHECK(p->status == 403);
  CHECK(p->title == "Forbidden");
  CHECK(p->type.find("does_not_respect_follow_constraints") != std::string::npos);
  CHECK(peertube::error_text(read_fixture("peertube/problem_404_video.json")) ==
        "Not Found: Video not found");
  CHECK(peertube::error_text(read_fixture("peertube/error_legacy.json")) == "Account not found");
  CHECK(peertube::error_text("<html>nginx</html>").empty());
  CHECK_FALSE(peertube::parse_problem("{}").has_value());

  auto v = peertube::parse_config(read_fixture("peertube/config_7_2.json"));
  REQUIRE(v.ok());
  CHECK(*v == "7.2.1");
  CHECK(peertube::version_number("7.2.1") == 7002);
  CHECK(peertube::version_number("6.1.0") == 6001);
  CHECK(peertube::version_number("8.0.0-rc.1") == 8000);
  CHECK_FALSE(peertube::version_number("seven").has_value());
  CHECK_FALSE(peertube::version_number("7").has_value());
}

TEST_CASE("peertube connector: the first poll reads the version, the account and the newest page") {
  auto connector = make_peertube_connector();
  auto s = connector->begin(view(), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/config");
  CHECK(r.request->optional);
  r = s->on_response(fixture_response(200, "peertube/config_6_1.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/stadt_musterstadt");
  r = s->on_response(fixture_response(200, "peertube/account.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) +
                              "/api/v1/accounts/stadt_musterstadt/videos?start=0&count=100&sort="
                              "-publishedAt");
  REQUIRE(r.page.has_value());
  CHECK(r.page->platform_id == kHandle);
  REQUIRE(r.page->batch.snapshot.has_value());
  CHECK(r.page->batch.snapshot->followers == 318);
  // The version event says what an instance older than 7.2 cannot show.
  bool version_event = false;
  for (const auto& e : r.page->batch.events) {
    if (e.kind == "instance_version") {
      version_event = true;
      CHECK(e.detail.find("PeerTube 6.1.0") != std::string::npos);
      CHECK(e.detail.find("no comment count") != std::string::npos);
    }
  }
  CHECK(version_event);
  auto c = cursor_of(r);
  CHECK(c.str("kind") == "account");
  CHECK(c.str("owner") == kOwner);
  CHECK(c.str("version") == "6.1.0");

  r = s->on_response(fixture_response(200, "peertube/videos_6_1.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 1);
  CHECK(r.page->batch.skipped.size() == 2);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  c = cursor_of(r);
  CHECK(c.num("total") == 250);
  CHECK(c.num("back") == 247);  // 250 listed, 3 entries read (1 stored, 2 skipped)
  CHECK(c.num("polled") == 1);
  CHECK(c.str("known") == "55b2e9d1-ccf3-4914-9f3f-c5d8a59bd4c1");
}

TEST_CASE("peertube connector: a whole history on the first page is complete with its total") {
  auto connector = make_peertube_connector();
  auto s = connector->begin(view(polled_cursor().erase("polled").dump()), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("/api/v1/accounts/stadt_musterstadt") != std::string::npos);
  r = s->on_response(fixture_response(200, "peertube/account.json"));
  r = s->on_response(fixture_response(200, "peertube/videos_7_2.json"));
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(r.page->expected_own_posts == 3);
  CHECK_FALSE(cursor_of(r).has("back"));
}

TEST_CASE("peertube connector: a name without an account is read as the channel of that name") {
  auto connector = make_peertube_connector();
  auto s = connector->begin(view("", "ratssitzungen@tube.musterstadt.example"), WorkKind::kPoll);
  StepResult r = s->start();
  r = s->on_response(fixture_response(200, "peertube/config_7_2.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/ratssitzungen");
  r = s->on_response(fixture_response(404, "peertube/problem_404_account.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/video-channels/ratssitzungen");
  r = s->on_response(fixture_response(200, "peertube/channel.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("/api/v1/video-channels/ratssitzungen/videos?start=0&count=100") !=
        std::string::npos);
  auto c = cursor_of(r);
  CHECK(c.str("kind") == "channel");
  CHECK(c.str("owner") == kOwner);
  CHECK(r.page->platform_id == "channel:ratssitzungen@tube.musterstadt.example");

  SUBCASE("neither kind: not found, with the instance's words") {
    auto s2 = connector->begin(view("", "nobody@tube.musterstadt.example"), WorkKind::kPoll);
    r = s2->start();
    r = s2->on_response(fixture_response(200, "peertube/config_7_2.json"));
    r = s2->on_response(fixture_response(404, "peertube/problem_404_account.json"));
    r = s2->on_response(fixture_response(404, "peertube/problem_404_account.json"));
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNotFound);
    CHECK(r.reason.find("neither an account nor a channel") != std::string::npos);
    CHECK(r.reason.find("not found") != std::string::npos);
  }
  SUBCASE("a channel handle never asks for an account") {
    auto s3 = connector->begin(view(polled_cursor().erase("kind").dump(),
                                    "channel:ratssitzungen@tube.musterstadt.example"),
                               WorkKind::kPoll);
    r = s3->start();
    REQUIRE(r.request.has_value());
    CHECK(r.request->url == std::string(kBase) + "/api/v1/video-channels/ratssitzungen");
    r = s3->on_response(fixture_response(404, "peertube/problem_404_account.json"));
    CHECK(r.failure == FailureKind::kNotFound);
  }
}

TEST_CASE("peertube connector: errors are read as RFC 7807 problems") {
  auto connector = make_peertube_connector();
  const std::string polled = polled_cursor().dump();
  auto answer = [&](int status, const std::string& file) {
    auto s = connector->begin(view(polled), WorkKind::kPoll);
    s->start();
    return s->on_response(fixture_response(status, file));
  };
  StepResult r = answer(403, "peertube/problem_403_follow.json");
  CHECK(r.failure == FailureKind::kAuthRequired);
  CHECK(r.reason.find("refuses to show it") != std::string::npos);
  r = answer(401, "peertube/error_legacy.json");
  CHECK(r.failure == FailureKind::kAuthRequired);
  CHECK(r.reason.find("private instance") != std::string::npos);
  r = answer(410, "peertube/problem_404_account.json");
  CHECK(r.failure == FailureKind::kGone);
  r = answer(200, "peertube/problem_404_account.json");  // a problem with HTTP 200
  CHECK(r.failure == FailureKind::kMalformed);
  HttpResponse html;
  html.status = 404;
  html.body = "<html><body>nginx</body></html>";
  auto s = connector->begin(view(polled), WorkKind::kPoll);
  s->start();
  r = s->on_response(html);
  CHECK(r.failure == FailureKind::kNotFound);
  CHECK(r.reason.find("is the host a PeerTube instance") != std::string::npos);
}

TEST_CASE("peertube connector: the configuration is read again after 50 polls") {
  auto connector = make_peertube_connector();
  auto c = polled_cursor();
  c.set("config_in", int64_t{1});
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("/api/v1/accounts/") != std::string::npos);
  r = s->on_response(fixture_response(200, "peertube/account.json"));
  CHECK(cursor_of(r).num("config_in") == 0);
  auto s2 = connector->begin(view(*r.page->cursor), WorkKind::kPoll);
  r = s2->start();
  CHECK(r.request->url == std::string(kBase) + "/api/v1/config");
  // Unreadable: the version is "?" and said once; the poll goes on.
  HttpResponse broken;
  broken.status = 0;
  broken.transport_error = "connection refused";
  r = s2->on_response(broken);
  REQUIRE(r.request.has_value());
  r = s2->on_response(fixture_response(200, "peertube/account.json"));
  CHECK(cursor_of(r).str("version") == "?");
  CHECK(cursor_of(r).num("config_in") == 50);
}

TEST_CASE("peertube connector: later polls read new videos until a known one") {
  auto connector = make_peertube_connector();
  ListWorld world{numbered("v", 30)};
  auto c = polled_cursor();
  c.set("known", "v0,v1,v2").set("total", int64_t{30});
  // Three uploads since.
  world.ids.insert(world.ids.begin(), {"n2", "n1", "n0"});
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  StepResult r = s->start();
  r = s->on_response(fixture_response(200, "peertube/account.json"));
  REQUIRE(r.request.has_value());
  r = s->on_response(world.answer(r.request->url));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"n2", "n1", "n0"});
  CHECK_FALSE(r.page->backfill_state.has_value());
  auto after = cursor_of(r);
  CHECK(after.str("known") == "n2,n1,n0,v0,v1,v2,v3,v4,v5,v6");
  CHECK(after.num("total") == 33);
}

TEST_CASE("peertube connector: a catch-up longer than ten pages leaves the rest to backfill") {
  auto connector = make_peertube_connector();
  ListWorld world{numbered("v", 50)};
  auto c = polled_cursor();
  c.set("known", "v0").set("total", int64_t{50});
  auto fresh = numbered("n", 1200);
  world.ids.insert(world.ids.begin(), fresh.begin(), fresh.end());
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  StepResult r = s->start();
  r = s->on_response(fixture_response(200, "peertube/account.json"));
  int pages = 0;
  size_t stored = 0;
  while (r.request && pages < 20) {
    ++pages;
    r = s->on_response(world.answer(r.request->url));
    if (r.page) stored += r.page->batch.posts.size();
  }
  CHECK(pages == 10);
  CHECK(stored == 1000);
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kPending);
  auto after = cursor_of(r);
  CHECK(after.num("back") == 250);  // 1,250 listed, 1,000 read: backfill reads the rest
  CHECK(after.str("known").rfind("n0,", 0) == 0);
}

TEST_CASE("peertube connector: backfill by offset loses nothing while videos arrive or go") {
  auto connector = make_peertube_connector();
  ListWorld world{numbered("v", 250)};
  // The first poll.
  auto s = connector->begin(view(polled_cursor().erase("polled").dump()), WorkKind::kPoll);
  StepResult r = s->start();
  r = s->on_response(fixture_response(200, "peertube/account.json"));
  r = s->on_response(world.answer(r.request->url));
  std::set<std::string> stored;
  for (const auto& id : ids_of(r.page->batch.posts)) stored.insert(id);
  std::string cursor = *r.page->cursor;
  CHECK(toolkit::CursorJson::parse(cursor).num("back") == 150);

  SUBCASE("three uploads before the first backfill page") {
    world.ids.insert(world.ids.begin(), {"n2", "n1", "n0"});
  }
  SUBCASE("ten videos deleted before the first backfill page") {
    world.ids.erase(world.ids.begin() + 10, world.ids.begin() + 20);
    for (int i = 10; i < 20; ++i) stored.insert("v" + std::to_string(i));  // not to be expected
  }
  std::optional<BackfillState> state;
  std::optional<int64_t> expected;
  for (int unit = 0; unit < 10 && state != BackfillState::kComplete; ++unit) {
    auto b = connector->begin(view(cursor), WorkKind::kBackfill);
    r = b->start();
    if (!r.request) break;
    CHECK(r.request->url.find("count=100") != std::string::npos);
    r = b->on_response(world.answer(r.request->url));
    REQUIRE(r.done);
    CHECK(r.failure == FailureKind::kNone);
    REQUIRE(r.page.has_value());
    for (const auto& id : ids_of(r.page->batch.posts)) stored.insert(id);
    if (r.page->backfill_state) state = r.page->backfill_state;
    if (r.page->expected_own_posts) expected = r.page->expected_own_posts;
    cursor = *r.page->cursor;
  }
  CHECK(state == BackfillState::kComplete);
  CHECK(expected == static_cast<int64_t>(world.ids.size()));
  for (int i = 0; i < 250; ++i) CHECK(stored.count("v" + std::to_string(i)) == 1);
  CHECK_FALSE(toolkit::CursorJson::parse(cursor).has("back"));
}

TEST_CASE("peertube connector: a list that says more than it lists stops backfill as incomplete") {
  auto connector = make_peertube_connector();
  auto c = polled_cursor();
  c.set("total", int64_t{100000}).set("back", int64_t{99900});
  std::string cursor = c.dump();
  std::optional<BackfillState> state;
  int units = 0;
  for (; units < 10 && !state; ++units) {
    auto b = connector->begin(view(cursor), WorkKind::kBackfill);
    StepResult r = b->start();
    REQUIRE(r.request.has_value());
    r = b->on_response(json_response(200, video_list(100000, {})));
    REQUIRE(r.page.has_value());
    state = r.page->backfill_state;
    cursor = *r.page->cursor;
    if (state) CHECK(r.page->history_note->find("lists none older") != std::string::npos);
  }
  CHECK(units == 3);
  CHECK(state == BackfillState::kIncomplete);
  auto b = connector->begin(view(cursor), WorkKind::kBackfill);
  CHECK(b->start().done);  // nothing more is asked
}

TEST_CASE("peertube connector: backfill stops at the configured start") {
  auto connector = make_peertube_connector();
  ListWorld world{numbered("v", 300)};
  auto c = polled_cursor();
  c.set("total", int64_t{300}).set("back", int64_t{200});
  AccountView v = view(c.dump());
  v.backfill_since = at("2026-09-01T00:00:00Z");  // within the second hundred days
  auto b = connector->begin(v, WorkKind::kBackfill);
  StepResult r = b->start();
  r = b->on_response(world.answer(r.request->url));
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kReachedStart);
}

TEST_CASE("peertube connector: a refresh checks videos it did not list, one by one") {
  auto connector = make_peertube_connector();
  AccountView v = view(polled_cursor().dump());
  v.refresh_since = at("2026-11-01T00:00:00Z");
  v.refresh_ids = {"v0", "gone", "private", kVideo};
  auto s = connector->begin(v, WorkKind::kRefresh);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  r = s->on_response(json_response(200, video_list(40, numbered("v", 40))));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/videos/gone");
  CHECK(r.page->batch.posts.size() == 40);
  r = s->on_response(fixture_response(404, "peertube/problem_404_video.json"));
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"gone"});
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/videos/private");
  r = s->on_response(fixture_response(403, "peertube/problem_403_follow.json"));
  CHECK(r.page->batch.missing_post_ids == std::vector<std::string>{"private"});
  CHECK(r.page->batch.deleted_post_ids.empty());
  REQUIRE(r.request.has_value());
  r = s->on_response(fixture_response(200, "peertube/video_details_enabled.json"));
  CHECK(r.done);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{kVideo});  // still there

  SUBCASE("an empty list for a window with videos marks nothing") {
    auto s2 = connector->begin(v, WorkKind::kRefresh);
    s2->start();
    r = s2->on_response(json_response(200, video_list(0, {})));
    CHECK(r.failure == FailureKind::kMalformed);
  }
}

TEST_CASE("peertube connector: a comment sweep reads every thread and tree of each video") {
  auto connector = make_peertube_connector();
  AccountView v = view(polled_cursor().dump());
  v.comment_ids = {kVideo, "b7c8e1d0-4f2a-4a53-8f0e-5d2c8c1e9a44"};
  auto s = connector->begin(v, WorkKind::kCommentBackfill);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/videos/" + kVideo +
                              "/comment-threads?start=0&count=100&sort=-createdAt");
  std::vector<CommentRecord> all;
  std::vector<std::string> tombstones;
  std::vector<CommentSweep> sweeps;
  auto take = [&](const StepResult& step) {
    if (!step.page) return;
    const Batch& b = step.page->batch;
    all.insert(all.end(), b.comments.begin(), b.comments.end());
    tombstones.insert(tombstones.end(), b.missing_comment_ids.begin(), b.missing_comment_ids.end());
    sweeps.insert(sweeps.end(), b.comment_sweeps.begin(), b.comment_sweeps.end());
  };
  r = s->on_response(fixture_response(200, "peertube/comment_threads.json"));
  take(r);
  REQUIRE(r.request.has_value());
  CHECK(r.request->url ==
        std::string(kBase) + "/api/v1/videos/" + kVideo + "/comment-threads/1003");
  r = s->on_response(fixture_response(200, "peertube/comment_tree_1003.json"));
  take(r);
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("/comment-threads/1001") != std::string::npos);
  r = s->on_response(fixture_response(200, "peertube/comment_tree_1001.json"));
  take(r);
  REQUIRE(sweeps.size() == 1);
  CHECK(sweeps[0].on_post_id == kVideo);
  CHECK(sweeps[0].result == CommentSweepResult::kComplete);
  // The second video: no thread, and its details say comments are off.
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("b7c8e1d0-4f2a-4a53-8f0e-5d2c8c1e9a44/comment-threads?") !=
        std::string::npos);
  r = s->on_response(fixture_response(200, "peertube/comment_threads_empty.json"));
  take(r);
  REQUIRE(r.request.has_value());
  CHECK(r.request->url ==
        std::string(kBase) + "/api/v1/videos/b7c8e1d0-4f2a-4a53-8f0e-5d2c8c1e9a44");
  r = s->on_response(fixture_response(200, "peertube/video_details_disabled.json"));
  take(r);
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(sweeps.size() == 2);
  CHECK(sweeps[1].result == CommentSweepResult::kDisabled);

  // 2 roots (1001, 1002), 4 replies of 1001, 1 reply of the deleted 1003.
  CHECK(all.size() == 7);
  std::sort(tombstones.begin(), tombstones.end());
  CHECK(tombstones == std::vector<std::string>{"1003", "1006"});
  CHECK(std::count_if(all.begin(), all.end(),
                      [](const CommentRecord& c) { return c.by_account; }) == 2);
  for (const auto& c : all) CHECK(c.on_post_id == kVideo);
}

TEST_CASE("peertube connector: a trimmed tree or a short thread list makes the sweep partial") {
  auto connector = make_peertube_connector();
  AccountView v = view(polled_cursor().dump());
  v.comment_ids = {kVideo};
  auto s = connector->begin(v, WorkKind::kComments);
  StepResult r = s->start();
  // The list says 1001 has 9 replies; the tree shows 5.
  std::string threads = read_fixture("peertube/comment_threads.json");
  threads = std::string(threads).replace(threads.find("\"totalReplies\": 5"),
                                         std::string("\"totalReplies\": 5").size(),
                                         "\"totalReplies\": 9");
  r = s->on_response(json_response(200, threads));
  r = s->on_response(fixture_response(200, "peertube/comment_tree_1003.json"));
  r = s->on_response(fixture_response(200, "peertube/comment_tree_1001.json"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  const CommentSweep& sweep = r.page->batch.comment_sweeps[0];
  CHECK(sweep.result == CommentSweepResult::kPartial);
  CHECK(sweep.note.find("showed 5 of 9 replies") != std::string::npos);
  CHECK(r.reason.find("showed 5 of 9") != std::string::npos);

  SUBCASE("a list that ends before its total") {
    auto s2 = connector->begin(v, WorkKind::kComments);
    s2->start();
    std::string more = read_fixture("peertube/comment_threads.json");
    more.replace(more.find("\"total\": 3"), std::string("\"total\": 3").size(), "\"total\": 300");
    r = s2->on_response(json_response(200, more));
    REQUIRE(r.request.has_value());
    CHECK(r.request->url.find("start=3&count=100") != std::string::npos);
    r = s2->on_response(fixture_response(200, "peertube/comment_threads_empty.json"));
    r = s2->on_response(fixture_response(200, "peertube/comment_tree_1003.json"));
    r = s2->on_response(fixture_response(200, "peertube/comment_tree_1001.json"));
    REQUIRE(r.page.has_value());
    REQUIRE(r.page->batch.comment_sweeps.size() == 1);
    CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kPartial);
    CHECK(r.page->batch.comment_sweeps[0].note.find("says 300 threads but listed 3") !=
          std::string::npos);
  }
}

TEST_CASE("peertube connector: comments of a deleted or refused video, and before any poll") {
  auto connector = make_peertube_connector();
  AccountView v = view(polled_cursor().dump());
  v.comment_ids = {"gone", "private"};
  auto s = connector->begin(v, WorkKind::kComments);
  StepResult r = s->start();
  r = s->on_response(fixture_response(404, "peertube/problem_404_video.json"));
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"gone"});
  CHECK(r.page->batch.comment_sweeps.empty());
  REQUIRE(r.request.has_value());
  r = s->on_response(fixture_response(403, "peertube/problem_403_follow.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  CHECK(r.reason.find("refused") != std::string::npos);
  if (r.page) CHECK(r.page->batch.comment_sweeps.empty());  // unswept: asked again later

  AccountView fresh = view();
  fresh.comment_ids = {kVideo};
  auto idle = connector->begin(fresh, WorkKind::kComments);
  r = idle->start();
  CHECK(r.done);
  CHECK_FALSE(r.request.has_value());
}

TEST_CASE("peertube: the descriptor states category, capabilities, work and the rate") {
  const PlatformDescriptor d = peertube_platform();
  CHECK(d.id == "peertube");
  CHECK(d.category == Category::kContentCommunity);
  CHECK(d.capabilities.connector);
  CHECK(d.capabilities.full_history);
  CHECK(d.capabilities.comments);
  CHECK_FALSE(d.capabilities.needs_credential);
  CHECK(d.work_spec(WorkKind::kComments) != nullptr);
  CHECK(d.work_spec(WorkKind::kRefresh) != nullptr);
  CHECK(d.rate_requests == 50);
  CHECK(d.rate_window_ms == 10000);
  CHECK(d.canonicalize("https://tube.musterstadt.example/c/rat").value() ==
        "channel:rat@tube.musterstadt.example");
  auto c = make_peertube_connector();
  CHECK(c->platform() == "peertube");
  CHECK(c->host_for(view()) == "tube.musterstadt.example");
  CHECK(c->host_for(view("", "http://127.0.0.1:8080/c/rat")) == "127.0.0.1:8080");
}

TEST_CASE("peertube: conformance over the recorded samples") {
  auto dir = test::shared_samples("peertube");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/peertube not present");
    return;
  }
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir)) {
    const std::string name = entry.path().filename().string();
    const std::string text = test::read_file(entry.path().string());
    CAPTURE(name);
    if (name == "channel_videos_list_live.json") {
      ++seen;
      auto page = peertube::parse_videos(text);
      REQUIRE(page.ok());
      CHECK(page->total == 1);
      REQUIRE(page->posts.size() == 1);
      CHECK(page->skipped.empty());
      const PostRecord& p = page->posts[0];
      CHECK(p.platform_post_id == "55b2e9d1-ccf3-4914-9f3f-c5d8a59bd4c1");
      CHECK(p.title == "LINUX Unplugged 471 - We Broke Our Server");
      CHECK(p.created_at == at("2022-08-14T18:53:15.543Z"));
      CHECK(p.language == "en");
      CHECK(p.engagement.views == 0);
      CHECK(p.engagement.likes == 0);
      CHECK_FALSE(p.engagement.replies.has_value());  // a pre-7.2 answer has no `comments`
    } else if (ends_with(name, ".http")) {
      ++seen;
      // A documented answer: status line, headers, blank line, problem body.
      const size_t blank = text.find("\n\n");
      REQUIRE(blank != std::string::npos);
      CHECK(text.find("application/problem+json") < blank);
      auto p = peertube::parse_problem(text.substr(blank + 2));
      REQUIRE(p.has_value());
      CHECK(p->status >= 400);
      CHECK_FALSE(p->title.empty());
      CHECK_FALSE(p->detail.empty());
      CHECK(text.find("HTTP 1.1 " + std::to_string(p->status)) == 0);
    }
  }
  CHECK(seen >= 4);
}
