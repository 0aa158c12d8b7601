// Mastodon: parsers over fixtures (every stored field), and the connector's
// state machine driven with fixture responses (requests, cursors, errors).
#include <doctest/doctest.h>

#include <set>
#include <tuple>

#include "connectors/mastodon/mastodon_connector.h"
#include "connectors/mastodon/mastodon_parse.h"
#include "core/json.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kOwn = "109318765432109876";
constexpr const char* kBase = "https://social.musterstadt.example";

std::vector<PostRecord> mixed_page() {
  auto posts = mastodon::parse_statuses(read_fixture("mastodon/statuses_mixed_page.json"), kOwn);
  REQUIRE(posts.ok());
  REQUIRE(posts->skipped.empty());
  return posts->posts;
}

AccountView view(std::string cursor = "", std::string platform_id = "") {
  AccountView v;
  v.account_id = 1;
  v.platform = "mastodon";
  v.handle = "rathaus@social.musterstadt.example";
  v.cursor = std::move(cursor);
  v.platform_id = std::move(platform_id);
  return v;
}

std::string cursor_field(const Page& p, const char* name) {
  REQUIRE(p.cursor.has_value());
  auto doc = parse_json(*p.cursor);
  REQUIRE(doc.ok());
  return json_string(**doc, name).value_or("");
}

}  // namespace

TEST_CASE("mastodon: parse_account reads counts, day-precision creation and the last status date") {
  auto a = mastodon::parse_account(read_fixture("mastodon/account_lookup.json"));
  REQUIRE(a.ok());
  CHECK(a->snapshot.platform_id == kOwn);
  CHECK(a->username == "rathaus");
  CHECK(a->snapshot.display_name == "Stadt Musterstadt");
  CHECK(a->snapshot.profile_url == "https://social.musterstadt.example/@rathaus");
  CHECK(a->snapshot.followers == 2841);
  CHECK(a->snapshot.following == 112);
  CHECK(a->snapshot.posts == 1204);
  CHECK(a->snapshot.created_at == at("2022-11-08T00:00:00Z"));
  CHECK(a->snapshot.created_at_day_precision);
  CHECK(a->snapshot.last_status_at == at("2026-08-01T00:00:00Z"));
  CHECK_FALSE(a->suspended);
  CHECK(a->moved_acct.empty());

  auto s = mastodon::parse_account(read_fixture("mastodon/account_suspended.json"));
  REQUIRE(s.ok());
  CHECK(s->suspended);
  CHECK(s->snapshot.followers == 0);
  CHECK_FALSE(s->snapshot.last_status_at.has_value());  // null stays unknown

  auto m = mastodon::parse_account(read_fixture("mastodon/account_moved.json"));
  REQUIRE(m.ok());
  CHECK(m->moved_acct == "stadt@bawue.example");
  CHECK(m->moved_url == "https://bawue.example/@stadt");
  CHECK(m->moved_username == "stadt");
}

