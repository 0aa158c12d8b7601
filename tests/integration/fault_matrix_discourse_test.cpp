// The fault matrix's Discourse family: how a Discourse forum carries the
// generic faults, where Discourse's outcome differs from the default, and
// the rows only Discourse can have (its fake: tests/support/fake_discourse.h).
// The harness, the generic rows every family gets and what is asserted for
// each row: tests/support/fault_matrix.h; the faults and what muniscope does
// with each: docs/reliability.md.
#include <doctest/doctest.h>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_discourse.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

const char* json_date(Dates d) {
  return d == Dates::kFuture ? "9999-12-31T00:00:00.000Z" : "0001-01-01T00:00:00.000Z";
}

int64_t page_of(const HttpRequest& r) {
  return parse_int64(url_query_param(r.url, "page").value_or("0")).value_or(0);
}

// Two forums: the faulty one read as a whole (100 topics: three backfill
// pages below the first), the healthy one as a category of another host.
class DiscourseFamily final : public Family {
 public:
  DiscourseFamily() : Family("discourse") {
    faulty_.set_base_url(faulty_server_.base_url());
    healthy_.set_base_url(healthy_server_.base_url());
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    int64_t newest = 0;
    for (int i = 0; i < 100; ++i) {
      newest = faulty_.add_topic("Thema " + std::to_string(i), "buerger" + std::to_string(i % 7),
                                 now - (101 - i) * kDayMs - i * kMinuteMs);
      if (i < 40)
        healthy_.add_topic("Kreisthema " + std::to_string(i), "anwohner",
                           now - (41 - i) * 3 * kDayMs, 5);
    }
    // Under the newest topic, a thread longer than one chunk of 20 posts.
    for (int n = 0; n < 22; ++n)
      faulty_.add_post(newest, n % 2 ? "nachbar" : "buerger1", now - 40 * kHourMs + n * kHourMs,
                       n + 1);
    faulty_.add_post(newest, "stadt_pressestelle", now - 10 * kHourMs, 1);
    newest_ = newest;
  }

  std::string settings_yaml() const override { return "staff_usernames: stadt_pressestelle"; }
  std::string handle(bool faulty) const override {
    return faulty ? faulty_server_.base_url() : healthy_server_.base_url() + "/c/kreistag/5";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? as_set(faulty_.topic_ids()) : as_set(healthy_.topic_ids(5));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  static bool is_list(const HttpRequest& r) {
    return r.url.find("/latest.json?") != std::string::npos ||
           r.url.find("/c/") != std::string::npos;
  }
  // The topic lists and single topics (which carry the topic's counts).
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && (is_list(r) || (r.url.find("/t/") != std::string::npos &&
                                             r.url.find("/posts.json") == std::string::npos));
  }
  bool first_listing(const HttpRequest& r) const override {
    return any_request(r) && is_list(r) && page_of(r) == 0;
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override {
    return "{\"users\":[],\"topic_list\":{\"per_page\":30,\"topics\":[]}}";
  }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(posts_count|like_count|views)\":-?[0-9]+",
                        [&](const std::smatch& m, int n) {
                          return "\"" + m[1].str() + "\":" + values[n % values.size()];
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    return replace_each(body, "\"created_at\":\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("\"created_at\":\"") + json_date(d) + "\"";
    });
  }
  // The second topic of the answer takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::string> ids;
    const std::regex id("\\{\"id\":([0-9]+),\"title\"");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), id);
         it != std::sregex_iterator() && ids.size() < 2; ++it)
      ids.push_back((*it)[1].str());
    if (ids.size() < 2) return body;
    return replace_all(body, "{\"id\":" + ids[1] + ",\"title\"",
                       "{\"id\":" + ids[0] + ",\"title\"");
  }
  CursorFault repeating_cursor() override {
    // `page` ignored: every page further down is the first page again.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return any_request(r) && is_list(r) && page_of(r) > 0;
    };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = replace_all(r.url, "page=" + std::to_string(page_of(r)), "page=0");
      return faulty_.handle(first);
    };
    return {"the forum ignores page", p};
  }
  CursorFault circling_cursor() override {
    // Every page past the first one asked for leads back to that page.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return any_request(r) && is_list(r) && page_of(r) > 0;
    };
    auto first_page = std::make_shared<int64_t>(-1);
    p.respond = [this, first_page](const HttpRequest& r, HttpResponse honest) {
      if (*first_page < 0) *first_page = page_of(r);
      if (page_of(r) == *first_page) return honest;
      HttpRequest back = r;
      back.url = replace_all(r.url, "page=" + std::to_string(page_of(r)),
                             "page=" + std::to_string(*first_page));
      return faulty_.handle(back);
    };
    return {"pages lead back to an earlier page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kEmpty:
        // An empty first list closes nothing (Discourse names no total):
        // asked again next poll, which reads the whole list.
        e.reason = "empty";
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kPending);
        };
        break;
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A topic id carries no time: nothing can correct the date, so the
        // page guard skips those topics (reported). A first list without
        // one plausible date opens nothing (the next poll is a first poll
        // again), a backfill page without one keeps backfill where it is:
        // once the dates are plausible again every topic is read.
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log WHERE account_id = " +
                           std::to_string(run.account(true).id)) > 0);
        };
        break;
      case GenericRow::kCollidingIds:
        // A forum lists a topic once: a list naming one twice is refused
        // whole, so nothing is lost.
        e.states = {"degraded"};
        e.reason = "appears twice";
        e.may_miss = 0;
        break;
      case GenericRow::k429ZeroForever:
        // Discourse's window is 10 s (50 requests per IP): the engine's
        // hint-less pause is capped by it, so a 429 forever draws a request
        // every 10 s or so: a few more within one poll --once, and still
        // held when it ends (as for PeerTube).
        e.check = [](Run& run) {
          CHECK(run.family.faults().hits() <= 12);
          CHECK(run.longest_hold() > 5 * kSecondMs);
        };
        break;
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        // Pages that hold nothing older than the pages before: three in a
        // row stop backfill as incomplete, saying why.
        e.reason = "ignores `page`";
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

  mutable FakeDiscourse faulty_;
  mutable FakeDiscourse healthy_;
  int64_t newest_ = 0;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return healthy_.handle(r); }};
};

