// WordPress: the site handle, parsers over fixtures (every stored field),
// and the connector's sessions driven with fixture responses: the first
// poll and its anchor, the catch-up, backfill to the first post and its
// guards, comment counts, comment sweeps with staff answers, and the fall
// back to the feed when the REST API is off. Conformance over the recorded
// samples in ../shared/api-samples/wordpress (skipped when absent).
#include <doctest/doctest.h>

#include <algorithm>

#include "connectors/builtin.h"
#include "connectors/toolkit.h"
#include "connectors/wordpress/wordpress_connector.h"
#include "connectors/wordpress/wordpress_handle.h"
#include "connectors/wordpress/wordpress_parse.h"
#include "core/json.h"
#include "core/strings.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::read_fixture;

namespace {

constexpr const char* kSite = "https://www.musterstadt.example";

AccountView view(std::string cursor = "") {
  AccountView v;
  v.account_id = 1;
  v.platform = "wordpress";
  v.handle = kSite;
  v.cursor = std::move(cursor);
  v.now = at("2024-12-05T12:00:00Z");
  return v;
}

HttpResponse answer(int status, std::string body, std::string total = "", std::string pages = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=UTF-8"});
  if (!total.empty()) r.headers.push_back({"X-WP-Total", total});
  if (!pages.empty()) r.headers.push_back({"X-WP-TotalPages", pages});
  return r;
}

std::unique_ptr<ConnectorSession> session(const AccountView& v, WorkKind w) {
  return make_wordpress_connector()->begin(v, w);
}

toolkit::CursorJson cursor_of(const StepResult& r) {
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->cursor.has_value());
  return toolkit::CursorJson::parse(*r.page->cursor);
}

// A posts page of `n` posts, ids from `first_id` down, one hour apart from `newest`.
std::string posts_json(int n, int first_id, TimeMs newest, int author = 3) {
  JsonWriter w;
  w.begin_array();
  for (int i = 0; i < n; ++i) {
    std::string gmt = format_iso8601(newest - i * kHourMs);
    gmt = gmt.substr(0, 19);  // date_gmt has no zone
    w.begin_object().key("id").value(first_id - i).key("date_gmt").value(gmt);
    w.key("link").value(std::string(kSite) + "/?p=" + std::to_string(first_id - i));
    w.key("title").begin_object().key("rendered").value("Meldung").end_object();
    w.key("author").value(author).key("comment_status").value("open").end_object();
  }
  w.end_array();
  return w.str();
}