TEST_CASE("mastodon: every status on a mixed page is classified, with all its fields") {
  const auto p = mixed_page();
  REQUIRE(p.size() == 8);
  std::vector<PostKind> kinds;
  for (const auto& x : p) kinds.push_back(x.kind);
  CHECK(kinds == std::vector<PostKind>{PostKind::kQuote, PostKind::kOriginal, PostKind::kReplyOther,
                                       PostKind::kReplySelf, PostKind::kOriginal, PostKind::kRepost,
                                       PostKind::kReplyUnknown, PostKind::kOriginal});

  SUBCASE("quote (Mastodon 4.4 Quote entity)") {
    const PostRecord& q = p[0];
    CHECK(q.platform_post_id == "117019685683200000");
    CHECK(q.created_at == at("2026-08-01T10:05:00Z"));
    CHECK(q.quoted_post_id == "117015891148800003");
    CHECK(q.parent_post_id == q.quoted_post_id);
    CHECK(q.parent_author_id == "109500000000000002");
    CHECK(q.parent_created_at == at("2026-07-31T18:00:00Z"));
    CHECK(q.parent_state == ParentState::kVisible);
    CHECK(q.engagement == Engagement{7, 1, 2, 0, std::nullopt});
    CHECK(q.text == "Auch der Kreistag berichtet live – schaut rein!");
  }
  SUBCASE("edited original with media and a link card") {
    const PostRecord& e = p[1];
    CHECK(e.created_at == at("2026-08-01T09:30:00.123Z"));
    CHECK(e.edited_at == at("2026-08-01T09:41:02.510Z"));
    CHECK(e.has_media);
    CHECK(e.has_link);
    CHECK(e.text ==
          "Baustelle Hauptstraße: Sperrung bis 15. August. Details: "
          "https://musterstadt.example/baustellen");
    CHECK(e.url == "https://social.musterstadt.example/@rathaus/117019548065660928");
    CHECK(e.language == "de");
    CHECK(e.engagement == Engagement{23, 4, 11, 1, std::nullopt});
    CHECK(e.parent_state == ParentState::kNone);
  }
  SUBCASE("reply to another account: parent time from the Snowflake id, no extra request") {
    const PostRecord& r = p[2];
    CHECK(r.parent_post_id == "117015144038400007");
    CHECK(r.parent_author_id == "109400000000000001");
    CHECK(r.parent_created_at == at("2026-07-31T14:50:00Z"));
    CHECK(r.parent_state == ParentState::kUnknown);
    CHECK(r.mentions == 1);
    CHECK_FALSE(r.has_link);  // a mention is not a link
    CHECK(r.text == "@buergerin Danke für den Hinweis, wir geben das an das Ordnungsamt weiter.");
  }
  SUBCASE("self-thread reply") {
    const PostRecord& r = p[3];
    CHECK(r.parent_post_id == p[4].platform_post_id);
    CHECK(r.parent_author_id == kOwn);
    CHECK(r.parent_created_at == at("2026-07-31T15:00:00Z"));
  }
  SUBCASE("hashtags and mentions are not links") {
    CHECK_FALSE(p[4].has_link);
    CHECK(p[4].mentions == 1);
  }
  SUBCASE("boost: the original's id, author and time; no engagement of its own") {
    const PostRecord& b = p[5];
    CHECK(b.platform_post_id == "117007869542400000");
    CHECK(b.created_at == at("2026-07-30T08:00:00Z"));
    CHECK(b.parent_post_id == "117004802457600002");
    CHECK(b.parent_author_id == "109500000000000002");
    CHECK(b.parent_created_at == at("2026-07-29T19:00:00Z"));
    CHECK(b.text == "Hitzewarnung für morgen: viel trinken!");
    CHECK(b.url == "https://landkreis.example/@landkreis/2");
    CHECK(b.engagement.empty());
  }
  SUBCASE("reply to an unknown account with a non-Snowflake parent id") {
    const PostRecord& r = p[6];
    CHECK(r.parent_post_id == "9YzKXq3bLmNp");
    CHECK(r.parent_author_id.empty());
    CHECK_FALSE(r.parent_created_at.has_value());
  }
  SUBCASE("HTML to plain text with entities and breaks") {
    CHECK(p[7].text ==
          "Öffnungszeiten & Termine:\nMo–Fr 8–12 Uhr\n\"Bürgerbüro\" 'Rathaus' <EG>\n\nZweiter "
          "Absatz 😀");
    CHECK(p[7].engagement.likes == 1);
  }
}

TEST_CASE("mastodon: malformed bodies are errors, a bad status is skipped, the rest kept") {
  auto t = mastodon::parse_statuses(read_fixture("mastodon/statuses_truncated.json"), kOwn);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("invalid JSON") != std::string::npos);
  auto h = mastodon::parse_statuses(read_fixture("mastodon/maintenance_page.html"), kOwn);
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().message.find("HTML or XML where JSON was expected") != std::string::npos);
  // One status without an id: reported, and the valid one beside it kept.
  auto w = mastodon::parse_statuses(read_fixture("mastodon/statuses_wrong_types.json"), kOwn);
  REQUIRE(w.ok());
  CHECK(w->posts.size() == 1);
  REQUIRE(w->skipped.size() == 1);
  CHECK(w->skipped[0].reason.find("without id") != std::string::npos);
  CHECK_FALSE(mastodon::parse_statuses("{\"error\":\"x\"}", kOwn).ok());  // object, not array
  CHECK_FALSE(mastodon::parse_account("[]").ok());
}

TEST_CASE("mastodon: Snowflake times, error texts and home instances") {
  CHECK(mastodon::snowflake_time("117020580518794573") == at("2026-08-01T13:52:34.107Z"));
  CHECK_FALSE(mastodon::snowflake_time("9YzKXq3bLmNp").has_value());  // Pleroma/Akkoma FlakeId
  CHECK_FALSE(mastodon::snowflake_time("1234").has_value());          // pre-2.0 sequential id
  CHECK_FALSE(
      mastodon::snowflake_time("117020580518794573", at("2026-08-01T12:00:00Z")).has_value());
  CHECK(mastodon::error_text(read_fixture("mastodon/error_404_record_not_found.json")) ==
        "Record not found");
  CHECK(mastodon::error_text("<html>oops</html>") == "<html>oops</html>");
  auto h = mastodon::home_of("stadtpforzheim@xn--baw-joa.social");
  REQUIRE(h.has_value());
  CHECK(h->base_url == "https://xn--baw-joa.social");
  CHECK(h->username == "stadtpforzheim");
  CHECK(mastodon::home_of("http://127.0.0.1:8080/@rathaus")->base_url == "http://127.0.0.1:8080");
}

