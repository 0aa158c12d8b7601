// MediaWiki: handles (site and user mode), parsers over fixtures (every
// stored field), and the connector's sessions driven with fixture responses:
// site snapshot and recent changes (continuation, bot edits apart, the
// $wgRCMaxAge cut), user contributions, maxlag, errors.
#include <doctest/doctest.h>

#include "connectors/builtin.h"
#include "connectors/mediawiki/mediawiki_connector.h"
#include "connectors/mediawiki/mediawiki_handle.h"
#include "connectors/mediawiki/mediawiki_parse.h"
#include "connectors/toolkit.h"
#include "core/platform.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kSite = "https://wiki.musterstadt.example/w/";

AccountView view(std::string handle, std::string cursor = "") {
  AccountView v;
  v.account_id = 1;
  v.platform = "mediawiki";
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

std::vector<std::string> ids_of(const std::vector<PostRecord>& posts) {
  std::vector<std::string> out;
  for (const auto& p : posts) out.push_back(p.platform_post_id);
  return out;
}

bool has(const HttpRequest& r, const std::string& part) {
  return r.url.find(part) != std::string::npos;
}

HttpResponse ok(const std::string& fixture) {
  return fixture_response(200, "mediawiki/" + fixture);
}

std::unique_ptr<ConnectorSession> session(const AccountView& v, WorkKind w) {
  return make_mediawiki_connector()->begin(v, w);
}

std::optional<int64_t> counter(const AccountSnapshot& s, const std::string& name) {
  for (const auto& c : s.counters) {
    if (c.name == name) return c.value;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("mediawiki handles: a site is its script path, a user is Name@site") {
  CHECK(*canonical_mediawiki_handle("https://wiki.example-stadt.de/w/") ==
        "https://wiki.example-stadt.de/w/");
  CHECK(*canonical_mediawiki_handle("https://Wiki.Example-Stadt.de/w") ==
        "https://wiki.example-stadt.de/w/");
  CHECK(*canonical_mediawiki_handle(" https://wiki.example-stadt.de/w/api.php?action=query ") ==
        "https://wiki.example-stadt.de/w/");
  CHECK(*canonical_mediawiki_handle("https://wiki.example-stadt.de") ==
        "https://wiki.example-stadt.de/");
  CHECK(*canonical_mediawiki_handle("http://127.0.0.1:8080/w/index.php") ==
        "http://127.0.0.1:8080/w/");
  CHECK(*canonical_mediawiki_handle("Stadtverwaltung@https://wiki.example-stadt.de/w/") ==
        "Stadtverwaltung@https://wiki.example-stadt.de/w/");
  CHECK(*canonical_mediawiki_handle("Benutzer:presse_amt@https://wiki.example-stadt.de/w") ==
        "Presse amt@https://wiki.example-stadt.de/w/");
  CHECK(*canonical_mediawiki_handle("User:Stadt Musterstadt@http://127.0.0.1:9/") ==
        "Stadt Musterstadt@http://127.0.0.1:9/");
  CHECK_FALSE(canonical_mediawiki_handle("wiki.example-stadt.de/w/").ok());  // no scheme
  CHECK_FALSE(canonical_mediawiki_handle("@https://wiki.example-stadt.de/w/").ok());
  CHECK_FALSE(canonical_mediawiki_handle("A:B@https://wiki.example-stadt.de/w/").ok());
  CHECK_FALSE(canonical_mediawiki_handle("Stadt@wiki.example-stadt.de").ok());
  CHECK_FALSE(canonical_mediawiki_handle("").ok());

  auto site = mediawiki::target_of("https://wiki.example-stadt.de/w/");
  REQUIRE(site);
  CHECK_FALSE(site->user_mode());
  CHECK(site->api_url() == "https://wiki.example-stadt.de/w/api.php");
  auto user = mediawiki::target_of("Stadtverwaltung@https://wiki.example-stadt.de/w/");
  REQUIRE(user);
  CHECK(user->user_mode());
  CHECK(user->user == "Stadtverwaltung");
  CHECK(user->script_url == "https://wiki.example-stadt.de/w/");
}

TEST_CASE("mediawiki descriptor: category wiki, registered with its connector") {
  const PlatformDescriptor d = mediawiki_platform();
  CHECK(d.id == "mediawiki");
  CHECK(d.category == Category::kWiki);
  CHECK(d.capabilities.connector);
  CHECK(d.work_spec(WorkKind::kBackfill) != nullptr);
  const ConnectorRegistry registry = builtin_connectors();
  CHECK(registry.find("mediawiki") != nullptr);
  REQUIRE(find_platform("mediawiki") != nullptr);
  CHECK(find_platform("mediawiki")->capabilities.connector);
}

TEST_CASE("mediawiki parse_siteinfo: totals, the wiki's start from its first revision") {
  auto info = mediawiki::parse_siteinfo(read_fixture("mediawiki/siteinfo.json"));
  REQUIRE(info.ok());
  const AccountSnapshot& s = info->snapshot;
  CHECK(s.platform_id == "musterstadtwiki");
  CHECK(s.display_name == "Musterstadt-Wiki");
  CHECK(s.profile_url == "https://wiki.musterstadt.example/wiki/Hauptseite");
  CHECK(s.posts == 58231);
  CHECK_FALSE(s.followers.has_value());  // a wiki has no followers: unknown, never 0
  CHECK(counter(s, "pages") == 4210);
  CHECK(counter(s, "articles") == 1312);
  CHECK(counter(s, "images") == 840);
  CHECK(counter(s, "users") == 951);
  CHECK(counter(s, "activeusers") == 23);
  CHECK(info->generator == "MediaWiki 1.39.10");
  CHECK(info->first_edit == at("2009-03-14T10:02:11Z"));
  CHECK(info->first_user == at("2009-03-14T09:58:40Z"));
  CHECK(s.created_at == at("2009-03-14T09:58:40Z"));  // the earlier of the two

  auto old = mediawiki::parse_siteinfo(read_fixture("mediawiki/siteinfo_old_wiki.json"));
  REQUIRE(old.ok());
  CHECK(old->snapshot.platform_id == "heimatwiki");
  CHECK(old->snapshot.posts == 2044);
  CHECK_FALSE(old->first_edit.has_value());
  CHECK_FALSE(old->snapshot.created_at.has_value());  // unknown, not invented

  CHECK_FALSE(mediawiki::parse_siteinfo("{\"batchcomplete\":true}").ok());
  CHECK_FALSE(mediawiki::parse_siteinfo("<html>Wartungsarbeiten</html>").ok());
}

TEST_CASE("mediawiki parse_changes: recent changes, bot edits apart, every field") {
  auto c = mediawiki::parse_changes(read_fixture("mediawiki/recentchanges_page1.json"),
                                    mediawiki::ListKind::kRecentChanges, kSite);
  REQUIRE(c.ok());
  CHECK(ids_of(c->posts) == std::vector<std::string>{"4711", "4709", "4708", "4707"});
  CHECK(c->bot_edits == 1);
  CHECK(c->seen.size() == 5);
  CHECK(c->seen[1].bot);
  REQUIRE(c->skipped.size() == 1);
  CHECK(c->skipped[0].reason == "no revision id");
  CHECK(c->continue_query == "&continue=-%7C%7C&rccontinue=20261127154210%7C9046");

  const PostRecord& edit = c->posts[0];
  CHECK(edit.item_type == std::string(kItemWikiEdit));
  CHECK(edit.title == "Rathaus");
  CHECK(edit.created_at == at("2026-11-29T09:14:03Z"));
  CHECK(edit.kind == PostKind::kOriginal);
  CHECK(edit.url == std::string(kSite) + "index.php?diff=4711");
  CHECK(edit.text == "+512 bytes by Stadtverwaltung: Öffnungszeiten ergänzt");
  CHECK(edit.engagement.empty());  // no counts on a wiki edit

  const PostRecord& created = c->posts[1];
  CHECK(created.item_type == std::string(kItemWikiPageCreated));
  CHECK(created.title == "Freibad Süd");
  CHECK(created.url == std::string(kSite) + "index.php?oldid=4709");
  CHECK(created.text ==
        "+2301 bytes by Heimatfreundin: Neue Seite: Das Freibad Süd wurde 1964 eröffnet.");

  CHECK(c->posts[2].text == "-40 bytes by 192.0.2.44");
  CHECK(c->posts[2].title == "Diskussion:Rathaus");
  CHECK(c->posts[3].text == "0 bytes by (hidden user)");

  auto last = mediawiki::parse_changes(read_fixture("mediawiki/recentchanges_page2.json"),
                                       mediawiki::ListKind::kRecentChanges, kSite);
  REQUIRE(last.ok());
  CHECK(last->continue_query.empty());
  CHECK(ids_of(last->posts) == std::vector<std::string>{"4705", "3101"});

  auto newer = mediawiki::parse_changes(read_fixture("mediawiki/recentchanges_newer.json"),
                                        mediawiki::ListKind::kRecentChanges, kSite);
  REQUIRE(newer.ok());
  CHECK(ids_of(newer->posts) == std::vector<std::string>{"4711", "4712"});  // log entry left out
  CHECK(newer->bot_edits == 1);

  // No list at all is no answer; an empty list is one.
  CHECK_FALSE(mediawiki::parse_changes("{\"batchcomplete\":true}",
                                       mediawiki::ListKind::kRecentChanges, kSite)
                  .ok());
  auto empty = mediawiki::parse_changes("{\"query\":{\"recentchanges\":[]}}",
                                        mediawiki::ListKind::kRecentChanges, kSite);
  REQUIRE(empty.ok());
  CHECK(empty->posts.empty());
}

TEST_CASE("mediawiki parse_changes: user contributions with sizediff") {
  auto c = mediawiki::parse_changes(read_fixture("mediawiki/usercontribs_page1.json"),
                                    mediawiki::ListKind::kUserContribs, kSite);
  REQUIRE(c.ok());
  CHECK(ids_of(c->posts) == std::vector<std::string>{"4711", "4401"});
  CHECK(c->posts[0].text == "+512 bytes by Stadtverwaltung: Öffnungszeiten ergänzt");
  CHECK(c->posts[1].item_type == std::string(kItemWikiPageCreated));
  CHECK(c->posts[1].title == "Bürgerbüro");
  CHECK(c->continue_query == "&continue=-%7C%7C&uccontinue=20261001090000%7C4400");
  auto last = mediawiki::parse_changes(read_fixture("mediawiki/usercontribs_page2.json"),
                                       mediawiki::ListKind::kUserContribs, kSite);
  REQUIRE(last.ok());
  REQUIRE(last->posts.size() == 1);
  CHECK(last->posts[0].text == "? bytes by Stadtverwaltung: Sitzungstermine");  // unknown size
}

TEST_CASE("mediawiki continue_query: only continuation keys go back to the server") {
  CHECK(mediawiki::continue_query({{"rccontinue", "1|2"}, {"continue", "-||"}}) ==
        "&continue=-%7C%7C&rccontinue=1%7C2");
  // A hostile server cannot add parameters of its own.
  CHECK(mediawiki::continue_query(
            {{"rccontinue", "1|2"}, {"continue", "-||"}, {"action", "delete"}, {"x&y", "1"}}) ==
        "&continue=-%7C%7C&rccontinue=1%7C2");
  CHECK(mediawiki::continue_query({{"continue", "-||"}}).empty());  // nothing to continue
  CHECK(mediawiki::continue_query({}).empty());
}

TEST_CASE("mediawiki parse_user and parse_error") {
  auto u = mediawiki::parse_user(read_fixture("mediawiki/users.json"));
  REQUIRE(u.ok());
  CHECK_FALSE(u->missing);
  CHECK(u->snapshot.platform_id == "7");
  CHECK(u->snapshot.handle == "Stadtverwaltung");
  CHECK(u->snapshot.posts == 1204);
  CHECK(u->snapshot.created_at == at("2011-05-02T08:12:44Z"));
  CHECK(u->snapshot.display_name == "Musterstadt-Wiki");
  CHECK_FALSE(u->bot);
  auto missing = mediawiki::parse_user(read_fixture("mediawiki/users_missing.json"));
  REQUIRE(missing.ok());
  CHECK(missing->missing);

  auto lag = mediawiki::parse_error(read_fixture("mediawiki/error_maxlag.json"));
  REQUIRE(lag);
  CHECK(lag->code == "maxlag");
  CHECK(lag->lag == 7.5);
  CHECK_FALSE(mediawiki::parse_error(read_fixture("mediawiki/siteinfo.json")));
  CHECK_FALSE(mediawiki::parse_error("not json"));
}

TEST_CASE("mediawiki site poll: siteinfo, the newest recent changes, backfill starts below") {
  auto s = session(view(kSite), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request);
  CHECK(has(*r.request, std::string(kSite) + "api.php?action=query&format=json&formatversion=2"));
  CHECK(has(*r.request, "&maxlag=5"));
  CHECK(has(*r.request, "meta=siteinfo&siprop=general%7Cstatistics"));
  CHECK(has(*r.request, "list=allrevisions%7Clogevents"));

  r = s->on_response(ok("siteinfo.json"));
  REQUIRE(r.request);
  REQUIRE(r.page);
  REQUIRE(r.page->batch.snapshot);
  CHECK(r.page->platform_id == "musterstadtwiki");
  CHECK(r.page->batch.snapshot->handle == kSite);
  CHECK(counter(*r.page->batch.snapshot, "bot_edits_seen") == 0);
  CHECK(cursor_of(r).num("start") == at("2009-03-14T09:58:40Z"));
  CHECK(has(*r.request, "list=recentchanges&rctype=edit%7Cnew"));
  CHECK(has(*r.request, "rcprop=title%7Ctimestamp%7Cids%7Csizes%7Cflags%7Cuser%7Ccomment"));
  CHECK(has(*r.request, "rclimit=500&rcdir=older"));
  CHECK(has(*r.request, "&maxlag=5"));
  CHECK_FALSE(has(*r.request, "rcstart"));

  r = s->on_response(ok("recentchanges_page1.json"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"4711", "4709", "4708", "4707"});
  CHECK(r.page->backfill_state == BackfillState::kPending);
  const auto c = cursor_of(r);
  CHECK(c.num("newest") == at("2026-11-29T09:14:03Z"));
  CHECK(c.num("nid") == 9051);
  CHECK(c.num("oldest") == at("2026-11-28T08:15:00Z"));
  CHECK(c.num("bots") == 1);
  CHECK(c.str("back") == "&continue=-%7C%7C&rccontinue=20261127154210%7C9046");
}

TEST_CASE("mediawiki site backfill: continuation to the end of recent changes, the cut recorded") {
  toolkit::CursorJson c;
  c.set("polled", int64_t{1}).set("newest", at("2026-11-29T09:14:03Z")).set("nid", int64_t{9051});
  c.set("oldest", at("2026-11-28T08:15:00Z")).set("oid", int64_t{9047});
  c.set("back", "&continue=-%7C%7C&rccontinue=20261127154210%7C9046");
  c.set("start", at("2009-03-14T09:58:40Z")).set("bots", int64_t{1});

  SUBCASE("the list ends months after the wiki's start: incomplete, and why") {
    auto s = session(view(kSite, c.dump()), WorkKind::kBackfill);
    StepResult r = s->start();
    REQUIRE(r.request);
    CHECK(has(*r.request, "rcdir=older&continue=-%7C%7C&rccontinue=20261127154210%7C9046"));
    r = s->on_response(ok("recentchanges_page2.json"));
    CHECK(r.done);
    REQUIRE(r.page);
    CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"4705", "3101"});
    CHECK(r.page->backfill_state == BackfillState::kIncomplete);
    REQUIRE(r.page->history_note);
    CHECK(r.page->history_note->find("reach back only to 2026-09-01") != std::string::npos);
    CHECK(r.page->history_note->find("$wgRCMaxAge") != std::string::npos);
    CHECK(r.page->history_note->find("2009-03-14") != std::string::npos);
    REQUIRE(r.page->batch.events.size() == 1);
    CHECK(r.page->batch.events[0].kind == "history_incomplete");
    CHECK(cursor_of(r).str("back").empty());
  }
  SUBCASE("the oldest change is the wiki's first revision: complete") {
    c.set("start", at("2026-09-01T07:30:00Z"));
    auto s = session(view(kSite, c.dump()), WorkKind::kBackfill);
    REQUIRE(s->start().request);
    StepResult r = s->on_response(ok("recentchanges_page2.json"));
    REQUIRE(r.page);
    CHECK(r.page->backfill_state == BackfillState::kComplete);
  }
  SUBCASE("the configured start is reached first") {
    AccountView v = view(kSite, c.dump());
    v.backfill_since = at("2026-10-01T00:00:00Z");
    auto s = session(v, WorkKind::kBackfill);
    REQUIRE(s->start().request);
    StepResult r = s->on_response(ok("recentchanges_page2.json"));
    REQUIRE(r.page);
    CHECK(r.page->backfill_state == BackfillState::kReachedStart);
  }
  SUBCASE("a server that ignores rccontinue: backfill stops as incomplete, nothing repeats") {
    c.set("oldest", at("2026-11-01T00:00:00Z"));
    auto s = session(view(kSite, c.dump()), WorkKind::kBackfill);
    REQUIRE(s->start().request);
    StepResult r = s->on_response(ok("recentchanges_page1.json"));
    REQUIRE(r.page);
    CHECK(r.page->backfill_state == BackfillState::kIncomplete);
    CHECK(r.page->batch.posts.empty());
    CHECK(cursor_of(r).str("back").empty());
  }
  SUBCASE("nothing to do once backfill is over") {
    c.set("back", "");
    auto s = session(view(kSite, c.dump()), WorkKind::kBackfill);
    StepResult r = s->start();
    CHECK(r.done);
    CHECK_FALSE(r.request);
  }
}

TEST_CASE("mediawiki site poll after the first: forward from the newest change, each once") {
  toolkit::CursorJson c;
  c.set("polled", int64_t{1}).set("newest", at("2026-11-29T09:14:03Z")).set("nid", int64_t{9051});
  c.set("oldest", at("2026-09-01T07:30:00Z")).set("oid", int64_t{7002}).set("bots", int64_t{1});
  auto s = session(view(kSite, c.dump()), WorkKind::kPoll);
  REQUIRE(s->start().request);
  StepResult r = s->on_response(ok("siteinfo.json"));
  REQUIRE(r.request);
  CHECK(counter(*r.page->batch.snapshot, "bot_edits_seen") == 1);
  CHECK(has(*r.request, "rcdir=newer&rcstart=2026-11-29T09%3A14%3A03Z"));
  r = s->on_response(ok("recentchanges_newer.json"));
  CHECK(r.done);
  REQUIRE(r.page);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"4712"});
  const auto next = cursor_of(r);
  CHECK(next.num("newest") == at("2026-11-30T08:05:00Z"));
  CHECK(next.num("nid") == 9054);
  CHECK(next.num("bots") == 2);
  CHECK(next.num("oldest") == at("2026-09-01T07:30:00Z"));  // backfill untouched
}