bool has(const HttpRequest& r, const std::string& part) {
  return r.url.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("wordpress handle: the site address, normalized") {
  CHECK(*canonical_wordpress_site("www.Musterstadt.example") == "https://www.musterstadt.example");
  CHECK(*canonical_wordpress_site("https://www.musterstadt.example/") ==
        "https://www.musterstadt.example");
  CHECK(*canonical_wordpress_site("http://stadt.example:80/blog/") == "http://stadt.example/blog");
  CHECK(*canonical_wordpress_site("https://stadt.example/wp-json/wp/v2/posts?per_page=5") ==
        "https://stadt.example");
  CHECK(*canonical_wordpress_site("https://stadt.example/blog/feed/") ==
        "https://stadt.example/blog");
  CHECK(*canonical_wordpress_site("https://stadt.example/?p=12#comments") ==
        "https://stadt.example");
  CHECK(*canonical_wordpress_site("https://stadt.example/feedback") ==
        "https://stadt.example/feedback");
  CHECK(*canonical_wordpress_site("https://münster.example") == "https://xn--mnster-3ya.example");
  CHECK_FALSE(canonical_wordpress_site("musterstadt").ok());
  CHECK_FALSE(canonical_wordpress_site("ftp://stadt.example").ok());
  register_builtin_platforms();
  const PlatformDescriptor* d = find_platform("wordpress");
  REQUIRE(d != nullptr);
  CHECK(d->capabilities.connector);
  CHECK(d->capabilities.comments);
  CHECK(d->category == Category::kBlog);
  CHECK(*d->canonicalize("stadt.example/") == "https://stadt.example");
}

TEST_CASE("wordpress parse: posts, every field, date_gmt never date") {
  auto posts = wordpress::parse_posts(read_fixture("wordpress/posts_page.json"));
  REQUIRE(posts.ok());
  REQUIRE(posts->posts.size() == 2);
  const PostRecord& p = posts->posts[0];
  CHECK(p.platform_post_id == "1203");
  CHECK(p.item_type == std::string(kItemArticle));
  CHECK(p.created_at == at("2024-12-03T10:00:00Z"));  // date_gmt, not the local 11:00
  REQUIRE(p.edited_at.has_value());
  CHECK(*p.edited_at == at("2024-12-04T08:30:00Z"));
  CHECK(p.title == "Weihnachtsmarkt – Öffnungszeiten & Anfahrt");
  CHECK(p.text.find("Der Weihnachtsmarkt öffnet am Freitag.") == 0);
  CHECK(p.url == "https://www.musterstadt.example/2024/12/03/weihnachtsmarkt-oeffnungszeiten/");
  CHECK(p.has_link);
  CHECK(p.has_media);  // an <img> in the content
  CHECK(p.kind == PostKind::kOriginal);
  CHECK(p.engagement.empty());  // WordPress lists no counts: unknown, never 0
  const PostRecord& q = posts->posts[1];
  CHECK(q.created_at == at("2024-06-30T22:30:00Z"));  // local 1 July, 30 June in UTC
  CHECK_FALSE(q.edited_at.has_value());
  CHECK(q.has_media);  // featured_media
  CHECK_FALSE(q.has_link);
  CHECK(posts->authors == std::set<std::string>{"3", "5"});
  CHECK(posts->comment_status.at("1187") == "closed");
  REQUIRE(posts->skipped.size() == 2);
  CHECK(posts->skipped[0].id == "1150");
  CHECK(posts->skipped[0].reason == "no readable date_gmt");
  CHECK(posts->skipped[1].id.empty());

  auto fields = wordpress::parse_posts(read_fixture("wordpress/posts_fields.json"));
  REQUIRE(fields.ok());
  REQUIRE(fields->posts.size() == 1);
  CHECK(fields->posts[0].created_at == at("2024-12-03T10:00:00Z"));

  CHECK_FALSE(wordpress::parse_posts(read_fixture("wordpress/home_page.html")).ok());
  CHECK_FALSE(wordpress::parse_posts(read_fixture("wordpress/error_no_route.json")).ok());
  CHECK(wordpress::parse_posts("[]")->posts.empty());
}

TEST_CASE("wordpress parse: comments with threads, staff by user id and by name") {
  wordpress::Staff staff;
  staff.user_ids = {"3"};
  staff.names = {"pressestelle"};
  auto c = wordpress::parse_comments(read_fixture("wordpress/comments_thread.json"), staff);
  REQUIRE(c.ok());
  REQUIRE(c->comments.size() == 5);  // 506 is held for moderation, 507 has no date
  const CommentRecord& first = c->comments[0];
  CHECK(first.platform_comment_id == "501");
  CHECK(first.on_post_id == "1203");
  CHECK(first.reply_to_comment_id.empty());
  CHECK(first.author_id == "guest:Erika Mustermann");
  CHECK_FALSE(first.by_account);
  CHECK(first.created_at == at("2024-12-03T11:00:00Z"));
  CHECK(first.text == "Gibt es dieses Jahr wieder einen Shuttlebus?");
  CHECK_FALSE(first.likes.has_value());
  CHECK(c->comments[1].reply_to_comment_id == "501");
  CHECK(c->comments[2].reply_to_comment_id == "502");
  CHECK(c->comments[2].text == "Danke, aber fährt er auch sonntags?");
  CHECK(c->comments[3].platform_comment_id == "504");
  CHECK(c->comments[3].author_id == "3");
  CHECK(c->comments[3].by_account);  // a post author's user id
  CHECK(c->comments[4].by_account);  // a configured name, compared case-insensitively
  CHECK(c->comments[4].author_id == "guest:Pressestelle");
  REQUIRE(c->skipped.size() == 1);
  CHECK(c->skipped[0].id == "507");
  CHECK(c->first_id == 501);
  CHECK(c->last_id == 507);

  wordpress::Staff nobody;
  auto plain = wordpress::parse_comments(read_fixture("wordpress/comments_thread.json"), nobody);
  REQUIRE(plain.ok());
  CHECK(std::none_of(plain->comments.begin(), plain->comments.end(),
                     [](const CommentRecord& r) { return r.by_account; }));
}

TEST_CASE("wordpress parse: errors, the end of a listing, REST off, guids, staff names") {
  const auto e = wordpress::parse_error(read_fixture("wordpress/error_invalid_page_number.json"));
  REQUIRE(e.has_value());
  CHECK(e->code == "rest_post_invalid_page_number");
  CHECK(
      wordpress::is_past_last_page(400, read_fixture("wordpress/error_invalid_page_number.json")));
  CHECK_FALSE(wordpress::is_past_last_page(400, read_fixture("wordpress/error_no_route.json")));
  CHECK_FALSE(
      wordpress::is_past_last_page(404, read_fixture("wordpress/error_invalid_page_number.json")));
  CHECK_FALSE(wordpress::parse_error("<html>").has_value());

  auto off = wordpress::rest_off(404, read_fixture("wordpress/error_no_route.json"));
  REQUIRE(off.has_value());
  CHECK(off->reason.find("rest_no_route") != std::string::npos);
  CHECK_FALSE(off->html_404);
  off = wordpress::rest_off(401, read_fixture("wordpress/error_not_logged_in.json"));
  REQUIRE(off.has_value());
  CHECK(off->reason == "HTTP 401 rest_not_logged_in (You are not currently logged in.)");
  off = wordpress::rest_off(200, read_fixture("wordpress/home_page.html"));
  REQUIRE(off.has_value());
  CHECK(off->reason.find("web page") != std::string::npos);
  off = wordpress::rest_off(404, read_fixture("wordpress/home_page.html"));
  REQUIRE(off.has_value());
  CHECK(off->html_404);
  CHECK_FALSE(wordpress::rest_off(200, read_fixture("wordpress/posts_page.json")).has_value());
  CHECK_FALSE(wordpress::rest_off(500, "{\"code\":\"x\"}").has_value());

  CHECK(wordpress::post_id_from_guid("https://www.musterstadt.example/?p=1203") == "1203");
  CHECK(wordpress::post_id_from_guid("http://example.org/index.php?page_id=3&p=77") == "77");
  CHECK(wordpress::post_id_from_guid("https://www.musterstadt.example/meldung/").empty());
  CHECK(wordpress::post_id_from_guid("https://x.example/?ap=12").empty());
  CHECK(wordpress::post_id_from_guid("https://x.example/?p=12a").empty());

  CHECK(wordpress::staff_names_for("Pressestelle, www.stadt.example=Rathaus Team, "
                                   "andere.example=Nein",
                                   "www.stadt.example") ==
        std::vector<std::string>{"Pressestelle", "Rathaus Team"});
  CHECK(wordpress::staff_names_for("", "x.example").empty());

  const auto paging = wordpress::parse_paging(std::string("250"), std::string(" 3"));
  CHECK(*paging.total == 250);
  CHECK(*paging.total_pages == 3);
  CHECK_FALSE(wordpress::parse_paging(std::string("-1"), std::nullopt).total.has_value());
  CHECK(wordpress::count_entries("[1,2,3]") == 3);
  CHECK(wordpress::count_entries("{}") == 0);
  auto status =
      wordpress::parse_comment_status(read_fixture("wordpress/posts_comment_status.json"));
  REQUIRE(status.ok());
  CHECK(status->at("1187") == "closed");
}

TEST_CASE("wordpress session: the first poll anchors the listing and starts backfill") {
  AccountView v = view();
  auto s = session(v, WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.rfind(std::string(kSite) + "/wp-json/wp/v2/posts?", 0) == 0);
  CHECK(has(*r.request, "per_page=100"));
  CHECK(has(*r.request, "page=1"));
  CHECK(has(*r.request, "orderby=date"));
  CHECK(has(*r.request, "_fields=id,date_gmt,"));
  CHECK(has(*r.request, "before=2024-12-06T12%3A00%3A00Z"));  // now + a day
  r = s->on_response(answer(200, posts_json(100, 500, at("2024-12-05T10:00:00Z")), "250", "3"));
  REQUIRE(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 100);
  REQUIRE(r.page->batch.snapshot.has_value());
  CHECK(*r.page->batch.snapshot->posts == 250);
  CHECK_FALSE(r.page->batch.snapshot->followers.has_value());
  CHECK(*r.page->platform_id == kSite);
  CHECK(*r.page->backfill_state == BackfillState::kPending);
  const auto c = cursor_of(r);
  CHECK(c.num("back") == 2);
  CHECK(c.num("back_pages") == 3);
  CHECK(c.num("anchor") == at("2024-12-06T12:00:00Z"));
  CHECK(c.num("head_at") == at("2024-12-05T10:00:00Z"));
  CHECK(c.str("authors") == "3");

  // A site with fewer posts than a page: history complete at once.
  auto small = session(view(), WorkKind::kPoll);
  small->start();
  r = small->on_response(answer(200, posts_json(7, 7, at("2024-12-01T10:00:00Z")), "7", "1"));
  REQUIRE(r.page.has_value());
  CHECK(*r.page->backfill_state == BackfillState::kComplete);
  CHECK(*r.page->expected_own_posts == 7);
  CHECK_FALSE(cursor_of(r).has("back"));
}

TEST_CASE("wordpress session: later polls read the newest page, then catch up from the head") {
  toolkit::CursorJson c;
  c.set("anchor", at("2024-11-01T00:00:00Z")).set("head_at", at("2024-12-01T00:00:00Z"));
  c.set("authors", "3");
  // Three new posts: one request, the head moves.
  auto s = session(view(c.dump()), WorkKind::kPoll);
  StepResult r = s->start();
  CHECK_FALSE(has(*r.request, "before="));
  CHECK_FALSE(has(*r.request, "after="));
  std::string body = posts_json(3, 903, at("2024-12-05T09:00:00Z"));
  r = s->on_response(answer(200, body, "903", "1"));
  REQUIRE(r.done);
  CHECK(r.page->batch.posts.size() == 3);
  CHECK(cursor_of(r).num("head_at") == at("2024-12-05T09:00:00Z"));
  CHECK_FALSE(r.page->backfill_state.has_value());

  // A full page of new posts: the catch-up reads from the head upwards.
  s = session(view(c.dump()), WorkKind::kPoll);
  s->start();
  r = s->on_response(answer(200, posts_json(100, 1100, at("2024-12-05T11:00:00Z")), "1100", "11"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "order=asc"));
  CHECK(has(*r.request, "after=2024-11-30T00%3A00%3A00Z"));  // the head less a day
  CHECK(r.page->batch.posts.size() == 100);
  CHECK(cursor_of(r).num("head_at") == at("2024-12-01T00:00:00Z"));  // not yet moved
  r = s->on_response(answer(200, posts_json(100, 950, at("2024-12-02T10:00:00Z"), 7), "150", "2"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "page=2"));
  CHECK(cursor_of(r).num("head_at") == at("2024-12-02T10:00:00Z"));
  CHECK(cursor_of(r).str("authors") == "3,7");
  r = s->on_response(answer(200, posts_json(50, 1050, at("2024-12-05T11:00:00Z")), "150", "2"));
  REQUIRE(r.done);
  CHECK(cursor_of(r).num("head_at") == at("2024-12-05T11:00:00Z"));

  // A page past the end is the end.
  s = session(view(c.dump()), WorkKind::kPoll);
  s->start();
  s->on_response(answer(200, posts_json(100, 1100, at("2024-12-05T11:00:00Z")), "1100", "11"));
  r = s->on_response(answer(400, read_fixture("wordpress/error_invalid_page_number.json")));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
}

TEST_CASE("wordpress session: backfill pages down to the first post, with guards") {
  toolkit::CursorJson c;
  c.set("anchor", at("2024-12-06T12:00:00Z")).set("head_at", at("2024-12-05T10:00:00Z"));
  c.set("back", int64_t{2})
      .set("back_pages", int64_t{3})
      .set("back_oldest", at("2024-12-01T07:00:00Z"));
  auto s = session(view(c.dump()), WorkKind::kBackfill);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "page=2"));
  CHECK(has(*r.request, "before=2024-12-06T12%3A00%3A00Z"));
  r = s->on_response(answer(200, posts_json(100, 400, at("2024-12-01T06:00:00Z")), "250", "3"));
  REQUIRE(r.done);
  CHECK(*r.page->backfill_state == BackfillState::kPending);
  const auto next = cursor_of(r);
  CHECK(next.num("back") == 3);
  CHECK(next.num("total") == 250);

  s = session(view(next.dump()), WorkKind::kBackfill);
  CHECK(has(*s->start().request, "page=3"));
  r = s->on_response(answer(200, posts_json(50, 300, at("2024-11-25T00:00:00Z")), "250", "3"));
  CHECK(*r.page->backfill_state == BackfillState::kComplete);
  CHECK(*r.page->expected_own_posts == 250);
  CHECK_FALSE(cursor_of(r).has("back"));

  // The page past the end: complete with the last total.
  s = session(view(next.dump()), WorkKind::kBackfill);
  s->start();
  r = s->on_response(answer(400, read_fixture("wordpress/error_invalid_page_number.json")));
  CHECK(r.failure == FailureKind::kNone);
  CHECK(*r.page->backfill_state == BackfillState::kComplete);
  CHECK(*r.page->expected_own_posts == 250);

  // A server that ignores `page`: the same newest page again stops backfill.
  s = session(view(c.dump()), WorkKind::kBackfill);
  s->start();
  r = s->on_response(answer(200, posts_json(100, 500, at("2024-12-05T10:00:00Z")), "250", "3"));
  CHECK(*r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("nothing older") != std::string::npos);

  // backfill_since reached.
  AccountView since = view(c.dump());
  since.backfill_since = at("2024-11-30T00:00:00Z");
  s = session(since, WorkKind::kBackfill);
  s->start();
  r = s->on_response(answer(200, posts_json(100, 400, at("2024-12-01T06:00:00Z")), "250", "3"));
  CHECK(*r.page->backfill_state == BackfillState::kReachedStart);

  // Nothing to do without a page to read.
  toolkit::CursorJson done;
  done.set("anchor", at("2024-12-06T12:00:00Z"));
  CHECK(session(view(done.dump()), WorkKind::kBackfill)->start().done);
}

