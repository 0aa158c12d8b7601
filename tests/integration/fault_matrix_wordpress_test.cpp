// The fault matrix for WordPress (tests/support/fault_matrix.h): two sites
// on two loopback servers (tests/support/fake_wordpress.h), the faulty one
// with 260 posts over 17 months and comments on its newest post, the healthy
// one with 40. The generic rows in WordPress's terms, and the rows only a
// WordPress site can have: its REST API switched off in the three ways real
// sites do (read through the feed instead, the reason in the history note),
// no feed either, comments of other posts mixed into an answer, the
// refresh's posts-by-id answer leaving posts out, absurd
// X-WP-Total and X-WP-TotalPages headers, a page number past the end in the
// middle of the history.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_wordpress.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::string page_param(const HttpRequest& r) { return url_query_param(r.url, "page").value_or(""); }

bool is_posts(const HttpRequest& r) { return r.url.find("/wp/v2/posts") != std::string::npos; }
bool is_comments(const HttpRequest& r) {
  return r.url.find("/wp/v2/comments") != std::string::npos;
}

HttpResponse html_answer(int status) {
  HttpResponse r;
  r.status = status;
  r.body = "<!DOCTYPE html><html><body>Willkommen in Musterstadt</body></html>";
  r.headers.push_back({"Content-Type", "text/html; charset=UTF-8"});
  return r;
}

class WordPressFamily final : public Family {
 public:
  WordPressFamily() : Family("wordpress") {
    faulty_site_.set_site(faulty_server_.base_url());
    healthy_site_.set_site(healthy_server_.base_url());
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    int newest = 0;
    // 260 posts: three pages of 100, so that backfill reads pages 2 and 3.
    for (int i = 0; i < 260; ++i) {
      newest = faulty_site_.add_post(now - (260 - i) * 2 * kDayMs - 3 * kHourMs, i % 2 ? 2 : 3);
      if (i < 40) healthy_site_.add_post(now - (40 - i) * 5 * kDayMs, 1);
    }
    const int q = faulty_site_.add_comment(newest, now - kDayMs, 0, "Erika Mustermann");
    const int f = faulty_site_.add_comment(newest, now - kDayMs + kHourMs, 0, "Max Muster", q);
    faulty_site_.add_comment(newest, now - 20 * kHourMs, 3, "Stadt", f);
  }

  std::string settings_yaml() const override { return ""; }
  std::string handle(bool faulty) const override {
    return (faulty ? faulty_server_ : healthy_server_).base_url();
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return as_set((faulty ? faulty_site_ : healthy_site_).post_ids());
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  // The posts listings (the feed is the fallback, faulted by own rows).
  bool item_request(const HttpRequest& r) const override { return any_request(r) && is_posts(r); }
  // The newest page: a poll's first request (no after, no include).
  bool first_listing(const HttpRequest& r) const override {
    return item_request(r) && page_param(r) == "1" && !url_query_param(r.url, "after") &&
           !url_query_param(r.url, "include");
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override { return "[]"; }
  // WordPress lists no counts with posts (see adjust).
  std::string with_counts(std::string body, const std::vector<std::string>&) const override {
    return body;
  }
  std::string with_dates(std::string body, Dates d) const override {
    const char* date = d == Dates::kFuture ? "9999-12-31T00:00:00" : "0001-01-01T00:00:00";
    return replace_each(body, "\"date_gmt\":\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("\"date_gmt\":\"") + date + "\"";
    });
  }
  // The second post of the page takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::smatch> m;
    const std::regex id("\\{\"id\":([0-9]+)");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), id);
         it != std::sregex_iterator() && m.size() < 2; ++it)
      m.push_back(*it);
    if (m.size() < 2) return body;
    body.replace(static_cast<size_t>(m[1].position(1)), m[1][1].length(), m[0][1].str());
    return body;
  }
  CursorFault repeating_cursor() override {
    // `page` ignored: every page is the first page.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && !page_param(r).empty() && page_param(r) != "1";
    };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = replace_all(r.url, "page=" + page_param(r), "page=1");
      return faulty_site_.handle(first);
    };
    return {"the server ignores page", p};
  }
  CursorFault circling_cursor() override {
    // Every page after the second leads back to the second.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      const auto n = parse_int64(page_param(r));
      return item_request(r) && n && *n > 2;
    };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest back = r;
      back.url = replace_all(r.url, "page=" + page_param(r), "page=2");
      return faulty_site_.handle(back);
    };
    return {"page 3 leads back to page 2", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kEmpty:
        // An empty first listing that contradicts its own X-WP-Total closes
        // nothing: the next poll is a first poll again.
        e.reason = "came back empty";
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kPending);
        };
        break;
      case GenericRow::kHtml:
        // A web page where the posts belong is how sites hide their REST
        // API: the feed is read instead, and the note says why.
        e.states = {"ok"};
        e.reason = "REST API is off (HTTP 200 with a web page";
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kIncomplete);
          CHECK(run.stored_ids(true).size() == 10);  // the feed's newest 10
          CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'rest_api_off'") == 1);
        };
        break;
      case GenericRow::kCollidingIds:
        // Every page of the fault loses the post whose id was taken: the
        // newest page is read again by the next poll, the two backfill pages
        // are not, and the history says it is short (X-WP-Total).
        e.may_miss = 2;
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kIncomplete);
        };
        break;
      case GenericRow::kAbsurdCounts:
      case GenericRow::kCountOverflow:
        e.not_applicable =
            "WordPress lists no counts with posts; comment counts are counted from the comments "
            "listing, never read as a number (own row: absurd X-WP-Total and X-WP-TotalPages)";
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  mutable FakeWordPress faulty_site_;
  mutable FakeWordPress healthy_site_;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_site_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return healthy_site_.handle(r); }};
};