TEST_CASE(
    "mastodon connector: first poll resolves, snapshots, stores the newest page and starts "
    "backfill") {
  auto connector = make_mastodon_connector();
  CHECK(connector->host_for(view()) == "social.musterstadt.example");
  auto s = connector->begin(view(), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/lookup?acct=rathaus");
  r = s->on_response(fixture_response(200, "mastodon/account_lookup.json"));
  REQUIRE(r.page.has_value());
  CHECK(r.page->platform_id == kOwn);
  REQUIRE(r.page->batch.snapshot.has_value());
  CHECK(r.page->batch.snapshot->handle == "rathaus@social.musterstadt.example");
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn + "/statuses?limit=40");
  r = s->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json",
                                      "mastodon/statuses_mixed_page.headers"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 8);
  CHECK(cursor_field(*r.page, "newest") == "117019685683200000");  // Link rel="prev" min_id
  CHECK(cursor_field(*r.page, "back") == "116996485939200000");    // Link rel="next" max_id
  CHECK(r.page->backfill_state == BackfillState::kPending);        // (re)opened explicitly
}

TEST_CASE(
    "mastodon connector: incremental polls ask with min_id, backfill pages with max_id to the "
    "end") {
  auto connector = make_mastodon_connector();
  const std::string cursor =
      R"({"base":"https://social.musterstadt.example","id":"109318765432109876","newest":"117019685683200000","back":"116996485939200000"})";
  auto poll = connector->begin(view(cursor, kOwn), WorkKind::kPoll);
  StepResult r = poll->start();
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn);
  r = poll->on_response(fixture_response(200, "mastodon/account_lookup.json"));
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn +
                              "/statuses?limit=40&min_id=117019685683200000");
  r = poll->on_response(fixture_response(200, "mastodon/statuses_empty.json"));
  CHECK(r.done);
  CHECK(r.page->batch.posts.empty());
  CHECK(cursor_field(*r.page, "newest") == "117019685683200000");

  auto back = connector->begin(view(cursor, kOwn), WorkKind::kBackfill);
  r = back->start();
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn +
                              "/statuses?limit=40&max_id=116996485939200000");
  // The fixture page stands for the page below a position above it.
  const std::string above =
      R"({"base":"https://social.musterstadt.example","id":"109318765432109876","newest":"117100000000000000","back":"117100000000000000"})";
  back = connector->begin(view(above, kOwn), WorkKind::kBackfill);
  (void)back->start();
  // A short page without rel="next" is the first page of the account's life.
  r = back->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json"));
  CHECK(r.done);
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(cursor_field(*r.page, "back").empty());

  // With a start date, backfill stops at the page that crosses it.
  AccountView since = view(above, kOwn);
  since.backfill_since = at("2026-07-30T00:00:00Z");
  auto limited = connector->begin(since, WorkKind::kBackfill);
  (void)limited->start();
  r = limited->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json",
                                            "mastodon/statuses_mixed_page.headers"));
  CHECK(r.page->backfill_state == BackfillState::kReachedStart);
}