TEST_CASE("wordpress session: refresh counts comments per post, only when read completely") {
  toolkit::CursorJson c;
  c.set("anchor", at("2024-12-06T12:00:00Z"));
  AccountView v = view(c.dump());
  v.refresh_ids = {"1203", "1187", "not-a-number"};
  auto s = session(v, WorkKind::kRefresh);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/wp-json/wp/v2/posts?include=1203,1187&"));
  r = s->on_response(answer(200, read_fixture("wordpress/posts_comment_status.json")));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/wp-json/wp/v2/comments?post=1203,1187&"));
  CHECK(has(*r.request, "_fields=id,post,status"));
  r = s->on_response(answer(200,
                            "[{\"id\":1,\"post\":1203,\"status\":\"approved\"},"
                            "{\"id\":2,\"post\":1203,\"status\":\"approved\"},"
                            "{\"id\":3,\"post\":1203,\"status\":\"hold\"}]",
                            "3", "1"));
  REQUIRE(r.done);
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->batch.posts.size() == 2);
  CHECK(r.page->batch.posts[0].counts_only);
  CHECK(*r.page->batch.posts[0].engagement.replies == 2);
  CHECK(*r.page->batch.posts[1].engagement.replies == 0);  // read completely: truly none
  CHECK_FALSE(r.page->batch.posts[0].engagement.likes.has_value());
  CHECK(r.page->batch.deleted_post_ids.empty());
  CHECK(r.page->batch.missing_post_ids.empty());
}