std::vector<Case> DiscourseFamily::own_cases() {
  std::vector<Case> cases;
  const auto list = [this](const HttpRequest& r) { return any_request(r) && is_list(r); };
  // A forum for members only: anonymous readers get 403 not_logged_in.
  cases.push_back(row("a forum that requires a login",
                      answer(list, json_answer(403,
                                               "{\"errors\":[\"You need to be logged in to do "
                                               "that.\"],\"error_type\":\"not_logged_in\"}")),
                      {"auth_required"}, "requires a login"));
  // The application's JSON 429 (with Retry-After, as application_controller
  // sends it) on three requests: held, then read whole.
  cases.push_back(
      row("the application's JSON 429 with extras.wait_seconds",
          answer([this](const HttpRequest& r) { return any_request(r); },
                 json_answer(429,
                             "{\"errors\":[\"You've performed this action too many times.\"],"
                             "\"error_type\":\"rate_limit\",\"extras\":{\"wait_seconds\":2,"
                             "\"time_left\":\"2 seconds\"}}",
                             {{"Retry-After", "2"}}),
                 3),
          {"ok"}, "", nullptr, true));
  // The per-IP limiter's text/plain 429 with its error code.
  HttpResponse plain;
  plain.status = 429;
  plain.body =
      "Slow down, too many requests from this IP address. Please retry again in 3 seconds. "
      "Error code: ip_10_secs_limit.";
  plain.headers = {{"Content-Type", "text/plain"},
                   {"Retry-After", "3"},
                   {"Discourse-Rate-Limit-Error-Code", "ip_10_secs_limit"}};
  cases.push_back(row("the per-IP limiter's plain-text 429",
                      answer([this](const HttpRequest& r) { return any_request(r); }, plain, 2),
                      {"ok"}, "", nullptr, true));
  // posts.json answers with posts of another topic: left out, the sweep is
  // partial, the account is fine.
  cases.push_back(
      row("posts.json with posts of another topic",
          rewrite(
              [this](const HttpRequest& r) {
                return any_request(r) && r.url.find("/posts.json") != std::string::npos;
              },
              [](std::string b) { return replace_all(b, "\"topic_id\":", "\"topic_id\":9"); }),
          {"ok"}, "", nullptr, true));
  // A topic view whose stream names posts nobody returns.
  cases.push_back(row("a stream naming posts that posts.json never returns",
                      rewrite(
                          [this](const HttpRequest& r) {
                            return any_request(r) && r.url.find("/t/") != std::string::npos &&
                                   r.url.find("/posts.json") == std::string::npos;
                          },
                          [](std::string b) {
                            return replace_all(b, "\"stream\":[", "\"stream\":[99999991,99999992,");
                          }),
                      {"ok"}, "", nullptr, true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: Discourse, one faulty forum and a healthy category on two hosts") {
  DiscourseFamily family;
  run_matrix(family);
}
