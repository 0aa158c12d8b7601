// RSS/Atom: the parser over fixtures of the three formats (every stored
// field, relative links, undated items, encodings, hostile XML), and the
// connector's conditional poll.
#include <doctest/doctest.h>

#include <set>

#include "connectors/rss/rss_connector.h"
#include "connectors/rss/rss_parse.h"
#include "core/model.h"
#include "core/strings.h"
#include "core/text_decode.h"
#include "engine/page_guard.h"
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

const PostRecord* find_titled(const std::vector<PostRecord>& items, const std::string& title) {
  for (const auto& p : items) {
    if (p.title == title) return &p;
  }
  return nullptr;
}

bool has_note(const std::vector<std::string>& notes, const std::string& piece) {
  for (const auto& n : notes) {
    if (n.find(piece) != std::string::npos) return true;
  }
  return false;
}

std::set<std::string> ids_of(const std::vector<PostRecord>& items) {
  std::set<std::string> out;
  for (const auto& p : items) out.insert(p.platform_post_id);
  return out;
}

// What the connector passes: the platform's range around `now`.
rss::FeedContext context_at(TimeMs now) {
  rss::FeedContext c;
  c.now = now;
  c.earliest = at("1990-01-01T00:00:00Z");
  c.latest = now + kMaxFutureSkew;
  return c;
}