TEST_CASE("wordpress session: refresh deletes a post only on WordPress's own not found for it") {
  toolkit::CursorJson c;
  c.set("anchor", at("2024-12-06T12:00:00Z"));
  AccountView v = view(c.dump());
  v.refresh_ids = {"1203", "1187", "1100"};
  auto s = session(v, WorkKind::kRefresh);
  s->start();
  // The site lists 1203 only: 1187 and 1100 are suspects, checked one by one.
  StepResult r = s->on_response(answer(200, "[{\"id\":1203,\"comment_status\":\"open\"}]"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/wp-json/wp/v2/posts/1100?_fields=id"));
  r = s->on_response(answer(404,
                            "{\"code\":\"rest_post_invalid_id\",\"message\":\"Invalid post "
                            "ID.\",\"data\":{\"status\":404}}"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/wp-json/wp/v2/posts/1187?_fields=id"));
  r = s->on_response(answer(401,
                            "{\"code\":\"rest_forbidden\",\"message\":\"Sorry, you are not "
                            "allowed to do that.\",\"data\":{\"status\":401}}"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/comments?post=1203,1187&"));  // the deleted one is not counted
  r = s->on_response(answer(200, "[]", "0", "0"));
  REQUIRE(r.done);
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{"1100"});
  CHECK(r.page->batch.missing_post_ids == std::vector<std::string>{"1187"});
  CHECK(r.page->batch.posts.size() == 2);

  // None of several posts listed: a degraded answer; nothing is checked or deleted.
  s = session(v, WorkKind::kRefresh);
  s->start();
  r = s->on_response(answer(200, "[]"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/comments?post=1203,1187,1100&"));
  r = s->on_response(answer(200, "[]", "0", "0"));
  REQUIRE(r.done);
  CHECK(r.page->batch.deleted_post_ids.empty());
  CHECK(r.page->batch.missing_post_ids.size() == 3);
  CHECK(r.reason.find("degraded") != std::string::npos);
}

TEST_CASE("wordpress session: comment sweep reads every page, one sweep per item, staff marked") {
  toolkit::CursorJson c;
  c.set("anchor", at("2024-12-06T12:00:00Z")).set("authors", "3");
  AccountView v = view(c.dump());
  v.comment_ids = {"1203", "1187", "1100"};
  v.settings["staff_names"] = "www.musterstadt.example=Pressestelle";
  auto s = session(v, WorkKind::kCommentBackfill);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/posts?include=1203,1187,1100&"));
  r = s->on_response(answer(200, read_fixture("wordpress/posts_comment_status.json")));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "/comments?post=1203&per_page=100&page=1&orderby=id&order=asc"));
  r = s->on_response(answer(200, read_fixture("wordpress/comments_thread.json"), "7", "1"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "post=1187"));
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.comments.size() == 5);
  CHECK(std::count_if(r.page->batch.comments.begin(), r.page->batch.comments.end(),
                      [](const CommentRecord& x) { return x.by_account; }) == 2);
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].on_post_id == "1203");
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kComplete);
  // 1187: comments closed and none there.
  r = s->on_response(answer(200, "[]", "0", "0"));
  REQUIRE(r.request.has_value());
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kDisabled);
  // 1100: two pages, the second past the end.
  std::string page1 = "[";
  for (int i = 1; i <= 100; ++i) {
    page1 += std::string(i > 1 ? "," : "") + "{\"id\":" + std::to_string(i) +
             ",\"post\":1100,\"parent\":0,\"author\":0,\"author_name\":\"B\",\"date_gmt\":"
             "\"2024-12-01T10:00:00\",\"content\":{\"rendered\":\"x\"},\"status\":\"approved\"}";
  }
  page1 += "]";
  r = s->on_response(answer(200, page1, "100", "2"));
  REQUIRE(r.request.has_value());
  CHECK(has(*r.request, "post=1100&per_page=100&page=2"));
  CHECK(r.page->batch.comment_sweeps.empty());
  r = s->on_response(
      answer(400, "{\"code\":\"rest_comment_invalid_page_number\",\"message\":\"\"}"));
  REQUIRE(r.done);
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].on_post_id == "1100");
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kComplete);
}

