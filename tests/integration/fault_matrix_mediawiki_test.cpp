// The fault matrix for MediaWiki (tests/support/fault_matrix.h): a city
// wiki in site mode on one loopback server (tests/support/fake_mediawiki.h)
// with 200 days of edits, a bot among the editors and recent changes kept
// 90 days, and beside it, on another server, a municipality's user account
// on a village wiki (user mode). The generic rows in MediaWiki's terms, and
// the rows only a wiki can have: maxlag for a while and for good, a private
// wiki (readapidenied), continue values carrying foreign parameters, a
// siteinfo with absurd totals.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_mediawiki.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

bool has_param(const HttpRequest& r, const char* name) {
  return url_query_param(r.url, name).has_value();
}
bool is_list(const HttpRequest& r) {
  return url_query_param(r.url, "list").value_or("") == "recentchanges" ||
         url_query_param(r.url, "list").value_or("") == "usercontribs";
}
bool is_backfill(const HttpRequest& r) {
  return is_list(r) && has_param(r, "rccontinue") && !has_param(r, "rcstart");
}

const char* kMaxlagBody =
    R"({"error":{"code":"maxlag","info":"Waiting for 10.0.0.12: 7.5 seconds lagged.","host":"10.0.0.12","lag":7.5,"type":"db"},"servedby":"mw1"})";

class MediaWikiFamily final : public Family {
 public:
  MediaWikiFamily() : Family("mediawiki") {
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    wikis_.add_wiki("stadtwiki", "Stadtwiki Musterstadt");
    wikis_.add_wiki("dorfwiki", "Dorfwiki Musterdorf");
    wikis_.set_page_size(20);
    wikis_.add_user("stadtwiki", "Heimatfreundin", now - 400 * kDayMs);
    wikis_.add_user("stadtwiki", "Stadtverwaltung", now - 390 * kDayMs);
    wikis_.add_user("stadtwiki", "KategorieBot", now - 380 * kDayMs, true);
    wikis_.add_user("dorfwiki", "Gemeinde", now - 300 * kDayMs);
    for (int i = 0; i < 100; ++i) {
      const TimeMs t = now - 200 * kDayMs + i * 2 * kDayMs + 3 * kHourMs;
      wikis_.edit("stadtwiki", "Seite " + std::to_string(i % 30),
                  i % 2 ? "Heimatfreundin" : "Stadtverwaltung", t, 500 + i, "Änderung");
      if (i % 4 == 0)
        wikis_.edit("stadtwiki", "Seite " + std::to_string(i % 30), "KategorieBot", t + kHourMs,
                    510 + i);
      if (i < 45) wikis_.edit("dorfwiki", "Ort " + std::to_string(i % 10), "Gemeinde", t, 300 + i);
    }
  }

  std::string settings_yaml() const override { return ""; }
  std::string handle(bool faulty) const override {
    return faulty ? faulty_server_.base_url() + "/stadtwiki/"
                  : "Gemeinde@" + healthy_server_.base_url() + "/dorfwiki/";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? as_set(wikis_.recent_revisions("stadtwiki"))
                  : as_set(wikis_.contributions("dorfwiki", "Gemeinde"));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  bool item_request(const HttpRequest& r) const override { return any_request(r) && is_list(r); }
  // The newest page of recent changes: a first poll's listing.
  bool first_listing(const HttpRequest& r) const override {
    return item_request(r) && !has_param(r, "rcstart") && !has_param(r, "rccontinue");
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override {
    return R"({"batchcomplete":true,"query":{"recentchanges":[]}})";
  }
  // Edits carry no counts (see adjust).
  std::string with_counts(std::string body, const std::vector<std::string>&) const override {
    return body;
  }
  std::string with_dates(std::string body, Dates d) const override {
    const char* date = d == Dates::kFuture ? "9999-12-31T00:00:00Z" : "0001-01-01T00:00:00Z";
    return replace_each(body, "\"timestamp\":\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("\"timestamp\":\"") + date + "\"";
    });
  }
  // The second entry of the page takes the first one's revision id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::smatch> m;
    const std::regex id("\"revid\":([0-9]+)");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), id);
         it != std::sregex_iterator() && m.size() < 2; ++it)
      m.push_back(*it);
    if (m.size() < 2) return body;
    body.replace(static_cast<size_t>(m[1].position(1)), m[1][1].length(), m[0][1].str());
    return body;
  }
  CursorFault repeating_cursor() override {
    // rccontinue ignored: every backfill page is the newest page again.
    Plan p;
    p.match = [this](const HttpRequest& r) { return any_request(r) && is_backfill(r); };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = remove_query_param(remove_query_param(r.url, "rccontinue"), "continue");
      return wikis_.handle(first);
    };
    return {"the wiki ignores rccontinue", p};
  }
  CursorFault circling_cursor() override {
    // Every rccontinue after the first leads back to the page of the first.
    Plan p;
    p.match = [this](const HttpRequest& r) { return any_request(r) && is_backfill(r); };
    auto first = std::make_shared<std::string>();
    p.respond = [this, first](const HttpRequest& r, HttpResponse honest) {
      const std::string cont = url_query_param(r.url, "rccontinue").value_or("");
      if (first->empty()) *first = cont;
      if (cont == *first) return honest;
      HttpRequest back = r;
      back.url =
          replace_all(r.url, "rccontinue=" + url_encode(cont), "rccontinue=" + url_encode(*first));
      return wikis_.handle(back);
    };
    return {"page 3 leads back to page 2", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kAbsurdCounts:
      case GenericRow::kCountOverflow:
        e.not_applicable =
            "a wiki edit carries no counts (only its size change, in the text); the wiki's "
            "totals come from siteinfo (own row: absurd siteinfo totals)";
        break;
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A revision id carries no time: nothing can correct the date, so
        // the page guard skips those edits (reported), and none of them
        // moves the cursor. With the dates plausible again, the next poll
        // starts afresh and reads every one of them.
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log WHERE account_id = " +
                           std::to_string(run.account(true).id)) > 0);
        };
        break;
      case GenericRow::kCollidingIds:
        // One edit lost on every page read during the fault (the poll's and
        // two of backfill): backfill is over when the fault ends, and a
        // site's backfill is not run again.
        e.may_miss = 3;
        break;
      case GenericRow::kEmpty:
        // An empty recent-changes list: the wiki's edits are all older than
        // $wgRCMaxAge, and the history says so; the next poll asks afresh.
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kIncomplete);
        };
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

  std::atomic<int> foreign_parameters{0};

 private:
  mutable FakeMediaWiki wikis_;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    if (r.url.find("title=Hauptseite") != std::string::npos ||
        r.url.find("action=delete") != std::string::npos)
      ++foreign_parameters;
    return faults().serve(r, [&] { return wikis_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return wikis_.handle(r); }};
};

