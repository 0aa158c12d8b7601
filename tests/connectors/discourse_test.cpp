// Discourse: handles, parsers over fixtures, the connector's sessions driven
// with fixture and generated answers (poll by creation order, backfill page
// by page with its guards, refresh with per-topic deletion checks, comment
// sweeps over topics longer than one chunk with staff by username, group and
// flag, whispers, hidden and deleted posts), and a conformance test over the
// recorded samples in ../shared/api-samples/discourse (skipped when absent).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "connectors/discourse/discourse_connector.h"
#include "connectors/discourse/discourse_handle.h"
#include "connectors/discourse/discourse_parse.h"
#include "connectors/toolkit.h"
#include "core/json.h"
#include "core/strings.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kHandle = "https://forum.musterstadt.example";

AccountView view(std::string cursor = "", std::string handle = kHandle) {
  AccountView v;
  v.account_id = 1;
  v.platform = "discourse";
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
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

// A topic list page: ids newest first, a day apart before `newest`;
// `more` adds more_topics_url.
std::string list_page(const std::vector<int>& ids, TimeMs newest, bool more, int per_page = 30) {
  JsonWriter w;
  w.begin_object().key("users").begin_array().end_array();
  w.key("topic_list").begin_object().key("per_page").value(int64_t{per_page});
  if (more) w.key("more_topics_url").value("/latest?order=created&page=9");
  w.key("topics").begin_array();
  for (size_t i = 0; i < ids.size(); ++i) {
    w.begin_object().key("id").value(int64_t{ids[i]});
    w.key("title").value("Thema " + std::to_string(ids[i]));
    w.key("slug").value("thema-" + std::to_string(ids[i]));
    w.key("created_at").value(format_iso8601(newest - static_cast<int64_t>(i) * kDayMs));
    w.key("posts_count").value(int64_t{3}).key("like_count").value(int64_t{1});
    w.key("views").value(int64_t{10}).key("archetype").value("regular");
    w.end_object();
  }
  w.end_array().end_object().end_object();
  return w.str();
}

std::vector<int> range_ids(int from, int count) {
  std::vector<int> ids;
  for (int i = 0; i < count; ++i) ids.push_back(from - i);
  return ids;
}

std::unique_ptr<ConnectorSession> session(const AccountView& v, WorkKind w) {
  static auto connector = make_discourse_connector();
  return connector->begin(v, w);
}

}  // namespace