TEST_CASE(
    "wordpress session: comment sweep guards (a repeated page, a protected post, other posts' "
    "comments)") {
  toolkit::CursorJson c;
  c.set("anchor", at("2024-12-06T12:00:00Z"));
  AccountView v = view(c.dump());
  v.comment_ids = {"1100", "1101"};
  auto s = session(v, WorkKind::kComments);
  s->start();
  StepResult r = s->on_response(answer(500, "x"));  // no status: nothing is called disabled
  REQUIRE(r.request.has_value());
  std::string page = "[";
  for (int i = 1; i <= 100; ++i) {
    page += std::string(i > 1 ? "," : "") + "{\"id\":" + std::to_string(i) +
            ",\"post\":" + (i == 5 ? "999" : "1100") +
            ",\"parent\":0,\"author\":0,\"author_name\":\"B\",\"date_gmt\":"
            "\"2024-12-01T10:00:00\",\"content\":{\"rendered\":\"x\"}}";
  }
  page += "]";
  r = s->on_response(answer(200, page, "1000", "10"));
  REQUIRE(r.request.has_value());
  CHECK(r.page->batch.comments.size() == 99);  // 5 belongs to another post
  CHECK(r.page->batch.skipped.size() == 1);
  r = s->on_response(answer(200, page, "1000", "10"));  // page 2 repeats page 1
  REQUIRE(r.request.has_value());
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kPartial);
  CHECK(r.page->batch.comment_sweeps[0].note.find("repeats") != std::string::npos);
  r = s->on_response(answer(401, read_fixture("wordpress/error_cannot_read_post.json")));
  REQUIRE(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page->batch.comment_sweeps.size() == 1);
  CHECK(r.page->batch.comment_sweeps[0].on_post_id == "1101");
  CHECK(r.page->batch.comment_sweeps[0].result == CommentSweepResult::kPartial);
  CHECK(r.reason.find("repeats") != std::string::npos);

  // A comment unit before the first poll, or in feed mode, does nothing.
  AccountView fresh = view();
  fresh.comment_ids = {"1"};
  CHECK(session(fresh, WorkKind::kComments)->start().done);
}