namespace {

constexpr const char* kSingle = "117008813260804711";  // status_single.json
constexpr const char* kGone = "117010000000000000";

AccountView refresh_view(std::vector<std::string> ids) {
  AccountView v = view(
      R"({"base":"https://social.musterstadt.example","id":"109318765432109876","newest":"1","back":""})",
      kOwn);
  v.refresh_since = at("2026-07-25T00:00:00Z");
  v.now = at("2026-08-01T12:00:00Z");
  v.refresh_ids = std::move(ids);
  return v;
}

HttpResponse text_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE(
    "mastodon connector: a refresh re-reads the window, and a status it left out is deleted only "
    "on "
    "the instance's own 404 for it") {
  auto connector = make_mastodon_connector();
  auto s =
      connector->begin(refresh_view({"117019685683200000", "117019548065660928", kGone, kSingle}),
                       WorkKind::kRefresh);
  StepResult r = s->start();
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn + "/statuses?limit=40");
  r = s->on_response(
      fixture_response(200, "mastodon/statuses_mixed_page.json"));  // no next: the whole timeline
  // The page's counts are stored; the two statuses it left out are only suspects.
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 8);
  CHECK(r.page->batch.missing_post_ids.empty());
  CHECK(r.page->batch.deleted_post_ids.empty());
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/statuses/" + kGone);
  // The instance's own "not found" for that status (as Mastodon 4.5 answers).
  r = s->on_response(fixture_response(404, "mastodon/status_not_found_404.json"));
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{kGone});
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/statuses/" + kSingle);
  // The other one is there: stored with its current counts (restored if it
  // had been marked deleted), never deleted.
  r = s->on_response(fixture_response(200, "mastodon/status_single.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->batch.posts.size() == 1);
  CHECK(r.page->batch.posts[0].platform_post_id == kSingle);
  CHECK(r.page->batch.posts[0].engagement == Engagement{31, 2, 5, 0, std::nullopt});
  CHECK(r.page->batch.deleted_post_ids.empty());
  CHECK(r.page->batch.missing_post_ids.empty());

  // Nothing to refresh: no request at all.
  auto idle = connector->begin(view("", kOwn), WorkKind::kRefresh);
  CHECK(idle->start().done);
}

TEST_CASE("mastodon connector: any other answer about a left-out status is no evidence") {
  auto connector = make_mastodon_connector();
  const std::string other_account = [] {
    std::string body = read_fixture("mastodon/status_single.json");
    const std::string own = "\"id\": \"109318765432109876\"";
    const size_t at_own = body.find(own);
    REQUIRE(at_own != std::string::npos);
    return body.replace(at_own, own.size(), "\"id\": \"109999999999999999\"");
  }();
  const std::vector<std::pair<std::string, HttpResponse>> answers = {
      {"an HTML 404 (a proxy's page)", fixture_response(404, "mastodon/maintenance_page.html")},
      {"401 secure mode", fixture_response(401, "mastodon/error_401_secure_mode.json")},
      {"403", text_response(403, "{\"error\":\"This action is not allowed\"}")},
      {"200 with an HTML page", fixture_response(200, "mastodon/maintenance_page.html")},
      {"200 with another account's status", text_response(200, other_account)},
      {"200 with another status", fixture_response(200, "mastodon/status_single.json")},
  };
  for (const auto& [what, answer] : answers) {
    CAPTURE(what);
    auto s = connector->begin(refresh_view({"117019685683200000", kGone}), WorkKind::kRefresh);
    (void)s->start();
    StepResult r = s->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json"));
    REQUIRE(r.request.has_value());
    r = s->on_response(answer);
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNone);
    REQUIRE(r.page.has_value());
    CHECK(r.page->batch.deleted_post_ids.empty());
    CHECK(r.page->batch.posts.empty());
    CHECK(r.page->batch.missing_post_ids == std::vector<std::string>{kGone});  // noted only
  }
}

TEST_CASE("mastodon connector: at most 10 left-out statuses are checked per refresh") {
  auto connector = make_mastodon_connector();
  std::vector<std::string> ids = {"117019685683200000"};
  for (int i = 0; i < 25; ++i) ids.push_back(std::to_string(117010000000000000LL + i));
  auto s = connector->begin(refresh_view(ids), WorkKind::kRefresh);
  (void)s->start();
  StepResult r = s->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json"));
  std::set<std::string> checked;
  while (r.request.has_value()) {
    checked.insert(r.request->url.substr(r.request->url.rfind('/') + 1));
    r = s->on_response(fixture_response(404, "mastodon/status_not_found_404.json"));
  }
  CHECK(r.done);
  CHECK(checked.size() == 10);
  REQUIRE(r.page.has_value());
  // The 15 not checked are noted, not deleted.
  CHECK(r.page->batch.missing_post_ids.size() == 15);
  for (const std::string& id : r.page->batch.missing_post_ids) CHECK_FALSE(checked.count(id));
}

TEST_CASE(
    "mastodon connector: an empty refresh answer for a window with statuses is a degraded answer "
    "(regression)") {
  // Found: a timeline answered with [] while the statuses were still there.
  auto connector = make_mastodon_connector();
  auto refresh = [&](const char* probe_status, const char* probe_file) {
    auto s = connector->begin(refresh_view({kSingle, "117019685683200000"}), WorkKind::kRefresh);
    (void)s->start();
    StepResult r = s->on_response(fixture_response(200, "mastodon/statuses_empty.json"));
    REQUIRE(r.request.has_value());
    CHECK(r.request->url == std::string(kBase) + "/api/v1/statuses/" + kSingle);  // the newest
    if (r.page) {
      CHECK(r.page->batch.missing_post_ids.empty());
      CHECK(r.page->batch.deleted_post_ids.empty());
    }
    return s->on_response(fixture_response(std::stoi(probe_status), probe_file));
  };
  // The newest status is still shown: the empty answer is degraded.
  StepResult r = refresh("200", "mastodon/status_single.json");
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK(r.reason.find("the timeline came back empty for a window with 2 stored statuses") !=
        std::string::npos);
  CHECK(r.reason.find("nothing is marked deleted") != std::string::npos);
  CHECK_FALSE(r.page.has_value());
  // It cannot be told: degraded as well.
  r = refresh("200", "mastodon/maintenance_page.html");
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK_FALSE(r.page.has_value());
  // The newest is gone: the account deleted its statuses, each is checked.
  r = refresh("404", "mastodon/status_not_found_404.json");
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.deleted_post_ids == std::vector<std::string>{kSingle});
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/statuses/117019685683200000");
}

