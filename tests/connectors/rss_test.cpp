// RSS/Atom: the parser over fixtures of the three formats (every stored
// field, relative links, undated items, encodings, hostile XML), and the
// connector's conditional poll.
#include <doctest/doctest.h>

#include "connectors/rss/rss_connector.h"
#include "connectors/rss/rss_parse.h"
#include "core/model.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kFeed = "https://www.musterstadt.example/aktuelles/rss.xml";

const PostRecord* find_item(const std::vector<PostRecord>& items, const std::string& id) {
  for (const auto& p : items) {
    if (p.platform_post_id == id) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("rss: an RSS 2.0 news feed, item by item") {
  const TimeMs now = at("2026-11-30T12:00:00Z");
  auto feed = rss::parse_feed(read_fixture("rss/news_rss2.xml"), kFeed, now);
  REQUIRE(feed.ok());
  CHECK(feed->format == rss::Format::kRss2);
  CHECK(feed->snapshot.display_name == "Stadt Musterstadt – Pressemitteilungen");
  CHECK(feed->snapshot.profile_url == "https://www.musterstadt.example/aktuelles/");
  CHECK_FALSE(feed->snapshot.followers.has_value());
  REQUIRE(feed->items.size() == 4);
  REQUIRE(feed->skipped.size() == 1);  // the item without guid, link or title

  const PostRecord* closure = find_item(feed->items, "news-2291");
  REQUIRE(closure != nullptr);
  CHECK(closure->item_type == kItemArticle);
  CHECK(closure->kind == PostKind::kOriginal);
  CHECK(closure->title == "Weihnachtsmarkt: Sperrungen in der Altstadt");
  CHECK(closure->url == "https://www.musterstadt.example/aktuelles/weihnachtsmarkt-sperrungen");
  CHECK(closure->created_at == at("2026-11-30T08:00:00Z"));  // +0100
  CHECK(closure->text.find("Marktstraße") != std::string::npos);
  CHECK(closure->text.find('<') == std::string::npos);  // HTML became text
  CHECK(closure->has_link);
  CHECK(closure->has_media);  // enclosure
  CHECK((closure->quality & kQualityDateEstimated) == 0);

  // guid with whitespace around it, a relative link, content:encoded first.
  const PostRecord* budget = find_item(feed->items, "news-2288");
  REQUIRE(budget != nullptr);
  CHECK(budget->url == "https://www.musterstadt.example/aktuelles/haushalt-2027");
  CHECK(budget->title == "Gemeinderat beschließt Haushalt 2027 & Investitionsplan");
  CHECK(budget->text.find("Ratsinformationssystem") != std::string::npos);
  CHECK(budget->created_at == at("2026-11-26T18:30:00Z"));
  CHECK_FALSE(budget->has_media);

  // A date nobody can read, and no date at all: dated when first seen, flagged.
  const PostRecord* closed =
      find_item(feed->items, "https://www.musterstadt.example/aktuelles/buergerbuero-geschlossen");
  REQUIRE(closed != nullptr);
  CHECK(closed->created_at == now);
  CHECK((closed->quality & kQualityDateEstimated) != 0);
  const PostRecord* undated =
      find_item(feed->items, "https://www.musterstadt.example/aktuelles/sprechstunde");
  REQUIRE(undated != nullptr);  // no guid: keyed by its link
  CHECK(undated->created_at == now);
  CHECK((undated->quality & kQualityDateEstimated) != 0);
}

TEST_CASE("rss: an Atom feed with xml:base, HTML titles, updated-only and id-less entries") {
  auto feed = rss::parse_feed(read_fixture("rss/news_atom.xml"),
                              "https://blog.musterstadt.example/feed/atom/", 0);
  REQUIRE(feed.ok());
  CHECK(feed->format == rss::Format::kAtom);
  CHECK(feed->snapshot.display_name == "Musterstadt bloggt");
  CHECK(feed->snapshot.profile_url == "https://blog.musterstadt.example/");
  REQUIRE(feed->items.size() == 3);
  const PostRecord& first = feed->items[0];
  CHECK(first.platform_post_id == "https://blog.musterstadt.example/?p=1841");
  CHECK(first.title == "Neue Spielplätze: Ihre Meinung zählt");
  CHECK(first.url == "https://blog.musterstadt.example/2026/11/28/spielplaetze/");
  CHECK(first.created_at == at("2026-11-28T08:00:00Z"));
  CHECK(first.edited_at == at("2026-11-28T09:05:00Z"));
  CHECK(first.text.find("Jetzt mitreden") != std::string::npos);
  CHECK(first.has_link);
  const PostRecord& second = feed->items[1];
  CHECK(second.url == "https://blog.musterstadt.example/2026/10/05/tag-der-offenen-tuer/");
  CHECK(second.created_at == at("2026-10-05T16:20:00Z"));  // only <updated>
  CHECK(second.text == "Über 800 Gäste kamen ins Rathaus.");
  const PostRecord& third = feed->items[2];
  CHECK(third.platform_post_id == "https://blog.musterstadt.example/2026/09/01/ohne-id/");
}

TEST_CASE("rss: an RSS 1.0 (RDF) feed with Dublin Core dates") {
  auto feed = rss::parse_feed(read_fixture("rss/news_rss1.rdf"), kFeed, 0);
  REQUIRE(feed.ok());
  CHECK(feed->format == rss::Format::kRss1);
  CHECK(feed->snapshot.display_name == "Amtsblatt Musterstadt");
  REQUIRE(feed->items.size() == 2);
  CHECK(feed->items[0].platform_post_id == "https://www.musterstadt.example/amtsblatt/2026-47");
  CHECK(feed->items[0].created_at == at("2026-11-19T06:00:00Z"));
  CHECK(feed->items[1].created_at == at("2026-11-12T00:00:00Z"));  // a bare W3C date
  CHECK(feed->items[1].text == "Öffentliche Bekanntmachung: Wahl des Jugendgemeinderats.");
}

TEST_CASE("rss: declared encodings are honoured, pages, sitemaps, cut-off and hostile XML refused") {
  auto latin1 = rss::parse_feed(read_fixture("rss/news_latin1.xml"), kFeed, 0);
  REQUIRE(latin1.ok());
  CHECK(latin1->snapshot.display_name == "Gemeinde Mühlheim");
  REQUIRE(latin1->items.size() == 1);
  CHECK(latin1->items[0].title == "Straßensperrung Bäckerweg");
  CHECK(latin1->items[0].text == "Grüße aus dem Rathaus");

  auto html = rss::parse_feed(read_fixture("rss/not_a_feed.html"), kFeed, 0);
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().message.find("HTML page") != std::string::npos);
  auto sitemap = rss::parse_feed(read_fixture("rss/sitemap.xml"), kFeed, 0);
  REQUIRE_FALSE(sitemap.ok());
  CHECK(sitemap.error().message.find("urlset") != std::string::npos);
  CHECK_FALSE(rss::parse_feed(read_fixture("rss/truncated.xml"), kFeed, 0).ok());
  CHECK_FALSE(rss::parse_feed("", kFeed, 0).ok());
  // Entity bombs and external entities: refused, never expanded or read.
  auto bomb = rss::parse_feed(read_fixture("rss/entity_expansion.xml"), kFeed, 0);
  REQUIRE_FALSE(bomb.ok());
  CHECK(bomb.error().message.find("entit") != std::string::npos);
}

TEST_CASE("rss: feed addresses are canonical http(s) URLs, query kept") {
  CHECK(canonical_feed_url("https://www.musterstadt.example/aktuelles/rss.xml").value() == kFeed);
  CHECK(canonical_feed_url("www.musterstadt.example/aktuelles/rss.xml").value() == kFeed);
  CHECK(canonical_feed_url("https://WWW.Musterstadt.example/index.php?type=100#top").value() ==
        "https://www.musterstadt.example/index.php?type=100");
  CHECK_FALSE(canonical_feed_url("not a url").ok());
  CHECK_FALSE(canonical_feed_url("https://localhostonly/feed").ok());
}

TEST_CASE("rss connector: a conditional GET per poll: 304, errors and pages that are no feed") {
  auto connector = make_rss_connector();
  AccountView v;
  v.account_id = 3;
  v.platform = "rss";
  v.handle = kFeed;
  v.now = at("2026-11-30T12:00:00Z");
  CHECK(connector->host_for(v) == "www.musterstadt.example");
  auto s = connector->begin(v, WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == kFeed);
  CHECK(r.request->conditional);
  r = s->on_response(fixture_response(200, "rss/news_rss2.xml"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->platform_id == kFeed);
  CHECK(r.page->batch.posts.size() == 4);
  CHECK(r.page->batch.skipped.size() == 1);
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  REQUIRE(r.page->batch.snapshot.has_value());
  CHECK(r.page->batch.snapshot->platform_id == kFeed);

  auto answer = [&](int status, const std::string& file) {
    auto session = connector->begin(v, WorkKind::kPoll);
    (void)session->start();
    return session->on_response(fixture_response(status, file));
  };
  CHECK(answer(404, "rss/not_a_feed.html").failure == FailureKind::kNotFound);
  const StepResult page = answer(200, "rss/not_a_feed.html");
  CHECK(page.failure == FailureKind::kMalformed);
  CHECK(page.reason.find("HTML page") != std::string::npos);
  CHECK_FALSE(page.page.has_value());  // nothing of it is stored

  auto unchanged = connector->begin(v, WorkKind::kPoll);
  (void)unchanged->start();
  HttpResponse not_modified;
  not_modified.status = 304;
  const StepResult nm = unchanged->on_response(not_modified);
  CHECK(nm.done);
  CHECK(nm.failure == FailureKind::kNone);
  REQUIRE(nm.page.has_value());
  CHECK(nm.page->batch.posts.empty());
  // Feeds have no history to page back to.
  CHECK(connector->begin(v, WorkKind::kBackfill)->start().done);
}