TEST_CASE("wordpress session: REST API off falls back to the feed, and back") {
  for (const auto& [status, fixture] :
       std::vector<std::pair<int, std::string>>{{404, "wordpress/error_no_route.json"},
                                                {401, "wordpress/error_not_logged_in.json"},
                                                {200, "wordpress/home_page.html"}}) {
    CAPTURE(fixture);
    auto s = session(view(), WorkKind::kPoll);
    s->start();
    StepResult r = s->on_response(answer(status, read_fixture(fixture)));
    REQUIRE(r.request.has_value());
    CHECK(r.request->url == std::string(kSite) + "/feed/");
    CHECK(r.request->conditional);
    HttpResponse feed;
    feed.status = 200;
    feed.body = read_fixture("wordpress/feed_rss2.xml");
    feed.headers.push_back({"Content-Type", "application/rss+xml; charset=UTF-8"});
    r = s->on_response(feed);
    REQUIRE(r.done);
    CHECK(r.failure == FailureKind::kNone);
    REQUIRE(r.page->batch.posts.size() == 2);
    CHECK(r.page->batch.posts[0].platform_post_id == "1203");  // the API's id, from ?p=
    CHECK(*r.page->batch.posts[0].engagement.replies == 5);    // slash:comments
    CHECK(r.page->batch.posts[0].created_at == at("2024-12-03T10:00:00Z"));
    CHECK(*r.page->backfill_state == BackfillState::kIncomplete);
    CHECK(r.page->history_note->find("REST API is off") != std::string::npos);
    CHECK(*r.page->platform_id == kSite);
    REQUIRE(r.page->batch.events.size() == 1);
    CHECK(r.page->batch.events[0].kind == "rest_api_off");
    const auto c = cursor_of(r);
    CHECK(c.str("mode") == "feed");
    CHECK_FALSE(c.has("anchor"));

    // In feed mode: backfill, refresh and comments do nothing.
    AccountView fv = view(c.dump());
    fv.comment_ids = {"1203"};
    fv.refresh_ids = {"1203"};
    CHECK(session(fv, WorkKind::kBackfill)->start().done);
    CHECK(session(fv, WorkKind::kComments)->start().done);
    CHECK(session(fv, WorkKind::kRefresh)->start().done);

    // The API answers again: read through it, backfill starts.
    auto back = session(fv, WorkKind::kPoll);
    back->start();
    r = back->on_response(
        answer(200, posts_json(100, 500, at("2024-12-05T10:00:00Z")), "250", "3"));
    REQUIRE(r.done);
    CHECK(*r.page->backfill_state == BackfillState::kPending);
    REQUIRE(r.page->batch.events.size() == 1);
    CHECK(r.page->batch.events[0].kind == "rest_api_on");
    CHECK_FALSE(cursor_of(r).has("mode"));
  }

  // No /wp-json/ path (plain permalinks): ?rest_route= once, then the feed.
  auto s = session(view(), WorkKind::kPoll);
  s->start();
  HttpResponse html404;
  html404.status = 404;
  html404.body = "<!DOCTYPE html><html><body>Seite nicht gefunden</body></html>";
  StepResult r = s->on_response(html404);
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.rfind(std::string(kSite) + "/?rest_route=/wp/v2/posts&per_page=100", 0) ==
        0);
  r = s->on_response(answer(200, posts_json(3, 3, at("2024-12-05T10:00:00Z")), "3", "1"));
  REQUIRE(r.done);
  CHECK(cursor_of(r).str("route") == "query");
  s = session(view(), WorkKind::kPoll);
  s->start();
  s->on_response(html404);
  r = s->on_response(html404);
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kSite) + "/feed/");
  r = s->on_response(html404);  // no /feed/ either: ?feed=rss2
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kSite) + "/?feed=rss2");
  r = s->on_response(html404);
  CHECK(r.failure == FailureKind::kNotFound);
  CHECK(r.reason.find("REST API is off") != std::string::npos);
}