TEST_CASE(
    "mastodon connector: a refresh against a server that ignores max_id stops, suspecting "
    "nothing") {
  auto connector = make_mastodon_connector();
  auto s = connector->begin(refresh_view({"117019685683200000", kGone}), WorkKind::kRefresh);
  (void)s->start();
  StepResult r = s->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json",
                                                 "mastodon/statuses_mixed_page.headers"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url.find("&max_id=116996485939200000") != std::string::npos);
  // The same newest page again: paging on would repeat it forever.
  r = s->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json",
                                      "mastodon/statuses_mixed_page.headers"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  CHECK_FALSE(r.request.has_value());
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.missing_post_ids.empty());  // the window was not read to its end
  CHECK(r.page->batch.deleted_post_ids.empty());
}

TEST_CASE("mastodon: read_status_check over fixtures and the recorded answers") {
  using V = mastodon::StatusCheck::Verdict;
  auto shown =
      mastodon::read_status_check(200, read_fixture("mastodon/status_single.json"), kSingle, kOwn);
  REQUIRE(shown.verdict == V::kShown);
  CHECK(shown.post.created_at == at("2026-07-30T12:00:00Z"));
  CHECK(shown.post.kind == PostKind::kOriginal);
  CHECK(shown.post.engagement.likes == 31);
  CHECK(shown.post.text ==
        "Ausschreibung: Die Stadt sucht Wahlhelferinnen und Wahlhelfer für den 27. September.");
  CHECK(mastodon::read_status_check(200, read_fixture("mastodon/status_single.json"), kSingle,
                                    "109999999999999999")
            .verdict == V::kNoEvidence);
  CHECK(mastodon::read_status_check(404, read_fixture("mastodon/status_not_found_404.json"), kGone,
                                    kOwn)
            .verdict == V::kNotFound);
  CHECK(mastodon::read_status_check(404, read_fixture("mastodon/error_404_record_not_found.json"),
                                    kGone, kOwn)
            .verdict == V::kNotFound);
  CHECK(mastodon::read_status_check(410, read_fixture("mastodon/error_410_gone.json"), kGone, kOwn)
            .verdict == V::kNotFound);
  auto html =
      mastodon::read_status_check(404, read_fixture("mastodon/maintenance_page.html"), kGone, kOwn);
  CHECK(html.verdict == V::kNoEvidence);
  CHECK(html.detail.find("without the API's error body") != std::string::npos);
  CHECK(mastodon::read_status_check(429, read_fixture("mastodon/error_429.json"), kGone, kOwn)
            .verdict == V::kNoEvidence);

  auto dir = test::shared_samples("mastodon");
  if (!dir) return;
  // Recorded: GET /api/v1/statuses/0 -> 404, and GET /api/v1/statuses/:id of an edited status.
  CHECK(mastodon::read_status_check(
            404, test::read_file((*dir / "status_not_found_404.json").string()), "0", kOwn)
            .verdict == V::kNotFound);
  const std::string edited = test::read_file((*dir / "status_edited.json").string());
  auto doc = parse_json(edited);
  REQUIRE(doc.ok());
  const std::string author = json_string(*json_object(**doc, "account"), "id").value_or("");
  auto real =
      mastodon::read_status_check(200, edited, json_string(**doc, "id").value_or(""), author);
  CHECK(real.verdict == V::kShown);
  CHECK(real.post.edited_at.has_value());
}