std::vector<Case> MediaWikiFamily::own_cases() {
  std::vector<Case> cases;
  const auto any = [this](const HttpRequest& r) { return any_request(r); };
  // One refusal: the unit is tried again within the run once the host's
  // hold is over (the matrix's engine tries a unit twice).
  cases.push_back(row("maxlag once (Retry-After 1): waited out, then read",
                      answer(any, json_answer(200, kMaxlagBody, {{"Retry-After", "1"}}), 1), {"ok"},
                      "", nullptr, /*converges_during_fault=*/true));
  cases.push_back(row("maxlag on every request (Retry-After 2): the host waits, no hammering",
                      answer(any, json_answer(200, kMaxlagBody, {{"Retry-After", "2"}})),
                      {"rate_limited"}, "maxlag", [](Run& run) {
                        // Each refusal holds the host for its Retry-After; a once run
                        // retries a few times, never in a tight loop.
                        CHECK(run.family.faults().hits() <= 6);
                      }));
  cases.push_back(row(
      "a private wiki (readapidenied)",
      answer(
          any,
          json_answer(
              200,
              R"({"error":{"code":"readapidenied","info":"You need read permission to use this module."}})")),
      {"auth_required"}, "readapidenied"));
  Plan foreign;
  foreign.match = [this](const HttpRequest& r) { return item_request(r); };
  foreign.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = replace_all(r.body, "\"continue\":{",
                         "\"continue\":{\"action\":\"delete\",\"title\":\"Hauptseite\",");
    return r;
  };
  cases.push_back(row(
      "continue values with foreign parameters (action=delete)", foreign, {"ok"}, "",
      [](Run& run) {
        auto& f = static_cast<MediaWikiFamily&>(run.family);
        CHECK(f.foreign_parameters.load() == 0);  // never sent back
      },
      true));
  Plan totals;
  totals.match = [this](const HttpRequest& r) {
    return any_request(r) && url_query_param(r.url, "meta").value_or("") == "siteinfo";
  };
  totals.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = replace_each(
        r.body, "\"(pages|articles|edits|users)\":[0-9]+", [](const std::smatch& m, int n) {
          const char* absurd[] = {"-5", "18446744073709551615", "1e300", "99999999999999999999"};
          return "\"" + m[1].str() + "\":" + absurd[n % 4];
        });
    return r;
  };
  cases.push_back(row(
      "absurd siteinfo totals", totals, {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM account_samples WHERE posts < 0 OR posts > "
                         "1000000000000") == 0);
        CHECK(run.scalar("SELECT COUNT(*) FROM account_counter_samples WHERE value < 0 OR "
                         "value > 1000000000000") == 0);
      },
      true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: MediaWiki, a faulty city wiki and a healthy staff account") {
  MediaWikiFamily family;
  run_matrix(family);
}