TEST_CASE("discourse handles: forum, subfolder and category addresses") {
  CHECK(*canonical_discourse_handle("forum.musterstadt.example") ==
        "https://forum.musterstadt.example/");
  CHECK(*canonical_discourse_handle("https://Forum.Musterstadt.example/latest.json") ==
        "https://forum.musterstadt.example/");
  CHECK(*canonical_discourse_handle("https://forum.musterstadt.example/categories") ==
        "https://forum.musterstadt.example/");
  CHECK(*canonical_discourse_handle("https://stadt.example/beteiligung/latest") ==
        "https://stadt.example/beteiligung/");
  CHECK(*canonical_discourse_handle("https://forum.musterstadt.example/c/Verkehr/12/l/latest") ==
        "https://forum.musterstadt.example/c/verkehr/12");
  CHECK(*canonical_discourse_handle("https://forum.musterstadt.example/c/bau/strassen/14.json") ==
        "https://forum.musterstadt.example/c/bau/strassen/14");
  CHECK(*canonical_discourse_handle("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/");
  CHECK_FALSE(canonical_discourse_handle("https://forum.musterstadt.example/t/thema/42").ok());
  CHECK_FALSE(canonical_discourse_handle("https://forum.musterstadt.example/c/verkehr").ok());
  CHECK_FALSE(canonical_discourse_handle("kein forum").ok());
  const auto f = discourse::forum_of("https://forum.musterstadt.example/c/verkehr/12");
  REQUIRE(f);
  CHECK(f->base == "https://forum.musterstadt.example");
  CHECK(f->category_path == "verkehr/12");
}

TEST_CASE("discourse parse: a topic list, with unreadable topics skipped") {
  auto l = discourse::parse_topic_list(read_fixture("discourse/latest.json"), kHandle);
  REQUIRE(l.ok());
  CHECK(l->items == 5);
  CHECK(l->more);
  CHECK(l->per_page == 30);
  REQUIRE(l->posts.size() == 3);
  CHECK(l->skipped.size() == 2);
  const PostRecord& t = l->posts[2];
  CHECK(t.platform_post_id == "42");
  CHECK(t.item_type == "topic");
  CHECK(t.title == "Lärmschutz an der B27");
  CHECK(t.created_at == at("2026-11-20T08:00:00Z"));
  CHECK(t.url == std::string(kHandle) + "/t/laermschutz-an-der-b27/42");
  CHECK(t.engagement.replies == 22);
  CHECK(t.engagement.likes == 27);
  CHECK(t.engagement.views == 311);
  CHECK_FALSE(t.engagement.reposts.has_value());
  CHECK_FALSE(discourse::parse_topic_list("{\"topic_list\":{}}", kHandle).ok());
  CHECK_FALSE(discourse::parse_topic_list("[]", kHandle).ok());
  // A list naming one topic twice is no real answer: refused whole.
  CHECK_FALSE(
      discourse::parse_topic_list(list_page({7, 7}, at("2026-11-01T00:00:00Z"), false), kHandle)
          .ok());
}

TEST_CASE("discourse parse: a topic view, posts, group members, errors and staff names") {
  auto v = discourse::parse_topic(read_fixture("discourse/topic_long.json"), kHandle);
  REQUIRE(v.ok());
  CHECK(v->topic.platform_post_id == "42");
  CHECK(v->posts.size() == 20);
  CHECK(v->stream.size() == 23);
  CHECK(v->posts[0].post_number == 1);
  CHECK(v->posts[0].text.find("Lärmschutz") != std::string::npos);
  CHECK(v->posts[1].reply_to_post_number == 1);
  auto c = discourse::parse_post_chunk(read_fixture("discourse/topic_posts_chunk.json"));
  REQUIRE(c.ok());
  REQUIRE(c->posts.size() == 3);
  CHECK(c->posts[0].counts());
  CHECK(c->posts[0].primary_group == "stadtverwaltung");
  CHECK(c->posts[0].likes == 12);
  CHECK_FALSE(c->posts[1].counts());  // a whisper
  CHECK(c->posts[1].staff_flag);
  CHECK_FALSE(c->posts[2].counts());  // hidden
  auto g = discourse::parse_group_members(read_fixture("discourse/group_members.json"));
  REQUIRE(g.ok());
  CHECK(g->usernames == std::vector<std::string>{"stadt_pressestelle", "tiefbauamt_schmidt"});
  CHECK(g->total == 2);
  auto e = discourse::parse_error(read_fixture("discourse/error_rate_limit.json"));
  REQUIRE(e);
  CHECK(e->type == "rate_limit");
  CHECK(e->wait_seconds == 37);
  CHECK(discourse::parse_error(read_fixture("discourse/error_not_found.json"))->type ==
        "not_found");
  CHECK_FALSE(discourse::parse_error("Slow down, too many requests from this IP address."));
  CHECK(discourse::names_for("Alice, forum.a.example=Bob, forum.b.example=carol",
                             "forum.a.example") == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("discourse comments: the opening post is the thread, replies by reply_to_post_number") {
  discourse::Staff staff;
  staff.usernames = {"stadt_pressestelle"};
  discourse::Post opening;
  opening.id = "1";
  opening.post_number = 1;
  opening.username = "anna";
  discourse::Post reply;
  reply.id = "3";
  reply.post_number = 3;
  reply.reply_to_post_number = 2;
  reply.username = "stadt_pressestelle";
  const std::vector<std::pair<int64_t, std::string>> kept = {{1, "1"}, {2, "2"}};
  const CommentRecord top = discourse::to_comment(opening, "42", "1", kept, staff);
  CHECK(top.reply_to_comment_id.empty());
  CHECK_FALSE(top.by_account);
  const CommentRecord r = discourse::to_comment(reply, "42", "1", kept, staff);
  CHECK(r.reply_to_comment_id == "2");
  CHECK(r.by_account);
  // The post answered was not stored (hidden): the reply answers the opening.
  const CommentRecord r2 = discourse::to_comment(reply, "42", "1", {{1, "1"}}, staff);
  CHECK(r2.reply_to_comment_id == "1");
  // No opening stored (deleted): the thread is named, no question is made.
  const CommentRecord r3 = discourse::to_comment(reply, "42", "", {}, staff);
  CHECK(r3.reply_to_comment_id == "topic:42");
  // Discourse's own staff flags count unless switched off.
  discourse::Post mod = opening;
  mod.post_number = 4;
  mod.username = "mod";
  mod.staff_flag = true;
  CHECK(discourse::to_comment(mod, "42", "1", kept, staff).by_account);
  staff.site_staff = false;
  CHECK_FALSE(discourse::to_comment(mod, "42", "1", kept, staff).by_account);
}

TEST_CASE("discourse poll: the first poll opens backfill, a later one reads until the head") {
  AccountView v = view();
  auto s = session(v, WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kHandle) + "/latest.json?order=created&page=0");
  const TimeMs newest = at("2026-10-01T10:00:00Z");
  r = s->on_response(json_response(200, list_page(range_ids(200, 30), newest, true)));
  REQUIRE(r.done);
  CHECK(r.failure == FailureKind::kNone);
  CHECK(r.page->batch.posts.size() == 30);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  REQUIRE(r.page->batch.snapshot);
  CHECK(r.page->batch.snapshot->platform_id == kHandle);
  auto c = cursor_of(r);
  CHECK(c.num("back") == 1);
  CHECK(c.num("head_at") == newest);

  // Later: 35 new topics, more than a page: two pages, up to the head.
  v.cursor = *r.page->cursor;
  s = session(v, WorkKind::kPoll);
  r = s->start();
  const TimeMs later = newest + 35 * kDayMs;
  std::vector<int> ids = range_ids(235, 60);
  r = s->on_response(json_response(200, list_page({ids.begin(), ids.begin() + 30}, later, true)));
  REQUIRE(r.request);
  CHECK(r.request->url.find("page=1") != std::string::npos);
  r = s->on_response(
      json_response(200, list_page({ids.begin() + 30, ids.end()}, later - 30 * kDayMs, true)));
  REQUIRE(r.done);
  CHECK(cursor_of(r).num("head_at") == later);
  CHECK(cursor_of(r).num("back") == 1);  // backfill's place is kept

  // A category's list.
  AccountView cat = view("", std::string(kHandle) + "/c/verkehr/12");
  s = session(cat, WorkKind::kPoll);
  CHECK(s->start().request->url ==
        std::string(kHandle) + "/c/verkehr/12.json?order=created&page=0");
}

TEST_CASE("discourse poll: a short first list completes the history, an empty one closes nothing") {
  auto s = session(view(), WorkKind::kPoll);
  s->start();
  StepResult r = s->on_response(fixture_response(200, "discourse/latest.json"));
  // The fixture says more_topics_url but lists 5 of 30: the last page.
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(r.page->batch.skipped.size() == 2);
  s = session(view(), WorkKind::kPoll);
  s->start();
  r = s->on_response(json_response(200, list_page({}, 0, false)));
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK_FALSE(cursor_of(r).has("polled"));
  s = session(view(), WorkKind::kPoll);
  s->start();
  r = s->on_response(json_response(404, read_fixture("discourse/error_not_found.json")));
  CHECK(r.failure == FailureKind::kNotFound);
  s = session(view(), WorkKind::kPoll);
  s->start();
  r = s->on_response(json_response(200, "<html>Wartung</html>"));
  CHECK(r.failure == FailureKind::kMalformed);
}

TEST_CASE("discourse backfill: page by page to the end, with its guards") {
  const TimeMs newest = at("2026-11-29T10:00:00Z");
  toolkit::CursorJson c;
  c.set("polled", int64_t{1}).set("head_at", newest).set("back", int64_t{1});
  c.set("back_oldest", newest - 29 * kDayMs);
  AccountView v = view(c.dump());
  auto s = session(v, WorkKind::kBackfill);
  StepResult r = s->start();
  CHECK(r.request->url.find("page=1") != std::string::npos);
  r = s->on_response(json_response(200, list_page(range_ids(170, 30), newest - 30 * kDayMs, true)));
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK(cursor_of(r).num("back") == 2);
  v.cursor = *r.page->cursor;

  SUBCASE("the last page completes it") {
    s = session(v, WorkKind::kBackfill);
    s->start();
    r = s->on_response(
        json_response(200, list_page(range_ids(140, 7), newest - 60 * kDayMs, false)));
    CHECK(r.page->backfill_state == BackfillState::kComplete);
    CHECK_FALSE(cursor_of(r).has("back"));
  }
  SUBCASE("a forum that ignores page stops it as incomplete after three pages") {
    for (int i = 0; i < 3; ++i) {
      s = session(v, WorkKind::kBackfill);
      s->start();
      r = s->on_response(json_response(200, list_page(range_ids(200, 30), newest, true)));
      v.cursor = *r.page->cursor;
    }
    CHECK(r.page->backfill_state == BackfillState::kIncomplete);
    CHECK(r.page->history_note->find("ignores `page`") != std::string::npos);
  }
  SUBCASE("backfill_since ends it") {
    v.backfill_since = newest - 40 * kDayMs;
    s = session(v, WorkKind::kBackfill);
    s->start();
    r = s->on_response(json_response(
        200, list_page(range_ids(140, 30), newest - 60 * kDayMs + 29 * kDayMs, true)));
    CHECK(r.page->backfill_state == BackfillState::kReachedStart);
  }
}

TEST_CASE("discourse refresh: a topic gone from the list is deleted only on the forum's 404") {
  toolkit::CursorJson c;
  c.set("polled", int64_t{1});
  AccountView v = view(c.dump());
  v.refresh_ids = {"44", "42", "39", "38"};
  v.refresh_since = at("2026-11-01T00:00:00Z");
  auto s = session(v, WorkKind::kRefresh);
  s->start();
  StepResult r = s->on_response(fixture_response(200, "discourse/latest.json"));
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kHandle) + "/t/39.json");
  r = s->on_response(json_response(404, read_fixture("discourse/error_not_found.json")));
  REQUIRE(r.request);
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"39"});
  r = s->on_response(json_response(403, "{\"errors\":[\"no\"],\"error_type\":\"invalid_access\"}"));
  REQUIRE(r.done);
  CHECK(r.page->batch.missing_post_ids == std::vector<std::string>{"38"});
}