TEST_CASE("mediawiki site poll follows continue while reading forward") {
  toolkit::CursorJson c;
  c.set("polled", int64_t{1}).set("newest", at("2026-11-20T00:00:00Z")).set("nid", int64_t{1});
  auto s = session(view(kSite, c.dump()), WorkKind::kPoll);
  REQUIRE(s->start().request);
  StepResult r = s->on_response(ok("siteinfo.json"));
  REQUIRE(r.request);
  // page1 carries a continue: the next request keeps rcstart and adds it.
  r = s->on_response(ok("recentchanges_page1.json"));
  REQUIRE(r.request);
  CHECK(has(*r.request, "rcdir=newer&rcstart=2026-11-20T00%3A00%3A00Z"));
  CHECK(has(*r.request, "&rccontinue=20261127154210%7C9046"));
  CHECK(r.page->batch.posts.size() == 4);
  r = s->on_response(ok("recentchanges_newer.json"));
  CHECK(r.done);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"4712"});  // 4711 came already
}

TEST_CASE("mediawiki maxlag: a throttle for the host, for Retry-After seconds") {
  auto s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  StepResult r = s->on_response(
      fixture_response(200, "mediawiki/error_maxlag.json", "mediawiki/error_maxlag.headers"));
  CHECK(r.done);
  REQUIRE(r.throttle);
  CHECK(r.throttle->scope == Throttle::Scope::kHost);
  CHECK(r.throttle->wait == 5 * kSecondMs);
  CHECK(r.throttle->reason.find("maxlag") != std::string::npos);
  CHECK(r.failure == FailureKind::kNone);
  CHECK_FALSE(r.page);

  // Without Retry-After: 5 s; an absurd one is capped at 10 minutes.
  HttpResponse bare = ok("error_maxlag.json");
  s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  r = s->on_response(bare);
  REQUIRE(r.throttle);
  CHECK(r.throttle->wait == 5 * kSecondMs);
  bare.headers.push_back({"Retry-After", "99999999"});
  s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  r = s->on_response(bare);
  REQUIRE(r.throttle);
  CHECK(r.throttle->wait == 10 * kMinuteMs);
}