TEST_CASE("mastodon connector: errors are classified") {
  auto connector = make_mastodon_connector();
  auto run = [&](int status, const char* file) {
    auto s = connector->begin(view(), WorkKind::kPoll);
    (void)s->start();
    return s->on_response(fixture_response(status, file));
  };
  StepResult r = run(404, "mastodon/error_404_record_not_found.json");
  CHECK(r.failure == FailureKind::kNotFound);
  CHECK(r.reason.find("Record not found") != std::string::npos);
  CHECK(run(410, "mastodon/error_410_gone.json").failure == FailureKind::kGone);
  r = run(401, "mastodon/error_401_secure_mode.json");
  CHECK(r.failure == FailureKind::kAuthRequired);
  CHECK(r.reason.find("secure") != std::string::npos);
  CHECK(run(200, "mastodon/account_suspended.json").failure == FailureKind::kSuspended);
  r = run(200, "mastodon/maintenance_page.html");
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK_FALSE(r.page.has_value());  // nothing stored from that page
  // A statuses page that breaks off mid-JSON.
  auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "mastodon/account_lookup.json"));
  r = s->on_response(fixture_response(200, "mastodon/statuses_truncated.json"));
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK_FALSE(r.page.has_value());
  auto bad = connector->begin(
      [] {
        AccountView v = view();
        v.handle = "nohost";
        return v;
      }(),
      WorkKind::kPoll);
  CHECK(bad->start().failure == FailureKind::kInvalidHandle);
}

TEST_CASE("mastodon connector: a move is followed only once the target names the old account") {
  auto connector = make_mastodon_connector();
  auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
  (void)s->start();
  StepResult r = s->on_response(fixture_response(200, "mastodon/account_moved.json"));
  // First the account lookup on the target's own host: a fixed path.
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == "https://bawue.example/api/v1/accounts/lookup?acct=stadt");
  CHECK(r.request->optional);
  CHECK_FALSE(r.page.has_value());
  // Then its actor, where the target's own instance says it is.
  r = s->on_response(fixture_response(200, "mastodon/account_moved_target.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == "https://bawue.example/users/stadt");
  CHECK(r.request->headers[0].value == "application/activity+json");
  CHECK(r.request->optional);
  CHECK_FALSE(r.page.has_value());
  r = s->on_response(fixture_response(200, "mastodon/actor_moved_target.json"));
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->batch.events.size() == 3);
  CHECK(r.page->batch.events[0].kind == "moved");
  CHECK(r.page->batch.events[0].detail ==
        "moved to stadt@bawue.example (https://bawue.example/@stadt)");
  CHECK(r.page->batch.events[1].kind == "move_verified");
  CHECK(r.page->batch.events[2].kind == "resolved");
  CHECK(r.page->platform_id == "113000000000000042");
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK(cursor_field(*r.page, "base") == "https://bawue.example");
  CHECK(r.page->batch.snapshot->handle == "stadt@bawue.example");
  CHECK(r.request->url ==
        "https://bawue.example/api/v1/accounts/113000000000000042/statuses?limit=40");

  // Not following: the move is recorded, polling stays with the old account.
  AccountView stay = view("", kOwn);
  stay.follow_moves = false;
  auto s2 = connector->begin(stay, WorkKind::kPoll);
  (void)s2->start();
  r = s2->on_response(fixture_response(200, "mastodon/account_moved.json"));
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn + "/statuses?limit=40");
  CHECK(r.page->platform_id == kOwn);
}

namespace {

// account_moved.json with `from` replaced by `to` (the move's fields).
HttpResponse moved_with(const std::string& from, const std::string& to) {
  std::string body = read_fixture("mastodon/account_moved.json");
  const size_t at_from = body.find(from);
  REQUIRE(at_from != std::string::npos);
  body.replace(at_from, from.size(), to);
  HttpResponse r;
  r.status = 200;
  r.body = body;
  return r;
}

// The old account's snapshot and statuses, and a move_unverified event.
void check_stays(const StepResult& r, const std::string& why) {
  REQUIRE(r.page.has_value());
  CHECK(r.page->platform_id == kOwn);
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/" + kOwn + "/statuses?limit=40");
  REQUIRE_FALSE(r.page->batch.events.empty());
  CHECK(r.page->batch.events.back().kind == "move_unverified");
  CHECK_MESSAGE(r.page->batch.events.back().detail.find(why) != std::string::npos,
                r.page->batch.events.back().detail);
  CHECK(cursor_field(*r.page, "base") == kBase);
  // Checked again only after a while, not on every poll.
  auto saved = parse_json(*r.page->cursor);
  REQUIRE(saved.ok());
  CHECK(json_int(**saved, "move_recheck").value_or(0) > 0);
}

}  // namespace