TEST_CASE("discourse comments: a topic of 23 posts, staff by group, whispers and hidden posts") {
  AccountView v = view();
  v.comment_ids = {"42"};
  v.settings["staff_groups"] = "stadtverwaltung";
  auto s = session(v, WorkKind::kComments);
  StepResult r = s->start();
  REQUIRE(r.request);
  CHECK(r.request->url ==
        std::string(kHandle) + "/groups/stadtverwaltung/members.json?limit=200&offset=0");
  CHECK(r.request->optional);
  r = s->on_response(fixture_response(200, "discourse/group_members.json"));
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kHandle) + "/t/42.json");
  r = s->on_response(fixture_response(200, "discourse/topic_long.json"));
  REQUIRE(r.request);
  CHECK(r.request->url == std::string(kHandle) +
                              "/t/42/posts.json?post_ids%5B%5D=5021&post_ids%5B%5D=5022&post_ids%"
                              "5B%5D=5023");
  std::vector<CommentRecord> comments = r.page->batch.comments;
  REQUIRE(r.page->batch.posts.size() == 1);  // the topic's current counts
  r = s->on_response(fixture_response(200, "discourse/topic_posts_chunk.json"));
  REQUIRE(r.done);
  comments.insert(comments.end(), r.page->batch.comments.begin(), r.page->batch.comments.end());
  CHECK(comments.size() == 21);  // 20 + the answer; no whisper, no hidden post
  CHECK(r.page->batch.missing_comment_ids == std::vector<std::string>{"5023"});
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kComplete);
  const auto answer = std::find_if(comments.begin(), comments.end(),
                                   [](const CommentRecord& c) { return c.by_account; });
  REQUIRE(answer != comments.end());
  CHECK(answer->platform_comment_id == "5021");
  CHECK(answer->reply_to_comment_id == "5001");
  CHECK(std::count_if(comments.begin(), comments.end(),
                      [](const CommentRecord& c) { return c.reply_to_comment_id.empty(); }) == 1);
  CHECK(comments[1].reply_to_comment_id == "5001");  // post 2 answers post 1
}