TEST_CASE("wordpress session: answers that are not the API's shape fail without storing") {
  auto s = session(view(), WorkKind::kPoll);
  s->start();
  StepResult r = s->on_response(answer(200, "{\"posts\":[]}"));
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK_FALSE(r.page.has_value());
  s = session(view(), WorkKind::kPoll);
  s->start();
  r = s->on_response(answer(410, "{\"code\":\"gone\",\"message\":\"\"}"));
  CHECK(r.failure == FailureKind::kGone);
  s = session(view(), WorkKind::kPoll);
  s->start();
  r = s->on_response(answer(200, "[{\"id\":1,\"date_gmt\":\"9999-12-31T00:00:00\"}]", "1", "1"));
  REQUIRE(r.done);
  CHECK_FALSE(cursor_of(r).has("head_at"));  // an implausible date never becomes the head
}

TEST_CASE("conformance: the recorded WordPress responses") {
  auto dir = test::shared_samples("wordpress");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/wordpress not present");
    return;
  }
  const std::string posts_body = test::read_file((*dir / "wp_v2_posts_collection.json").string());
  auto posts = wordpress::parse_posts(posts_body);
  REQUIRE(posts.ok());
  REQUIRE(posts->posts.size() == 1);
  CHECK(posts->posts[0].platform_post_id == "4");
  CHECK(posts->posts[0].created_at == at("2017-02-14T00:00:00Z"));
  CHECK(posts->posts[0].title == "REST API Client Fixture: Post");
  CHECK(posts->posts[0].text == "Updated post content.");
  CHECK(posts->posts[0].url == "http://example.org/?p=4");
  CHECK(posts->authors.empty());  // author 0: no user
  CHECK(posts->comment_status.at("4") == "open");
  CHECK_FALSE(wordpress::rest_off(200, posts_body).has_value());

  wordpress::Staff staff;
  auto comments = wordpress::parse_comments(
      test::read_file((*dir / "wp_v2_comments_collection.json").string()), staff);
  REQUIRE(comments.ok());
  REQUIRE(comments->comments.size() == 1);
  const CommentRecord& c = comments->comments[0];
  CHECK(c.platform_comment_id == "2");
  CHECK(c.on_post_id == "4");
  CHECK(c.reply_to_comment_id.empty());
  CHECK(c.author_id == "guest:Internet of something or other");
  CHECK_FALSE(c.by_account);
  CHECK(c.text == "This is a comment");
  CHECK(c.created_at == at("2017-02-14T00:00:00Z"));

  // The users collection is no posts listing: refused, not misread.
  const std::string users = test::read_file((*dir / "wp_v2_users_collection.json").string());
  auto as_posts = wordpress::parse_posts(users);
  REQUIRE(as_posts.ok());
  CHECK(as_posts->posts.empty());
  CHECK(as_posts->skipped.size() == 2);  // no date_gmt
}