// `body` served with a Content-Type.
HttpResponse served(const std::string& body, const std::string& content_type) {
  HttpResponse r;
  r.status = 200;
  r.body = body;
  r.headers.push_back({"Content-Type", content_type});
  return r;
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
  REQUIRE(feed->items.size() == 5);
  CHECK(feed->skipped.empty());
  // The item without guid, link or title: an id from its content, the same
  // on every read (rss_parse.h content_id).
  const PostRecord& anonymous = feed->items[4];
  CHECK(starts_with(anonymous.platform_post_id, "content:"));
  CHECK(anonymous.platform_post_id == rss::content_id("", "Fri, 20 Nov 2026 08:00:00 +0100",
                                                      "Ein Eintrag ohne Titel, Link und guid."));
  CHECK(anonymous.url.empty());

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
  CHECK(first.engagement.replies == 4);  // RFC 4685 thr:count on the "replies" link
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

TEST_CASE(
    "rss: declared encodings are honoured, pages, sitemaps, cut-off and hostile XML refused") {
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
  CHECK(r.page->batch.posts.size() == 5);  // one keyed by its content (no guid, no link)
  CHECK(r.page->batch.skipped.empty());
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

TEST_CASE("rss: 19 press releases sharing one guid are 19 entries, keyed by guid and link") {
  // A CMS that writes the site's URL as every item's guid; one release is
  // listed twice (same guid, link, title and date): that one is one entry.
  const TimeMs now = at("2026-11-30T12:00:00Z");
  const std::string guid = "https://www.musterstadt.example/";
  auto feed = rss::parse_feed(read_fixture("rss/shared_guid.xml"), kFeed, context_at(now));
  REQUIRE(feed.ok());
  REQUIRE(feed->items.size() == 20);
  const std::set<std::string> ids = ids_of(feed->items);
  CHECK(ids.size() == 19);
  for (const PostRecord& p : feed->items) {
    CHECK(p.platform_post_id == guid + "|link=" + p.url);
    CHECK((p.quality & kQualityDateEstimated) == 0);
  }
  const PostRecord* library = find_titled(feed->items, "Neue Öffnungszeiten der Stadtbibliothek");
  REQUIRE(library != nullptr);
  CHECK(library->platform_post_id ==
        guid +
            "|link=https://www.musterstadt.example/aktuelles/meldungen/"
            "oeffnungszeiten-stadtbibliothek");
  CHECK(library->created_at == at("2026-11-26T06:00:00Z"));
  const std::string said =
      "19 entries share the guid https://www.musterstadt.example/; keyed by guid and link";
  CHECK(has_note(feed->notes, said));
  REQUIRE(feed->newly_shared.size() == 1);
  CHECK(feed->newly_shared[0] == said);
  CHECK(feed->shared.depth(guid) == rss::KeyDepth::kLink);

  // Through the page guard: 19 kept, the repeat stored once.
  Page page;
  page.batch.posts = feed->items;
  const PageAudit audit = guard_page(page, at("1990-01-01T00:00:00Z"), now);
  CHECK(page.batch.posts.size() == 19);
  CHECK(audit.duplicates_merged == 1);
  CHECK(audit.skipped.empty());

  // The next poll, with the cursor's memory: the same keys, nothing new to say.
  rss::FeedContext again = context_at(now + kHourMs);
  again.shared = rss::SharedIds::parse(feed->shared.dump());
  auto second = rss::parse_feed(read_fixture("rss/shared_guid.xml"), kFeed, again);
  REQUIRE(second.ok());
  CHECK(ids_of(second->items) == ids);
  CHECK(second->newly_shared.empty());
  CHECK(has_note(second->notes, said));  // still said in the note, every poll

  // Later the feed shows one of them alone: it keeps its key (remembered),
  // instead of coming back as a new item under the bare guid.
  const std::string alone =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>PM</title>"
      "<link>https://www.musterstadt.example/</link><item><title>Neue Öffnungszeiten der "
      "Stadtbibliothek</title><link>https://www.musterstadt.example/aktuelles/meldungen/"
      "oeffnungszeiten-stadtbibliothek</link><pubDate>Thu, 26 Nov 2026 07:00:00 +0100</pubDate>"
      "<guid>https://www.musterstadt.example/</guid></item></channel></rss>";
  auto later = rss::parse_feed(alone, kFeed, again);
  REQUIRE(later.ok());
  REQUIRE(later->items.size() == 1);
  CHECK(later->items[0].platform_post_id == library->platform_post_id);
  CHECK(later->notes.empty());
  // Without that memory the lone entry is keyed by its guid, as any feed's.
  auto fresh = rss::parse_feed(alone, kFeed, context_at(now));
  REQUIRE(fresh.ok());
  CHECK(fresh->items[0].platform_post_id == guid);
}

TEST_CASE("rss: shared ids whose links collide too are keyed by date, then by title") {
  const TimeMs now = at("2026-11-30T12:00:00Z");
  auto feed = rss::parse_feed(read_fixture("rss/shared_id_atom.xml"),
                              "https://www.talheim.example/neuigkeiten/atom.xml", context_at(now));
  REQUIRE(feed.ok());
  REQUIRE(feed->items.size() == 6);
  CHECK(ids_of(feed->items).size() == 6);
  const std::string news = "tag:talheim.example,2020:neuigkeiten";
  const PostRecord* market = find_titled(feed->items, "Adventsmarkt auf dem Dorfplatz");
  REQUIRE(market != nullptr);
  CHECK(market->platform_post_id ==
        news + "|link=https://www.talheim.example/neuigkeiten|date=2026-11-20T10:00:00+01:00");
  // One id, one link, one date: only the titles differ.
  const PostRecord* road = find_titled(feed->items, "Straßensperrung Hauptstraße");
  const PostRecord* helpers = find_titled(feed->items, "Wahlhelfer gesucht");
  REQUIRE(road != nullptr);
  REQUIRE(helpers != nullptr);
  const std::string zero = "urn:uuid:00000000-0000-0000-0000-000000000000";
  CHECK(starts_with(road->platform_post_id,
                    zero + "|link=https://www.talheim.example/"
                           "bekanntmachungen|date=2026-11-10T00:00:00+01:00|title="));
  CHECK(road->platform_post_id != helpers->platform_post_id);
  const PostRecord* homepage = find_titled(feed->items, "Neue Homepage der Gemeinde");
  REQUIRE(homepage != nullptr);
  CHECK(homepage->platform_post_id == "urn:uuid:5b0c3f5e-8d0a-4c4b-9a53-3c2f6e1d7a10");
  CHECK(has_note(feed->notes, "3 entries share the id " + news + "; keyed by id, link and date"));
  CHECK(has_note(feed->notes,
                 "2 entries share the id " + zero + "; keyed by id, link, date and title"));
  CHECK(feed->shared.depth(news) == rss::KeyDepth::kLinkDate);
  CHECK(feed->shared.depth(zero) == rss::KeyDepth::kLinkDateTitle);

  // Items without a guid are keyed by their link; when links are shared too,
  // by link and date.
  const std::string no_guids =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://"
      "www.musterstadt.example/</link>"
      "<item><title>A</title><link>https://www.musterstadt.example/</link><pubDate>Mon, 30 Nov "
      "2026 09:00:00 +0100</pubDate></item>"
      "<item><title>B</title><link>https://www.musterstadt.example/</link><pubDate>Sun, 29 Nov "
      "2026 09:00:00 +0100</pubDate></item></channel></rss>";
  auto by_link = rss::parse_feed(no_guids, kFeed, context_at(now));
  REQUIRE(by_link.ok());
  REQUIRE(by_link->items.size() == 2);
  CHECK(by_link->items[0].platform_post_id ==
        "https://www.musterstadt.example/|date=Mon, 30 Nov 2026 09:00:00 +0100");
  CHECK(has_note(
      by_link->notes,
      "2 entries share the link https://www.musterstadt.example/; keyed by link and date"));

  // The memory in the cursor: written and read back; junk is ignored.
  rss::SharedIds memory = rss::SharedIds::parse(feed->shared.dump() + " 7:zz x 1:0123");
  CHECK(memory.dump() == feed->shared.dump());
  CHECK_FALSE(memory.raise(news, rss::KeyDepth::kLink));  // never less than before
  CHECK(memory.raise(news, rss::KeyDepth::kLinkDateTitle));
  for (int i = 0; i < 300; ++i) memory.raise("id-" + std::to_string(i), rss::KeyDepth::kLink);
  CHECK(rss::SharedIds::parse(memory.dump()).depth("id-299") == rss::KeyDepth::kLink);
  CHECK(rss::SharedIds::parse(memory.dump()).depth(news) == rss::KeyDepth::kId);  // forgotten
  CHECK(split(memory.dump(), ' ').size() == rss::SharedIds::kMaxRemembered);
}

TEST_CASE("rss: entries dated 9999, 0001 or 1970 are kept, dated when first seen and flagged") {
  const TimeMs now = at("2026-11-30T12:00:00Z");
  auto feed = rss::parse_feed(read_fixture("rss/implausible_dates.xml"), kFeed, context_at(now));
  REQUIRE(feed.ok());
  REQUIRE(feed->items.size() == 10);
  CHECK(feed->skipped.empty());
  for (const char* id : {"event-4711", "event-4710", "event-4709", "event-4708"}) {
    const PostRecord* p = find_item(feed->items, id);  // the key does not depend on the date
    REQUIRE_MESSAGE(p != nullptr, id);
    CHECK(p->created_at == now);
    CHECK((p->quality & kQualityDateEstimated) != 0);
  }
  // pubDate impossible, dc:date readable: the readable one counts.
  const PostRecord* reading = find_item(feed->items, "event-4707");
  REQUIRE(reading != nullptr);
  CHECK(reading->created_at == at("2026-11-25T18:00:00Z"));
  CHECK((reading->quality & kQualityDateEstimated) == 0);
  const PostRecord* concert = find_item(feed->items, "event-4706");
  REQUIRE(concert != nullptr);
  CHECK(concert->created_at == at("2026-11-24T17:00:00Z"));
  CHECK((concert->quality & kQualityDateEstimated) == 0);
  CHECK(has_note(feed->notes,
                 "4 entries dated outside the plausible range ('Fri, 31 Dec 9999 23:59:59 +0000', "
                 "'Mon, 01 Jan 0001 00:00:00 +0000', 'Thu, 01 Jan 1970 00:00:00 +0000', ...): "
                 "dated when first seen and flagged"));

  // The page guard keeps all ten (it would skip the four as they were written).
  Page page;
  page.batch.posts = feed->items;
  const PageAudit audit = guard_page(page, at("1990-01-01T00:00:00Z"), now);
  CHECK(page.batch.posts.size() == 10);
  CHECK(audit.skipped.empty());
  CHECK(audit.dates_corrected == 0);
  // The same bounds a moment past now: a date just ahead of the clock stays.
  const std::string soon =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://"
      "www.musterstadt.example/</link><item><guid>s</guid><title>Soon</title><pubDate>Mon, 30 "
      "Nov 2026 12:30:00 +0000</pubDate></item><item><guid>f</guid><title>Far</title><pubDate>"
      "Mon, 30 Nov 2026 13:30:00 +0000</pubDate></item></channel></rss>";
  auto edge = rss::parse_feed(soon, kFeed, context_at(now));
  REQUIRE(edge.ok());
  CHECK(find_item(edge->items, "s")->created_at == at("2026-11-30T12:30:00Z"));
  CHECK(find_item(edge->items, "f")->created_at == now);  // beyond the guard's hour: estimated

  // Atom: an impossible <published> gives way to a plausible <updated>.
  const std::string atom =
      "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>"
      "<entry><id>urn:x:1</id><title>A</title><published>9999-12-31T23:59:59Z</published>"
      "<updated>2026-11-02T10:00:00Z</updated></entry>"
      "<entry><id>urn:x:2</id><title>B</title><published>0001-01-01T00:00:00Z</published>"
      "</entry></feed>";
  auto a = rss::parse_feed(atom, kFeed, context_at(now));
  REQUIRE(a.ok());
  CHECK(find_item(a->items, "urn:x:1")->created_at == at("2026-11-02T10:00:00Z"));
  CHECK(find_item(a->items, "urn:x:2")->created_at == now);
  CHECK((find_item(a->items, "urn:x:2")->quality & kQualityDateEstimated) != 0);
}

TEST_CASE(
    "rss: UTF-8 declared as ISO-8859-1 is read as UTF-8 and said, real Latin-1 stays Latin-1") {
  auto moji = rss::parse_feed(read_fixture("rss/mojibake_declared_latin1.xml"), kFeed, 0);
  REQUIRE(moji.ok());
  CHECK(moji->snapshot.display_name == "Gemeinde Mühlheim – Aktuelles");
  REQUIRE(moji->items.size() == 2);
  CHECK(moji->items[0].title == "Bürgerbüro: neue Öffnungszeiten");
  CHECK(moji->items[1].text == "Wegen Kanalarbeiten – Umleitung über den Mühlweg.");
  CHECK(moji->charset_note == "declared ISO-8859-1 but is UTF-8; read as UTF-8");
  CHECK(has_note(moji->notes, moji->charset_note));

  // Real single-byte feeds: no note, read as declared.
  auto latin1 = rss::parse_feed(read_fixture("rss/news_latin1.xml"), kFeed, 0);
  REQUIRE(latin1.ok());
  CHECK(latin1->items[0].title == "Straßensperrung Bäckerweg");
  CHECK(latin1->charset_note.empty());
  CHECK(latin1->notes.empty());
  auto cp1252 = rss::parse_feed(read_fixture("rss/news_windows1252.xml"), kFeed, 0);
  REQUIRE(cp1252.ok());
  CHECK(cp1252->snapshot.display_name == "Stadt Großheim – Pressemitteilungen");
  CHECK(cp1252->items[0].title == "„Bürgerhaushalt“: 50.000 € für Ideen aus der Bürgerschaft");
  CHECK(cp1252->charset_note.empty());

  // What HTTP says, for documents that say nothing or the wrong thing.
  const std::string latin1_bytes = read_fixture("rss/news_latin1.xml");
  const std::string body = latin1_bytes.substr(latin1_bytes.find("?>") + 2);  // no declaration
  rss::FeedContext c;
  c.content_type = "application/rss+xml; charset=ISO-8859-1";
  auto by_http = rss::parse_feed(body, kFeed, c);
  REQUIRE(by_http.ok());
  CHECK(by_http->items[0].title == "Straßensperrung Bäckerweg");
  CHECK(by_http->charset_note.empty());  // RFC 7303: that is what HTTP's charset is for
  const std::string claims_utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body;
  auto corrected = rss::parse_feed(claims_utf8, kFeed, c);
  REQUIRE(corrected.ok());
  CHECK(corrected->items[0].text == "Grüße aus dem Rathaus");
  CHECK(corrected->charset_note ==
        "declared UTF-8 but is not UTF-8; read as ISO-8859-1 (the server's Content-Type)");
  // Without a charset from HTTP, bytes that contradict the declaration stay
  // an error, one that says so.
  auto refused = rss::parse_feed(claims_utf8, kFeed, 0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("declared UTF-8 but is not UTF-8 (byte 0x") !=
        std::string::npos);
  c.content_type = "text/xml; charset=\"iso-8859-1\"";
  auto moji_http = rss::parse_feed(read_fixture("rss/mojibake_declared_latin1.xml").substr(44),
                                   kFeed, c);  // no declaration
  REQUIRE(moji_http.ok());
  CHECK(moji_http->items[0].title == "Bürgerbüro: neue Öffnungszeiten");
  CHECK(moji_http->charset_note ==
        "declared iso-8859-1 (by the server) but is UTF-8; read as UTF-8");
}

TEST_CASE("text_decode: declared charsets against the bytes") {
  CHECK(is_single_byte_charset("ISO-8859-1"));
  CHECK(is_single_byte_charset("iso-8859-15"));
  CHECK(is_single_byte_charset("Windows-1252"));
  CHECK(is_single_byte_charset("latin1"));
  CHECK(is_single_byte_charset("US-ASCII"));
  CHECK_FALSE(is_single_byte_charset("UTF-8"));
  CHECK_FALSE(is_single_byte_charset("utf-16"));
  CHECK_FALSE(is_single_byte_charset("Shift_JIS"));
  CHECK_FALSE(is_single_byte_charset(""));

  CHECK(has_multibyte_utf8("B\xC3\xBCrgerb\xC3\xBCro"));  // UTF-8 "Bürgerbüro"
  CHECK_FALSE(has_multibyte_utf8("B\xFCrgerb\xFCro"));    // Latin-1 "Bürgerbüro"
  CHECK_FALSE(has_multibyte_utf8("Buergerbuero"));        // ASCII only
  CHECK_FALSE(
      has_multibyte_utf8("\x84"
                         "Zitat\x93 50 \x80"));  // windows-1252 quotes and euro

  CHECK(content_type_charset("application/rss+xml; charset=ISO-8859-1") == "ISO-8859-1");
  CHECK(content_type_charset("text/xml;CHARSET=\"utf-8\"") == "utf-8");
  CHECK(content_type_charset("application/xml") == "");

  CHECK(xml_declared_encoding("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>") ==
        "ISO-8859-1");
  CHECK(xml_declared_encoding("\xEF\xBB\xBF<?xml version='1.0' encoding = 'windows-1252' ?><a/>") ==
        "windows-1252");
  CHECK(xml_declared_encoding("<?xml version=\"1.0\"?><a encoding=\"x\"/>") == "");
  CHECK(xml_declared_encoding("<a/>") == "");

  // The fix rewrites only the declaration.
  const XmlCharsetFix fix =
      fix_xml_charset("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xC3\xBC</a>");
  REQUIRE(fix.document.has_value());
  CHECK(*fix.document == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\xC3\xBC</a>");
  CHECK(fix.note == "declared ISO-8859-1 but is UTF-8; read as UTF-8");
  CHECK_FALSE(fix_xml_charset("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xFC</a>")
                  .document.has_value());
  CHECK_FALSE(fix_xml_charset("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\xC3\xBC</a>",
                              "text/xml; charset=ISO-8859-1")
                  .document.has_value());  // the document is right: nothing to say
  const XmlCharsetFix by_http = fix_xml_charset("<a>\xFC</a>", "text/xml; charset=windows-1252");
  REQUIRE(by_http.document.has_value());
  CHECK(*by_http.document == "<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\xFC</a>");
  CHECK(by_http.note.empty());
  const XmlCharsetFix no_encoding =
      fix_xml_charset("<?xml version=\"1.0\"?><a>\xFC</a>", "text/xml; charset=latin1");
  REQUIRE(no_encoding.document.has_value());
  // WHATWG Encoding: the label latin1 is windows-1252.
  CHECK(*no_encoding.document == "<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\xFC</a>");
  CHECK(whatwg_encoding_name(" Latin1 ") == "windows-1252");
  CHECK(whatwg_encoding_name("ISO-8859-1") == "windows-1252");
  CHECK(whatwg_encoding_name("us-ascii") == "windows-1252");
  CHECK(whatwg_encoding_name("iso-8859-9") == "windows-1254");
  CHECK(whatwg_encoding_name("utf8") == "UTF-8");
  CHECK(whatwg_encoding_name("utf-16") == "UTF-16LE");
  CHECK(whatwg_encoding_name("x-nonsense") == "");
}

TEST_CASE("rss: comment counts (slash:comments) through the saturating count parser") {
  auto feed = rss::parse_feed(read_fixture("rss/slash_comments.xml"),
                              "https://blog.lindenau.example/feed/", 0);
  REQUIRE(feed.ok());
  REQUIRE(feed->items.size() == 5);
  CHECK(feed->items[0].engagement.replies == 4);
  CHECK(feed->items[1].engagement.replies == 0);  // zero, not unknown
  CHECK(feed->items[2].engagement.replies == -5);
  CHECK(feed->items[3].engagement.replies == std::numeric_limits<int64_t>::max());  // saturated
  CHECK_FALSE(feed->items[4].engagement.replies.has_value());  // "viele" is no number
  CHECK_FALSE(feed->items[0].engagement.likes.has_value());    // feeds say nothing of likes
  // The page guard stores the negative and the absurd count as unknown.
  Page page;
  page.batch.posts = feed->items;
  const PageAudit audit = guard_page(page, at("1990-01-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
  CHECK(audit.counts_rejected == 2);
  CHECK(page.batch.posts[0].engagement.replies == 4);
  CHECK_FALSE(page.batch.posts[2].engagement.replies.has_value());
  CHECK_FALSE(page.batch.posts[3].engagement.replies.has_value());
  CHECK((page.batch.posts[3].quality & kQualityCountsRejected) != 0);
}

TEST_CASE("rss connector: shared guids, implausible dates and a wrong charset are kept and said") {
  auto connector = make_rss_connector();
  AccountView v;
  v.account_id = 3;
  v.platform = "rss";
  v.handle = kFeed;
  v.now = at("2026-11-30T12:00:00Z");
  auto poll = [&](const HttpResponse& r) {
    auto s = connector->begin(v, WorkKind::kPoll);
    (void)s->start();
    return s->on_response(r);
  };
  StepResult r = poll(fixture_response(200, "rss/shared_guid.xml"));
  REQUIRE(r.page.has_value());
  CHECK(ids_of(r.page->batch.posts).size() == 19);
  REQUIRE(r.page->history_note.has_value());
  CHECK(r.page->history_note->find("This feed: 19 entries share the guid "
                                   "https://www.musterstadt.example/; keyed by guid and link") !=
        std::string::npos);
  REQUIRE(r.page->batch.events.size() == 1);
  CHECK(r.page->batch.events[0].kind == "feed_ids_shared");
  REQUIRE(r.page->cursor.has_value());
  CHECK(r.page->cursor->find("\"shared_ids\":\"1:") != std::string::npos);
  // The next poll reads the cursor: the same keys, no second event, the
  // cursor unchanged (not written again).
  v.cursor = *r.page->cursor;
  v.now += 6 * kHourMs;
  StepResult again = poll(fixture_response(200, "rss/shared_guid.xml"));
  REQUIRE(again.page.has_value());
  CHECK(ids_of(again.page->batch.posts) == ids_of(r.page->batch.posts));
  CHECK(again.page->batch.events.empty());
  CHECK_FALSE(again.page->cursor.has_value());
  // A 304 leaves the note and the cursor as they are.
  HttpResponse not_modified;
  not_modified.status = 304;
  StepResult nm = poll(not_modified);
  REQUIRE(nm.page.has_value());
  CHECK_FALSE(nm.page->history_note.has_value());
  CHECK_FALSE(nm.page->cursor.has_value());

  // Implausible dates: the connector's own bounds (1990, now + 1 h).
  v.cursor.clear();
  StepResult dated = poll(fixture_response(200, "rss/implausible_dates.xml"));
  REQUIRE(dated.page.has_value());
  CHECK(dated.page->batch.posts.size() == 10);
  const PostRecord* far = find_item(dated.page->batch.posts, "event-4711");
  REQUIRE(far != nullptr);
  CHECK(far->created_at == v.now);
  CHECK((far->quality & kQualityDateEstimated) != 0);
  CHECK(dated.page->history_note->find("4 entries dated outside the plausible range") !=
        std::string::npos);
  CHECK_FALSE(dated.page->cursor.has_value());  // nothing to remember

  // The charset: said as an event once, remembered in the cursor.
  const HttpResponse moji = served(read_fixture("rss/mojibake_declared_latin1.xml"),
                                   "application/rss+xml; charset=ISO-8859-1");
  StepResult m = poll(moji);
  REQUIRE(m.page.has_value());
  CHECK(m.page->batch.posts[0].title == "Bürgerbüro: neue Öffnungszeiten");
  REQUIRE(m.page->batch.events.size() == 1);
  CHECK(m.page->batch.events[0].kind == "feed_charset");
  CHECK(m.page->batch.events[0].detail == "declared ISO-8859-1 but is UTF-8; read as UTF-8");
  REQUIRE(m.page->cursor.has_value());
  v.cursor = *m.page->cursor;
  StepResult m2 = poll(moji);
  CHECK(m2.page->batch.events.empty());
  CHECK(m2.page->history_note->find("declared ISO-8859-1 but is UTF-8; read as UTF-8") !=
        std::string::npos);
  // Fixed at the site: the note goes, the cursor forgets.
  StepResult fixed = poll(served(read_fixture("rss/news_rss2.xml"), "application/rss+xml"));
  REQUIRE(fixed.page.has_value());
  CHECK(fixed.page->history_note->find("This feed") == std::string::npos);
  REQUIRE(fixed.page->cursor.has_value());
  CHECK(fixed.page->cursor->empty());
}

TEST_CASE("rss connector: an entry without guid and link keeps its content id across polls") {
  // Polled twice, hours apart: the same id both times (derived from title,
  // date as written and text, never from the poll), so the store keeps one
  // item.
  auto connector = make_rss_connector();
  AccountView v;
  v.account_id = 4;
  v.platform = "rss";
  v.handle = kFeed;
  v.now = at("2026-11-30T12:00:00Z");
  auto poll = [&](const std::string& fixture) {
    auto s = connector->begin(v, WorkKind::kPoll);
    (void)s->start();
    return s->on_response(fixture_response(200, fixture));
  };
  const auto content_ids = [](const std::vector<PostRecord>& posts) {
    std::set<std::string> ids;
    for (const PostRecord& p : posts)
      if (starts_with(p.platform_post_id, rss::kContentIdPrefix)) ids.insert(p.platform_post_id);
    return ids;
  };
  StepResult first = poll("rss/news_rss2.xml");
  REQUIRE(first.page.has_value());
  const std::set<std::string> ids = content_ids(first.page->batch.posts);
  CHECK(ids.size() == 1);
  v.now += 6 * kHourMs;
  StepResult second = poll("rss/news_rss2.xml");
  REQUIRE(second.page.has_value());
  CHECK(content_ids(second.page->batch.posts) == ids);
  CHECK(ids_of(second.page->batch.posts) == ids_of(first.page->batch.posts));
}