TEST_CASE("discourse comments: deleted topics, hidden groups and a JSON 429 on a group") {
  AccountView v = view();
  v.comment_ids = {"42", "7"};
  v.settings["staff_groups"] = "forum.musterstadt.example=rathaus";
  auto s = session(v, WorkKind::kComments);
  StepResult r = s->start();
  REQUIRE(r.request);
  HttpResponse limited = fixture_response(429, "discourse/error_rate_limit.json");
  limited.headers.push_back({"Retry-After", "37"});
  r = s->on_response(limited);
  REQUIRE(r.throttle);
  CHECK(r.throttle->wait == 37 * kSecondMs);
  CHECK(r.throttle->scope == Throttle::Scope::kHost);

  s = session(v, WorkKind::kComments);
  s->start();
  r = s->on_response(json_response(404, read_fixture("discourse/error_not_found.json")));
  REQUIRE(r.request);  // the group is hidden: noted, topics are read
  r = s->on_response(json_response(404, read_fixture("discourse/error_not_found.json")));
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"42"});
  REQUIRE(r.request);
  r = s->on_response(json_response(500, "oops"));
  CHECK(r.failure == FailureKind::kMalformed);

  // A group unreadable for a transient reason: the sweeps are partial.
  v.comment_ids = {"42"};
  s = session(v, WorkKind::kComments);
  s->start();
  HttpResponse down;
  down.status = 0;
  down.transport_error = "connection reset";
  r = s->on_response(down);
  r = s->on_response(fixture_response(200, "discourse/topic_long.json"));
  r = s->on_response(fixture_response(200, "discourse/topic_posts_chunk.json"));
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kPartial);
}

