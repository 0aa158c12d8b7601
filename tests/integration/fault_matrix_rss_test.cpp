// The fault matrix's RSS/Atom family: how news sites carry the generic
// faults, where feeds differ from the default (rows that cannot apply say
// why in adjust(): a feed has no cursor), and the rows only feeds can have
// (its fake: tests/support/fake_feed.h, FakeFeedSite).
// The harness, the generic rows every family gets and what is asserted for
// each row: tests/support/fault_matrix.h; the faults and what muniscope does
// with each: docs/reliability.md.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_feed.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

// Two news sites, each on its own host, each with a feed of its newest 10.
class FeedFamily final : public Family {
 public:
  FeedFamily() : Family("rss") {
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    for (int i = 0; i < 10; ++i) {
      faulty_site_.add_item("pm-" + std::to_string(100 + i), now - (10 - i) * kDayMs,
                            "Pressemitteilung " + std::to_string(i));
      healthy_site_.add_item("ev-" + std::to_string(100 + i), now - (20 - 2 * i) * kDayMs,
                             "Veranstaltung " + std::to_string(i));
    }
  }

  std::string settings_yaml() const override { return ""; }
  std::string handle(bool faulty) const override {
    return (faulty ? faulty_server_ : healthy_server_).base_url() + "/aktuelles/rss.xml";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    std::set<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.insert((faulty ? "pm-" : "ev-") + std::to_string(100 + i));
    return ids;
  }
  // Entries whose guid other entries share are keyed deeper: "guid|link=...".
  std::string world_id_of(const std::string& stored) const override {
    return stored.substr(0, stored.find('|'));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  bool item_request(const HttpRequest& r) const override { return any_request(r); }
  bool first_listing(const HttpRequest& r) const override { return any_request(r); }

  Format format() const override { return Format::kXml; }
  std::string empty_listing(std::string body) const override {
    return replace_each(body, "<item>.*</item>\n", [](const std::smatch&, int) { return ""; });
  }
  // Comment counts (the Slash module), which the fake does not send.
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    body =
        replace_all(body, "<rss version=\"2.0\">",
                    "<rss version=\"2.0\" xmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\">");
    return replace_each(body, "</item>", [&](const std::smatch&, int n) {
      return "<slash:comments>" + values[n % values.size()] + "</slash:comments></item>";
    });
  }
  std::string with_dates(std::string body, Dates d) const override {
    const char* date =
        d == Dates::kFuture ? "Fri, 31 Dec 9999 23:59:59 GMT" : "Mon, 01 Jan 0001 00:00:00 GMT";
    return replace_each(body, "<pubDate>[^<]*</pubDate>", [&](const std::smatch&, int) {
      return std::string("<pubDate>") + date + "</pubDate>";
    });
  }
  // The second entry carries the first entry's guid (a CMS bug).
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::smatch> m;
    const std::regex guid("<guid isPermaLink=\"false\">([^<]*)</guid>");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), guid);
         it != std::sregex_iterator() && m.size() < 2; ++it)
      m.push_back(*it);
    if (m.size() < 2) return body;
    body.replace(static_cast<size_t>(m[1].position(1)), m[1][1].length(), m[0][1].str());
    return body;
  }
  // Not applicable (see adjust): a feed has no cursor.
  CursorFault repeating_cursor() override { return {"", Plan{}}; }
  CursorFault circling_cursor() override { return {"", Plan{}}; }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        // The RSS connector reads one document with one request per poll and
        // follows no paging link, so there is no cursor to repeat or circle.
        // Own row instead: "a feed whose next link points back to itself".
        e.not_applicable = "a feed is one document, read with one request per poll";
        break;
      case GenericRow::kEmpty:
        // A feed shows only its newest entries: an empty one deletes nothing
        // and closes nothing (there is no history to close).
        e.states = {"ok"};
        break;
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // Finding 7: kept, dated when first seen, flagged as estimated.
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 8") == 10);
        };
        break;
      case GenericRow::kCollidingIds:
        // Finding 6: both entries kept, keyed by guid and link, and said.
        e.may_miss = 0;
        e.reason = "share";
        e.check = [](Run& run) {
          CHECK(run.stored_ids(true).size() == 10);
          CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'feed_ids_shared'") ==
                1);
        };
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  mutable FakeFeedSite faulty_site_;
  mutable FakeFeedSite healthy_site_;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_site_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return healthy_site_.handle(r); }};
};

std::vector<Case> FeedFamily::own_cases() {
  std::vector<Case> cases;
  const auto faulty = [this](const HttpRequest& r) { return any_request(r); };
  // The caveat of issue #20: an unconditional GET answered 304.
  HttpResponse not_modified;
  not_modified.status = 304;
  cases.push_back(row("304 Not Modified to a request that sent no validator",
                      answer(faulty, not_modified), {"degraded"}, "sent no validator"));
  cases.push_back(row(
      "a feed whose next link points back to itself (no cursor to follow)",
      rewrite(faulty,
              [this](std::string b) {
                b = replace_all(b, "<rss version=\"2.0\">",
                                "<rss version=\"2.0\" "
                                "xmlns:atom=\"http://www.w3.org/2005/Atom\">");
                return replace_all(
                    b, "<channel>",
                    "<channel><atom:link rel=\"next\" href=\"" + handle(true) + "\"/>");
              }),
      {"ok"}, "", [](Run& run) { CHECK(run.family.faults().hits() == 1); }, true));
  // A billion laughs (10^9 "lol" from a few hundred bytes): refused by
  // the XML reader, not expanded.
  cases.push_back(row("a DOCTYPE with a billion laughs",
                      rewrite(faulty,
                              [](std::string b) {
                                std::string doctype = "<!DOCTYPE rss [<!ENTITY l0 \"lol\">";
                                for (int i = 1; i < 10; ++i) {
                                  doctype += "<!ENTITY l" + std::to_string(i) + " \"";
                                  for (int k = 0; k < 10; ++k)
                                    doctype += "&l" + std::to_string(i - 1) + ";";
                                  doctype += "\">";
                                }
                                b.insert(b.find("<rss"), doctype + "]>");
                                return replace_all(b, "<title>Pressemitteilung 9</title>",
                                                   "<title>&l9;</title>");
                              }),
                      {"degraded"}, "entity reference loop"));
  // An external entity on another host (XXE): never fetched (the canary
  // gets no request), never expanded into what is stored.
  cases.push_back(
      row("an external entity on another host (XXE)",
          rewrite(faulty,
                  [this](std::string b) {
                    b.insert(b.find("<rss"),
                             "<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"" + canary_url() + "/xxe\">]>");
                    return replace_all(b, "<title>Pressemitteilung 9</title>",
                                       "<title>Pressemitteilung 9 &xxe;</title>");
                  }),
          {"ok", "degraded"}, "", [](Run& run) {
            CHECK(run.family.canary_requests() == 0);
            CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE text LIKE '%canary%' OR title LIKE "
                             "'%canary%'") == 0);
          }));
  cases.push_back(row(
      "UTF-8 declared as ISO-8859-1",
      rewrite(faulty,
              [](std::string b) {
                b = replace_all(b, "encoding=\"utf-8\"", "encoding=\"ISO-8859-1\"");
                return replace_all(b, "Pressemitteilung", "Bürgerbüro");
              }),
      {"ok"}, "read as UTF-8",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE text LIKE '%Bürgerbüro%' "
                         "OR title LIKE '%Bürgerbüro%'") > 0);
      },
      true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: RSS and Atom, one faulty and one healthy feed on two sites") {
  FeedFamily family;
  run_matrix(family);
}