std::vector<Case> WordPressFamily::own_cases() {
  std::vector<Case> cases;
  const auto api = [this](const HttpRequest& r) {
    return any_request(r) && (is_posts(r) || is_comments(r));
  };
  const auto read_by_feed = [](Run& run) {
    CHECK(run.account(true).backfill_state == BackfillState::kIncomplete);
    CHECK(run.stored_ids(true).size() == 10);
  };
  cases.push_back(row("REST API routes removed (404 rest_no_route): the feed is read",
                      answer(api, json_answer(404,
                                              "{\"code\":\"rest_no_route\",\"message\":\"No "
                                              "route was found matching the URL and request "
                                              "method.\",\"data\":{\"status\":404}}")),
                      {"ok"}, "REST API is off (HTTP 404 rest_no_route", read_by_feed));
  cases.push_back(row("REST API behind a login (401 rest_not_logged_in): the feed is read",
                      answer(api, json_answer(401,
                                              "{\"code\":\"rest_not_logged_in\",\"message\":"
                                              "\"You are not currently logged in.\","
                                              "\"data\":{\"status\":401}}")),
                      {"ok"}, "REST API is off (HTTP 401 rest_not_logged_in", read_by_feed));
  cases.push_back(row("REST API refused without JSON (403 web page): the feed is read",
                      answer(api, html_answer(403)), {"ok"}, "REST API is off (HTTP 403",
                      read_by_feed));
  cases.push_back(
      row("REST API off and no feed either",
          answer([this](const HttpRequest& r) { return any_request(r); }, html_answer(404)),
          {"backing_off", "not_found"}, "REST API is off"));
  Plan foreign;
  foreign.match = [this](const HttpRequest& r) { return any_request(r) && is_comments(r); };
  foreign.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = replace_each(r.body, "\"post\":[0-9]+",
                          [](const std::smatch&, int) { return std::string("\"post\":4711"); });
    return r;
  };
  cases.push_back(row(
      "comments of another post in a post's comments", foreign, {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM comments") == 0);
        CHECK(run.scalar("SELECT COUNT(*) FROM comments WHERE on_post_id = '4711'") == 0);
      },
      true));
  // The refresh's posts-by-id answer leaves posts out: one of them (the
  // newest), or all of them. Each left out is checked by itself, and the
  // site's own answer for it shows it: nothing is marked deleted.
  Plan left_out;
  left_out.match = [this](const HttpRequest& r) {
    return item_request(r) && url_query_param(r.url, "include").has_value();
  };
  auto calls = std::make_shared<std::atomic<int>>(0);
  left_out.respond = [calls](const HttpRequest&, HttpResponse r) {
    if ((*calls)++ % 2 == 1) {
      r.body = "[]";
    } else {
      const size_t second = r.body.find("},{");
      if (second != std::string::npos) r.body = "[" + r.body.substr(second + 2);
    }
    return r;
  };
  cases.push_back(row(
      "the refresh's posts-by-id answer leaves posts out", left_out, {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
      },
      true));
  Plan headers;
  headers.match = [this](const HttpRequest& r) { return item_request(r); };
  auto n = std::make_shared<std::atomic<int>>(0);
  headers.respond = [n](const HttpRequest&, HttpResponse r) {
    const char* absurd[] = {"18446744073709551615", "-5", "1e300", "99999999999999999999",
                            "1000000000000000"};
    for (HttpHeader& h : r.headers) {
      if (iequals(h.name, "X-WP-Total") || iequals(h.name, "X-WP-TotalPages"))
        h.value = absurd[(*n)++ % 5];
    }
    return r;
  };
  cases.push_back(row(
      "absurd X-WP-Total and X-WP-TotalPages", headers, {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM account_samples WHERE posts < 0 OR posts > "
                         "1000000000000") == 0);
      },
      true));
  Plan early_end;
  early_end.match = [this](const HttpRequest& r) {
    return item_request(r) && page_param(r) == "2";
  };
  early_end.respond = [](const HttpRequest&, HttpResponse) {
    return json_answer(400,
                       "{\"code\":\"rest_post_invalid_page_number\",\"message\":\"The page number "
                       "requested is larger than the number of pages available.\",\"data\":"
                       "{\"status\":400}}");
  };
  // The end of the listing on page 2 of 3 although X-WP-Total said 260:
  // backfill ends there and the store records the history as incomplete
  // (fewer stored than the site said).
  cases.push_back(row(
      "a page past the end in the middle of the history", early_end, {"ok"}, "",
      [](Run& run) { CHECK(run.account(true).backfill_state == BackfillState::kIncomplete); },
      false, kHistoryStopped));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: WordPress, one faulty and one healthy site") {
  WordPressFamily family;
  run_matrix(family);
}