TEST_CASE("mediawiki errors: a private wiki, HTML, an unknown error code") {
  auto s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  StepResult r = s->on_response(ok("error_readapidenied.json"));
  CHECK(r.failure == FailureKind::kAuthRequired);

  s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  HttpResponse html;
  html.status = 200;
  html.body = "<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>";
  r = s->on_response(html);
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK_FALSE(r.page);

  s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  HttpResponse odd;
  odd.status = 200;
  odd.body = R"({"error":{"code":"badvalue","info":"Unrecognized value"}})";
  r = s->on_response(odd);
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK(r.reason.find("badvalue") != std::string::npos);

  s = session(view(kSite), WorkKind::kPoll);
  REQUIRE(s->start().request);
  HttpResponse gone;
  gone.status = 404;
  gone.body = "Not Found";
  r = s->on_response(gone);
  CHECK(r.failure == FailureKind::kNotFound);

  auto bad = session(view("not a wiki"), WorkKind::kPoll);
  CHECK(bad->start().failure == FailureKind::kInvalidHandle);
}

TEST_CASE("mediawiki user mode: the user, its contributions, backfill to the first edit") {
  const std::string handle = std::string("Stadtverwaltung@") + kSite;
  auto s = session(view(handle), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request);
  CHECK(has(*r.request, "list=users&ususers=Stadtverwaltung&usprop=editcount%7Cregistration"));
  CHECK(has(*r.request, "&maxlag=5"));
  r = s->on_response(ok("users.json"));
  REQUIRE(r.request);
  REQUIRE(r.page->batch.snapshot);
  CHECK(r.page->platform_id == "7");
  CHECK(r.page->batch.snapshot->posts == 1204);
  CHECK(r.page->batch.snapshot->profile_url ==
        std::string(kSite) + "index.php?title=Special:Contributions/Stadtverwaltung");
  CHECK(has(*r.request, "list=usercontribs&ucuser=Stadtverwaltung"));
  CHECK(has(*r.request, "ucprop=ids%7Ctitle%7Ctimestamp%7Ccomment%7Csizediff%7Cflags"));
  CHECK(has(*r.request, "uclimit=500&ucdir=older"));
  r = s->on_response(ok("usercontribs_page1.json"));
  CHECK(r.done);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"4711", "4401"});
  CHECK(r.page->backfill_state == BackfillState::kPending);
  const std::string cursor = *r.page->cursor;

  auto b = session(view(handle, cursor), WorkKind::kBackfill);
  r = b->start();
  REQUIRE(r.request);
  CHECK(has(*r.request, "ucdir=older&continue=-%7C%7C&uccontinue=20261001090000%7C4400"));
  r = b->on_response(ok("usercontribs_page2.json"));
  REQUIRE(r.page);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"120"});
  CHECK(r.page->backfill_state == BackfillState::kComplete);  // no $wgRCMaxAge cut here

  auto later = session(view(handle, cursor), WorkKind::kPoll);
  REQUIRE(later->start().request);
  r = later->on_response(ok("users.json"));
  REQUIRE(r.request);
  CHECK(has(*r.request, "ucdir=newer&ucstart=2026-11-29T09%3A14%3A03Z"));

  auto missing = session(view(std::string("Gibtesnicht@") + kSite), WorkKind::kPoll);
  REQUIRE(missing->start().request);
  r = missing->on_response(ok("users_missing.json"));
  CHECK(r.failure == FailureKind::kNotFound);
}

TEST_CASE("mediawiki: no refresh and no comment work (edits have no counts or comments)") {
  for (const WorkKind w : {WorkKind::kRefresh, WorkKind::kComments, WorkKind::kCommentBackfill}) {
    auto s = session(view(kSite), w);
    StepResult r = s->start();
    CHECK(r.done);
    CHECK_FALSE(r.request);
  }
}