TEST_CASE("discourse conformance: the recorded samples of the API docs") {
  auto dir = test::shared_samples("discourse");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/discourse not present");
    return;
  }
  const std::string base = "https://colloquy.example";
  auto list = discourse::parse_topic_list(
      test::read_file((*dir / "doc_topics_latest_topics_response.json").string()), base);
  REQUIRE(list.ok());
  CHECK(list->skipped.empty());
  CHECK(list->posts.size() == list->items);
  REQUIRE_FALSE(list->posts.empty());
  for (const PostRecord& p : list->posts) {
    CHECK(p.item_type == "topic");
    CHECK(p.created_at > at("2016-01-01T00:00:00Z"));
    CHECK(p.engagement.replies.has_value());
    CHECK(p.engagement.views.has_value());
  }
  auto topic = discourse::parse_topic(
      test::read_file((*dir / "doc_topics_topic_response.json").string()), base);
  REQUIRE(topic.ok());
  CHECK(topic->topic.platform_post_id == "13");
  REQUIRE(topic->posts.size() == 1);
  CHECK(topic->stream == std::vector<std::string>{"16"});
  CHECK(topic->posts[0].staff_flag);  // the sample's author is an admin
  CHECK(topic->posts[0].counts());
  CHECK(topic->posts[0].likes == 0);  // actions_summary [] : no likes
  auto post =
      discourse::parse_post(test::read_file((*dir / "doc_posts_get_post_response.json").string()));
  REQUIRE(post.ok());
  CHECK(post->post_number == 4);
  CHECK(post->topic_id == 8);
  CHECK_FALSE(post->reply_to_post_number.has_value());
  // A user's profile is no list, topic or post: refused, never misread.
  const std::string user = test::read_file((*dir / "doc_users_get_user_response.json").string());
  CHECK_FALSE(discourse::parse_topic_list(user, base).ok());
  CHECK_FALSE(discourse::parse_topic(user, base).ok());
}

TEST_CASE("discourse poll: a catch-up longer than a poll reopens backfill down to the old head") {
  const TimeMs head = at("2026-01-01T00:00:00Z");
  toolkit::CursorJson c;
  c.set("polled", int64_t{1}).set("head_at", head);
  AccountView v = view(c.dump());
  v.backfill_state = BackfillState::kComplete;
  auto s = session(v, WorkKind::kPoll);
  StepResult r = s->start();
  // Ten full pages of topics newer than the head, a day apart.
  const TimeMs newest = at("2026-11-29T00:00:00Z");
  for (int page = 0; page < 10; ++page) {
    REQUIRE(r.request);
    CHECK(r.request->url.find("page=" + std::to_string(page)) != std::string::npos);
    r = s->on_response(json_response(
        200, list_page(range_ids(5000 - page * 30, 30), newest - page * 30 * kDayMs, true)));
  }
  REQUIRE(r.done);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  auto cur = cursor_of(r);
  CHECK(cur.num("back") == 10);
  CHECK(cur.num("back_stop") == head);
  CHECK(cur.str("back_then") == "complete");
  CHECK(cur.num("head_at") == newest);

  // Backfill reads on; the page that reaches the old head restores the
  // state the history had.
  v.cursor = *r.page->cursor;
  s = session(v, WorkKind::kBackfill);
  r = s->start();
  CHECK(r.request->url.find("page=10") != std::string::npos);
  r = s->on_response(
      json_response(200, list_page(range_ids(4700, 30), newest - 310 * kDayMs, true)));
  REQUIRE(r.done);
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK_FALSE(cursor_of(r).has("back"));
  CHECK_FALSE(cursor_of(r).has("back_stop"));
}