TEST_CASE("mastodon connector: an unverified move is an event only, polling stays put") {
  auto connector = make_mastodon_connector();
  // The lookup on the target's host fails: the actor is never asked for.
  for (const auto& [status, file, why] : std::vector<std::tuple<int, const char*, const char*>>{
           {404, "mastodon/error_404_record_not_found.json",
            "did not look the account up (HTTP 404)"},
           {200, "mastodon/maintenance_page.html", "lookup is unreadable"},
           {200, "mastodon/account_lookup.json", "answered with another account"}}) {
    CAPTURE(file);
    auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
    (void)s->start();
    StepResult r = s->on_response(fixture_response(200, "mastodon/account_moved.json"));
    REQUIRE(r.request.has_value());
    r = s->on_response(fixture_response(status, file));
    check_stays(r, why);
  }
  {
    std::string target = read_fixture("mastodon/account_moved_target.json");
    target.insert(target.rfind('}'), ",\"suspended\": true");
    auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
    (void)s->start();
    (void)s->on_response(fixture_response(200, "mastodon/account_moved.json"));
    check_stays(s->on_response(text_response(200, target)), "reports the account as suspended");
  }
  // The actor fails to confirm.
  for (const auto& [status, file, why] : std::vector<std::tuple<int, const char*, const char*>>{
           {200, "mastodon/actor_no_alias.json", "does not name this one in alsoKnownAs"},
           {401, "mastodon/error_401_secure_mode.json", "requires signed requests"},
           {200, "mastodon/maintenance_page.html", "actor document is unreadable"}}) {
    CAPTURE(file);
    auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
    (void)s->start();
    StepResult r = s->on_response(fixture_response(200, "mastodon/account_moved.json"));
    r = s->on_response(fixture_response(200, "mastodon/account_moved_target.json"));
    REQUIRE(r.request.has_value());
    r = s->on_response(fixture_response(status, file));
    check_stays(r, why);
  }
  // The target's instance names an actor on another host: never asked for.
  {
    std::string target = read_fixture("mastodon/account_moved_target.json");
    const std::string uri = "\"uri\": \"https://bawue.example/users/stadt\"";
    const size_t at_uri = target.find(uri);
    REQUIRE(at_uri != std::string::npos);
    target.replace(at_uri, uri.size(), "\"uri\": \"https://evil.example/@evil\"");
    auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
    (void)s->start();
    (void)s->on_response(fixture_response(200, "mastodon/account_moved.json"));
    StepResult r = s->on_response(text_response(200, target));
    check_stays(r, "names no actor on its own host");
  }
}

TEST_CASE(
    "mastodon connector: a move names only a host and a user, and no URL the old instance gives is "
    "requested") {
  auto connector = make_mastodon_connector();
  auto first_request = [&](const HttpResponse& moved) {
    auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
    (void)s->start();
    return s->on_response(moved);
  };
  // Found: the actor id the old instance named was fetched as such (a canary
  // got GET /@evil). Now the actor id it names is never requested.
  StepResult r = first_request(moved_with("\"uri\": \"https://bawue.example/users/stadt\"",
                                          "\"uri\": \"https://evil.example/@evil\""));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == "https://bawue.example/api/v1/accounts/lookup?acct=stadt");
  // A profile URL on another host than acct: no request at all.
  r = first_request(moved_with("\"url\": \"https://bawue.example/@stadt\"",
                               "\"url\": \"https://evil.example/@stadt\""));
  check_stays(r, "on another host than its acct");
  // A path where the profile URL should be: no request at all.
  r = first_request(moved_with("\"url\": \"https://bawue.example/@stadt\"",
                               "\"url\": \"https://bawue.example/admin/reset?x=1\""));
  check_stays(r, "unreadable");
  // A user name that is a path.
  r = first_request(
      moved_with("\"acct\": \"stadt@bawue.example\"", "\"acct\": \"../admin@bawue.example\""));
  check_stays(r, "disagree");
  // https is not downgraded to http.
  r = first_request(moved_with("\"url\": \"https://bawue.example/@stadt\"",
                               "\"url\": \"http://bawue.example/@stadt\""));
  check_stays(r, "not https");
  // A move within the instance: the lookup on the same host.
  r = first_request(moved_with("\"acct\": \"stadt@bawue.example\"", "\"acct\": \"stadt\""));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kBase) + "/api/v1/accounts/lookup?acct=stadt");
}

TEST_CASE("mastodon connector: an empty first timeline never closes the history (regression)") {
  // Found: one empty first statuses page marked backfill complete for good;
  // after three polls 40 of 200 posts were stored.
  auto connector = make_mastodon_connector();
  auto poll_once = [&](const std::string& cursor, const char* statuses, const char* headers) {
    auto s = connector->begin(view(cursor, kOwn), WorkKind::kPoll);
    (void)s->start();
    StepResult r = s->on_response(fixture_response(200, "mastodon/account_lookup.json"));
    REQUIRE(r.page.has_value());
    return s->on_response(fixture_response(200, statuses, headers ? headers : ""));
  };
  StepResult r = poll_once("", "mastodon/statuses_empty.json", nullptr);
  REQUIRE(r.done);
  CHECK(r.page->backfill_state == BackfillState::kPending);  // statuses_count is 1204
  CHECK(r.page->history_note->find("empty") != std::string::npos);
  std::string cursor = *r.page->cursor;
  r = poll_once(cursor, "mastodon/statuses_empty.json", nullptr);
  cursor = *r.page->cursor;
  r = poll_once(cursor, "mastodon/statuses_empty.json", nullptr);
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);  // said, not hidden
  cursor = *r.page->cursor;
  // A later first page with statuses reopens backfill below it.
  r = poll_once(cursor, "mastodon/statuses_mixed_page.json", "mastodon/statuses_mixed_page.headers");
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK(cursor_field(*r.page, "back") == "116996485939200000");
  CHECK(cursor_field(*r.page, "empty_polls").empty());

  // A profile that says 0 statuses: an empty timeline is the whole history.
  auto s = connector->begin(view("", kOwn), WorkKind::kPoll);
  (void)s->start();
  std::string zero = read_fixture("mastodon/account_lookup.json");
  const std::string count = "\"statuses_count\": 1204";
  const size_t c = zero.find(count);
  REQUIRE(c != std::string::npos);
  zero.replace(c, count.size(), "\"statuses_count\": 0");
  HttpResponse profile;
  profile.status = 200;
  profile.body = zero;
  (void)s->on_response(profile);
  r = s->on_response(fixture_response(200, "mastodon/statuses_empty.json"));
  CHECK(r.page->backfill_state == BackfillState::kComplete);
}

TEST_CASE("mastodon connector: backfill ends on evidence, a server ignoring max_id stops it") {
  auto connector = make_mastodon_connector();
  const std::string cursor =
      R"({"base":"https://social.musterstadt.example","id":"109318765432109876","newest":"117019685683200000","back":"116000000000000000"})";
  // One empty page is not the end; the second at the same position is.
  auto b1 = connector->begin(view(cursor, kOwn), WorkKind::kBackfill);
  (void)b1->start();
  StepResult r = b1->on_response(fixture_response(200, "mastodon/statuses_empty.json"));
  CHECK_FALSE(r.page->backfill_state.has_value());
  CHECK(cursor_field(*r.page, "back") == "116000000000000000");
  auto b2 = connector->begin(view(*r.page->cursor, kOwn), WorkKind::kBackfill);
  (void)b2->start();
  r = b2->on_response(fixture_response(200, "mastodon/statuses_empty.json"));
  CHECK(r.page->backfill_state == BackfillState::kComplete);

  // Found: a server that ignores max_id serves the same page forever.
  auto b3 = connector->begin(view(cursor, kOwn), WorkKind::kBackfill);
  (void)b3->start();
  r = b3->on_response(fixture_response(200, "mastodon/statuses_mixed_page.json",
                                       "mastodon/statuses_mixed_page.headers"));
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("ignores max_id") != std::string::npos);
  CHECK(cursor_field(*r.page, "back").empty());
}

TEST_CASE("mastodon: a bad status is skipped, its neighbours stored, dates carry their evidence") {
  // Found: one status with created_at "0000-00-00" (or missing) rejected the
  // whole page on every attempt.
  auto page = read_fixture("mastodon/statuses_mixed_page.json");
  const std::string created = "\"created_at\": \"2026-08-01T10:05:00.000Z\"";
  const size_t first = page.find(created);
  REQUIRE(first != std::string::npos);
  std::string bad = page;
  bad.replace(first, created.size(), "\"created_at\": \"0000-00-00\"");
  auto parsed = mastodon::parse_statuses(bad, kOwn);
  REQUIRE(parsed.ok());
  // The id is a Snowflake: its time stands in for the unreadable date.
  CHECK(parsed->posts.size() == 8);
  CHECK(parsed->posts[0].created_at == *parsed->posts[0].created_at_evidence);
  CHECK((parsed->posts[0].quality & kQualityDateCorrected) != 0);
  // A status whose id encodes no time and whose date is unreadable is skipped.
  std::string worse = R"([{"id":"9YzKXq3bLmNp","created_at":"0000-00-00","content":"x"},)" +
                      page.substr(1);
  parsed = mastodon::parse_statuses(worse, kOwn);
  REQUIRE(parsed.ok());
  CHECK(parsed->posts.size() == 8);
  REQUIRE(parsed->skipped.size() == 1);
  CHECK(parsed->skipped[0].id == "9YzKXq3bLmNp");
  // A lone surrogate in one status no longer rejects the page.
  std::string lone = page;
  const size_t content = lone.find("Kreistag berichtet");
  REQUIRE(content != std::string::npos);
  lone.insert(content, "\\ud800");
  parsed = mastodon::parse_statuses(lone, kOwn);
  REQUIRE(parsed.ok());
  CHECK(parsed->posts.size() == 8);
}
